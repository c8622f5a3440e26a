"""The staff console's permits search by postcode and a revocation with its refund, end to end in the local cloud:
a permit paid in the local Pay (its order-paid issuing it through the queue and the PermitIssuer); the demo
caseworker searches by the postcode (the console's own OS Places client against the stand-in, with the key secret
its role may read), chooses the address, finds the permit by that address's UPRN, and revokes it refunding the
unused months: the PermitsStaff function invokes payments' OrderRefunds (under both functions' IAM policies) and
the local Pay holds the refund. The look-up then says `no-permit`; the audit has the postcode search without the
postcode."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local.staff import DEMO_STAFF
from tests.local.test_local_console import _form, _signed_in
from tests.local.test_local_permit_applications import apply, stored
from tests.local.test_local_permit_changes import pay, pay_refunds
from tests.local.test_local_permit_staff import _device_token, _trail
from tests.local.test_local_permits import _check

pytestmark = pytest.mark.local

MARK = "RV24RFD"  # the DVLA stand-in's car for this test alone
UPRN = "999000020004"  # St. Mary's Cottage, Hopfield Lane, ME14 1HQ: zone B (whole months refunded, less £15.00)


def test_a_caseworker_finds_a_permit_by_postcode_and_revokes_it_refunding_the_unused_months(local_cloud: Any):
    address = {"uprn": UPRN, "postcode": "ME14 1HQ", "street": "HOPFIELD LANE"}
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": MARK})
    assert applied["status"] == 201, applied
    reference = applied["body"]["reference"]
    pay(local_cloud, reference)
    assert stored(local_cloud, reference)["status"]["S"] == "issued"  # type: ignore[index]
    token = _device_token(local_cloud)
    assert _check(local_cloud, token, MARK, "B", post=True).json()["answer"] == "valid"

    staff = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    search_page = staff.request("GET", "/staff/permits")
    csrf = _form(search_page.body, "/staff/permits")["csrf_token"]
    listed = staff.request("POST", "/staff/permits", {"csrf_token": csrf, "by": "postcode", "postcode": "me14 1hq"})
    assert listed.status == 200, listed.body[:1500]
    page = listed.body.decode()
    assert "Addresses at ME14 1HQ" in page
    assert re.search(rf'value="{UPRN}">\s*<label[^>]*>St. Mary&#39;s Cottage, Hopfield Lane, Maidstone', page), page
    choice = re.search(r'<form[^>]*id="address-choice">.*?</form>', page, re.S)
    assert choice is not None
    assert 'name="by" value="uprn"' in choice.group(0)  # choosing the address is the UPRN search
    chosen = staff.request("POST", "/staff/permits", {"csrf_token": csrf, "by": "uprn", "uprn": UPRN})
    assert chosen.status == 200, chosen.body[:1500]
    assert f'href="/staff/permits/{reference}"'.encode() in chosen.body

    permit_page = staff.request("GET", f"/staff/permits/{reference}")
    revoke = _form(permit_page.body, f"/staff/permits/{reference}/revoke")
    revoked = staff.request("POST", f"/staff/permits/{reference}/revoke",
                            {**revoke, "reason": "Moved out of the zone", "refund": "unused-months"})  # fmt: skip
    assert revoked.status == 303, revoked.body[:1500]
    local_cloud.wait_for_idle(timeout_s=30)
    after = staff.request("GET", revoked.header("location")).body.decode()
    assert "The permit is revoked" in after
    [refund] = pay_refunds(reference)  # the refund is in the local Pay, against the permit's payment
    assert refund > 0
    assert f"£{refund / 100:,.2f}: submitted at GOV.UK Pay" in after or f"£{refund / 100:,.2f}: success" in after
    assert "Less the admin fee of £15.00." in after
    assert _check(local_cloud, token, MARK, "B", post=True).json()["answer"] == "no-permit"
    application = stored(local_cloud, reference)
    assert application is not None
    assert int(application["refund_pence"]["N"]) == refund

    searches = _trail(local_cloud, "permit-search")
    postcode_searches = [e for e in searches if "postcode" in str(e["details"])]
    assert postcode_searches
    assert all("ME14" not in str(e) and "me14" not in str(e) for e in searches)
    actions = [
        e["action"]["S"] for e in sorted(_trail(local_cloud, f"permit:{reference}"), key=lambda e: e["entry"]["S"])
    ]
    assert actions[-2:] == ["revoke-permit", "read-permit"]
