"""Changing a permit's vehicle and cancelling it, end to end in the local cloud: a permit applied for through the
deployed PermitApplications function and paid in the local Pay (4242424242424242), its vehicle changed for a cheaper
one (the old mark no longer valid at the enforcement look-up, the new one valid, the difference refunded through
payments' OrderRefunds function), then cancelled (no permit at all, the whole months left less the zone's fee
refunded): both refunds are in the local Pay against the permit's payment, recorded `via: permits`."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from local import pay_standin
from tests.local.payment_support import function_named_by_handler, invoke
from tests.local.test_local_notifications_journey import Browser
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page
from tests.local.test_local_permit_applications import HANDLER, apply, found_address, stored
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

REFUNDS = "Borough-dev-Payments/Refunds"


def pay(local_cloud: Any, reference: str) -> None:
    """The order `reference` paid on the local Pay's card page, as the web sends the resident there."""
    payments = function_named_by_handler(local_cloud, "payments.handler.handler")
    started = invoke(local_cloud, payments, {"action": "start", "reference": reference, "correlation_id": "t"})
    assert started["status"] == 200, started
    browser = Browser(local_cloud)
    card = card_page(browser, started["body"]["next_url"])
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(confirm.header("location")).path, {})
    token = urlsplit(back.header("location")).path.rsplit("/", 1)[1]
    returned = invoke(local_cloud, payments, {"action": "return", "token": token, "correlation_id": "t"})
    assert returned["body"]["status"] == "success", returned
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)
    local_cloud.wait_for_idle(timeout_s=30)  # order-paid -> the permits queue -> the issuer


def change(local_cloud: Any, action: str, **fields: Any) -> dict[str, Any]:
    function = function_named_by_handler(local_cloud, HANDLER)
    return invoke(local_cloud, function, {"action": action, **fields, "correlation_id": "t"})


def pay_refunds(reference: str) -> list[int]:
    """The refunds the local Pay holds against the payment of `reference`."""
    return [r.amount for p in pay_standin.sandbox().ledger.payments.values() if p.reference == reference
            for r in p.refunds]  # fmt: skip


def refund_records(local_cloud: Any, reference: str) -> list[dict[str, Any]]:
    found = local_cloud.client("dynamodb").query(
        TableName=local_cloud.physical_id(REFUNDS),
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "reference"},
        ExpressionAttributeValues={":r": {"S": reference}},
    )["Items"]
    return list(found)


def test_apply_pay_change_vehicle_then_cancel_with_refunds_in_the_local_pay(local_cloud):
    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    address = found_address(local_cloud, "ME16 8PQ")  # Millpond Drive: zone D, Station
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": "KX68DSL"})
    assert applied["status"] == 201, applied
    reference = applied["body"]["reference"]
    assert applied["body"]["amount_pence"] == 17000  # £140 (142 g/km: 100%) and the £30 diesel surcharge
    pay(local_cloud, reference)
    item = stored(local_cloud, reference)
    assert item is not None
    assert item["status"]["S"] == "issued", item
    assert _check(local_cloud, token, "KX68DSL", "D", post=True).json()["answer"] == "valid"

    # A refusal first: the export-marked vehicle writes nothing, the permit keeps its mark.
    refused = change(local_cloud, "change-vehicle", reference=reference, vrm="MX20EXP")
    assert (refused["status"], refused["body"]["refusal"]) == (422, "VehicleMarkedForExport")
    assert _check(local_cloud, token, "KX68DSL", "D", post=True).json()["answer"] == "valid"

    changed = change(local_cloud, "change-vehicle", reference=reference, vrm="lb19 ptr")  # petrol: £140.00
    assert changed["status"] == 200, changed
    body = changed["body"]
    assert (body["status"], body["vrm"], body["old_vrm"], body["to_refund_pence"]) == ("applied", "LB19PTR",
                                                                                      "KX68DSL", 3000)  # fmt: skip
    assert body["refund_status"] == "submitted", body
    old_mark = _check(local_cloud, token, "KX68DSL", "D", post=True).json()
    # no longer permitted in D by this permit (another test may have issued the mark in another zone)
    assert old_mark["answer"] in ("no-permit", "valid-in-another-zone"), old_mark
    assert old_mark.get("permit_id") != body["permit_id"]
    now_valid = _check(local_cloud, token, "LB19PTR", "D", post=True).json()
    assert (now_valid["answer"], now_valid["permit_id"]) == ("valid", body["permit_id"])
    assert pay_refunds(reference) == [3000]

    # A dearer vehicle: its difference is an order of its own, paid in the local Pay, then applied by the issuer.
    dearer = change(local_cloud, "change-vehicle", reference=reference, vrm="L123OLD")  # 1,796 cc: 110%, £154.00
    assert dearer["status"] == 202, dearer
    change_reference = dearer["body"]["change_reference"]
    assert dearer["body"]["to_pay_pence"] == 1400
    assert _check(local_cloud, token, "LB19PTR", "D", post=True).json()["answer"] == "valid"  # until it is paid
    pay(local_cloud, change_reference)
    # not permitted in D any more (other tests issue the same fictional mark in other zones)
    assert _check(local_cloud, token, "LB19PTR", "D", post=True).json()["answer"] in (
        "no-permit",
        "valid-in-another-zone",
    )
    assert _check(local_cloud, token, "L123OLD", "D", post=True).json()["answer"] == "valid"

    cancelled = change(local_cloud, "cancel", reference=reference)
    assert cancelled["status"] == 200, cancelled
    assert (cancelled["body"]["status"], cancelled["body"]["refund_pence"]) == ("cancelled", 14400)  # £154 less £10
    assert cancelled["body"]["refund_status"] == "submitted"
    # not permitted in D any more (other tests issue the same fictional mark in other zones)
    assert _check(local_cloud, token, "L123OLD", "D", post=True).json()["answer"] in (
        "no-permit",
        "valid-in-another-zone",
    )
    # newest payment first: all of the change's £14.00, then £130.00 of the permit's (£140.00 was left of it)
    assert (pay_refunds(reference), pay_refunds(change_reference)) == ([3000, 13000], [1400])
    records = refund_records(local_cloud, reference)
    assert [(r["amount"]["N"], r["via"]["S"]) for r in records] == [("3000", "permits"), ("13000", "permits")]
    again = change(local_cloud, "cancel", reference=reference)  # asked again: the same refunds, not more
    assert again["body"]["refund_pence"] == 14400
    assert (pay_refunds(reference), pay_refunds(change_reference)) == ([3000, 13000], [1400])
    after = change(local_cloud, "change-vehicle", reference=reference, vrm="EV71ELC")
    assert (after["status"], after["body"]["refusal"]) == (422, "PermitNotChangeable")
