"""Parking permits in the staff console, end to end in the local cloud: a permit applied for through the deployed
PermitApplications function (the DVLA stand-in's electric car at a Town centre address) and issued as the PermitIssuer
issues it; the demo caseworker (who holds `view-permits` and `manage-permits`) signs in, finds it by its mark, opens
it, is refused a revocation without a reason, revokes it with one (the console invoking the PermitsStaff function by
name, under both functions' IAM policies), and the devices' look-up then says `no-permit`. The console's audit has
the search, the read and the revocation; the permit holds the permit-ended event in its outbox."""

from __future__ import annotations

import re
from typing import Any

import pytest

from local.staff import DEMO_STAFF
from permits.issuing import issue_paid
from permits.store import PermitsStore
from shared.events import EventEnvelope, EventType
from tests.local.test_local_console import _form, _signed_in
from tests.local.test_local_permit_applications import apply, found_address
from tests.local.test_local_permits import _check, _device, _table, _token

pytestmark = pytest.mark.local

MARK = "EV71ELC"  # the DVLA stand-in's electric car (no other local test issues it)


def issued_permit(local_cloud: Any, vrm: str = "ev71 elc") -> tuple[str, str]:
    """A permit for `vrm` at a Town centre address, applied for and issued as the deployed functions do: its
    application's reference and its id (also tests/browser/test_browser_permit_staff.py)."""
    address = found_address(local_cloud, "ME15 6JQ")  # Cobnut Row: zone A, Town centre
    made = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": vrm})
    assert made["status"] == 201, made
    reference = made["body"]["reference"]
    store = PermitsStore(_table(local_cloud, "Borough-dev-Permits/Permits"))
    paid = EventEnvelope(
        type=EventType.ORDER_PAID, id=f"paid-{reference}", source="payments", correlation_id="t",
        data={"reference": reference, "service_id": "parking-permit", "attempt": "1", "payment_id": "pay-local",
              "amount_pence": str(made["body"]["amount_pence"])},
    )  # fmt: skip
    issued = issue_paid(store, paid)  # as the PermitIssuer does on order-paid
    assert issued.outcome == "issued"
    return reference, issued.permit_id


def _device_token(local_cloud: Any) -> str:
    _, client_id, secret = _device(local_cloud)
    answer = _token(local_cloud, client_id, secret)
    assert answer.status == 200, answer.body
    return str(answer.json()["access_token"])


def _trail(local_cloud: Any, record: str) -> list[dict[str, Any]]:
    audit = local_cloud.physical_id("Borough-dev-Console/Audit")
    return list(
        local_cloud.client("dynamodb").query(
            TableName=audit,
            KeyConditionExpression="#r = :r",
            ExpressionAttributeNames={"#r": "record"},
            ExpressionAttributeValues={":r": {"S": record}},
        )["Items"]
    )


def test_a_caseworker_finds_a_permit_by_its_mark_and_revokes_it_and_the_look_up_says_no_permit(local_cloud):
    reference, permit_id = issued_permit(local_cloud)
    token = _device_token(local_cloud)
    assert _check(local_cloud, token, MARK, "A", post=True).json()["answer"] == "valid"

    staff = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    search_page = staff.request("GET", "/staff/permits")
    assert search_page.status == 200, search_page.body[:500]
    form = {**_form(search_page.body, "/staff/permits"), "vrm": "ev71 elc"}
    assert form["by"] == "vrm"
    found = staff.request("POST", "/staff/permits", form)
    assert found.status == 200, found.body[:1500]
    assert f'href="/staff/permits/{reference}"'.encode() in found.body
    assert b"EV71 ELC" in found.body

    page = staff.request("GET", f"/staff/permits/{reference}")
    assert page.status == 200, page.body[:1500]
    for text in (b"EV71 ELC in zone A", b"Town centre", b"active", b"Applied", b"Paid", b"Issued", b"DVLA"):
        assert text in page.body, text
    revoke = _form(page.body, f"/staff/permits/{reference}/revoke")

    refused = staff.request("POST", f"/staff/permits/{reference}/revoke", {**revoke, "reason": "", "refund": "none"})
    assert refused.status == 400
    assert b"There is a problem" in refused.body
    assert b"Enter the reason for revoking the permit" in refused.body
    assert _check(local_cloud, token, MARK, "A", post=True).json()["answer"] == "valid"  # nothing changed

    revoked = staff.request("POST", f"/staff/permits/{reference}/revoke",
                            {**revoke, "reason": "Vehicle sold", "refund": "none"})  # fmt: skip
    assert revoked.status == 303, revoked.body[:1500]
    after = staff.request("GET", revoked.header("location"))
    assert b"The permit is revoked" in after.body
    assert re.search(rb'id="permit-status">revoked<', after.body)
    assert b"Vehicle sold" in after.body

    checked = _check(local_cloud, token, MARK, "A", post=True).json()
    assert checked["answer"] == "no-permit"

    item = _table(local_cloud, "Borough-dev-Permits/Permits").get_item(
        Key={"pk": f"PERMIT#{permit_id}", "sk": "PERMIT"}
    )["Item"]
    event = EventEnvelope.model_validate_json(item["outbox"])
    assert event.type is EventType.PERMIT_ENDED
    assert event.data["permit_id"] == permit_id
    assert event.data["reference"] == reference

    entries = sorted(_trail(local_cloud, f"permit:{reference}"), key=lambda e: e["entry"]["S"])
    actions = [e["action"]["S"] for e in entries]
    assert actions == ["search-permits", "read-permit", "revoke-permit", "revoke-permit-refused", "revoke-permit",
                       "read-permit"]  # fmt: skip
    assert all(e["staff"]["S"] and e["source_ip"]["S"] for e in entries)
    searches = _trail(local_cloud, "permit-search")
    assert any(reference in str(e["details"]) for e in searches)
    assert all(MARK not in str(e) and "EV71" not in str(e) for e in searches)  # the mark typed is never recorded
