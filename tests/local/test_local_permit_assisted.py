"""A parking permit staff apply for for a resident, paid by phone, end to end in the local cloud: the demo caseworker
(who holds `act-for-resident` and `manage-permits`) signs in, applies from the console's permits pages (the console
invoking PermitApplications by name, the address by its UPRN, the DVLA stand-in's car of this test alone), sees the
price and why, takes the payment by MOTO on the local Pay (a declined test card, then a good one: the MOTO function
takes the registered order's amount), the issuer issues the permit on `order-paid`, and the devices' look-up says
`valid`. The application keeps the channel, reason and staff member; the console's audit has every step."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local.staff import DEMO_STAFF
from tests.local.test_local_console import _form, _signed_in
from tests.local.test_local_permit_applications import found_address
from tests.local.test_local_permit_staff import _device_token, _trail
from tests.local.test_local_permits import _check, _table

pytestmark = pytest.mark.local

MARK = "AD24MTO"  # the DVLA stand-in's car for this test alone
CARD = {"expiry_date": "04/29", "cardholder_name": "A Resident", "cvc": "123"}


def test_a_caseworker_applies_for_a_permit_for_a_resident_takes_it_by_phone_and_it_is_valid(local_cloud: Any):
    address = found_address(local_cloud, "ME15 6JQ")  # Cobnut Row: zone A, Town centre
    staff = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    page = staff.request("GET", "/staff/permits/apply")
    assert page.status == 200, page.body[:500]
    form = {
        **_form(page.body, "/staff/permits/apply"),
        "channel": "phone", "reason": "No internet at home", "uprn": address["uprn"], "postcode": address["postcode"],
        "street": address.get("street", ""), "kind": "resident", "months": "12", "vrm": "ad24 mto",
        "email": "assisted-permit@example.org",
    }  # fmt: skip
    priced = staff.request("POST", "/staff/permits/apply", form)
    assert priced.status == 200, priced.body[:2000]
    assert b"Why this price" in priced.body
    found = re.search(rb"Permit application ([A-Z0-9]{4}-[A-Z0-9]{4})", priced.body)
    assert found is not None
    reference = found.group(1).decode()
    pay_form = _form(priced.body, "/staff/permits/apply/pay")
    assert pay_form["reference"] == reference

    declined = staff.request(
        "POST", "/staff/permits/apply/pay", {**pay_form, **CARD, "card_number": "4000000000000002"}
    )
    assert declined.status == 200, declined.body[:2000]
    assert b"The card was declined" in declined.body
    assert b"4000000000000002" not in declined.body
    paid = staff.request("POST", "/staff/permits/apply/pay", {**pay_form, **CARD, "card_number": "4242424242424242"})
    assert paid.status == 200, paid.body[:2000]
    assert b"Payment taken" in paid.body
    local_cloud.wait_for_idle(timeout_s=30)

    token = _device_token(local_cloud)
    assert _check(local_cloud, token, MARK, "A", post=True).json()["answer"] == "valid"
    stored = _table(local_cloud, "Borough-dev-Permits/Permits").get_item(
        Key={"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"}
    )["Item"]
    assert stored["assisted"]["channel"] == "phone"
    assert stored["assisted"]["reason"] == "No internet at home"
    assert stored["assisted"]["staff"]
    assert stored["status"] == "issued"
    actions = [e["action"]["S"] for e in _trail(local_cloud, f"permit:{reference}")]
    assert actions == ["apply-permit-for-resident", "take-payment", "take-payment"]
    assert [e["action"]["S"] for e in _trail(local_cloud, "permit-applications")].count(
        "apply-permit-for-resident"
    ) >= 1
