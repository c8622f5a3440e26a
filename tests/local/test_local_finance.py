"""Finance end to end in the local cloud.

- The receipt: a resident pays through the web and the local Pay's card page, and the Notify stand-in's outbox holds
  one receipt (payment-succeeded -> the notifications queue -> GOV.UK Notify), however often the payment is applied
  (the return page, then Pay's webhook).
- The export: the demo finance officer signs in to the console, asks /staff/finance for today's payments and refunds,
  and downloads a CSV (through the StaffPayments function, as deployed) with the payment, its refund as a negative
  line, the ledger code and Pay's captured date; a reversed range is refused on the page; the export is audited.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime
from typing import Any

import pytest

from shared.calendar import LONDON
from tests.local.test_local_notifications_journey import eventually, outbox
from tests.local.test_local_payments import (
    WEBHOOK_FIRST_ATTEMPT_S,
    invoke_staff_payments,
    pay_with_a_success_card,
    payments_for,
)

pytestmark = pytest.mark.local

RESIDENT = "resident@example.com"  # the sample answers' contact (tests/unit/web/web_support.py)


def receipts_for(local_cloud, reference: str) -> list[dict[str, Any]]:
    return [m for m in outbox(local_cloud, RESIDENT) if m["subject"] == f"Payment receipt: {reference}"]


def test_paying_sends_one_receipt_by_email(local_cloud):
    reference = pay_with_a_success_card(local_cloud)
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)  # Pay's webhook for the same payment comes 3 s later
    local_cloud.wait_for_idle(timeout_s=30)
    [payment] = payments_for(reference)
    eventually(lambda: bool(receipts_for(local_cloud, reference)), timeout_s=30)  # a busy machine is slower
    [receipt] = receipts_for(local_cloud, reference)
    body = receipt["body"]
    assert "Service: Book a bulky waste collection" in body
    assert f"Request reference: {reference}" in body
    assert "Amount paid: £25.00" in body
    assert f"Date paid: {datetime.now(LONDON).day} " in body
    assert f"GOV.UK Pay payment reference: {payment.payment_id}" in body
    assert receipt["type"] == "email"


def _range(day: datetime, **changes: str) -> str:
    fields = {"from-day": day.day, "from-month": day.month, "from-year": day.year}
    fields |= {"to-day": day.day, "to-month": day.month, "to-year": day.year}
    return "&".join(f"{k}={v}" for k, v in {**fields, **changes}.items())


def test_a_finance_officer_downloads_the_days_payments_and_refunds(local_cloud):
    from local.staff import DEMO_STAFF
    from tests.local.test_local_console import Browser as ConsoleBrowser
    from tests.local.test_local_console import _sign_in_as

    reference = pay_with_a_success_card(local_cloud)
    [payment] = payments_for(reference)
    refunded = invoke_staff_payments(
        local_cloud,
        {
            "action": "refund",
            "reference": reference,
            "amount_pence": 700,
            "reason": "One item not collected",
            "number": 1,
            "form_key": "e" * 24,
            "staff": {"subject": "finance-sub", "roles": ["finance"]},
        },
    )
    assert refunded["status"] == 200, refunded
    staff = ConsoleBrowser(local_cloud)
    callback, _ = _sign_in_as(staff, DEMO_STAFF["finance"])
    assert staff.request("GET", callback).status == 303
    form = staff.request("GET", "/staff/finance")
    assert form.status == 200
    assert b"Export payments and refunds" in form.body

    today = datetime.now(LONDON)
    reversed_range = staff.request("GET", f"/staff/finance?{_range(today, **{'from-year': str(today.year + 1)})}")
    assert reversed_range.status == 400
    assert b"The end date must be the same as or after the start date" in reversed_range.body

    download = staff.request("GET", f"/staff/finance?{_range(today)}")
    assert download.status == 200, download.body[:1500]
    assert download.header("content-type") == "text/csv; charset=utf-8"
    day = today.date().isoformat()
    assert download.header("content-disposition") == f'attachment; filename="borough-payments-{day}-to-{day}.csv"'
    lines = [r for r in csv.DictReader(io.StringIO(download.body.decode())) if r["request_reference"] == reference]
    assert [(r["line"], r["amount_pence"], r["amount_pounds"], r["state"]) for r in lines] == [
        ("payment", "2500", "25.00", "success"),
        ("refund", "-700", "-7.00", refunded["body"]["status"]),
    ]
    paid, refund = lines
    assert (paid["pay_payment_id"], refund["pay_payment_id"]) == (payment.payment_id, payment.payment_id)
    assert {paid["ledger_code"], refund["ledger_code"]} == {"BW-4011"}
    assert paid["captured_date"] == day  # from the local Pay's search: it captures at once
    assert refund["refund_id"] == refunded["body"]["refund_id"] != ""

    audit = local_cloud.physical_id("Borough-dev-Console/Audit")
    trail = local_cloud.client("dynamodb").query(
        TableName=audit,
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": {"S": "finance-export"}},
    )["Items"]
    assert f"export-finance {day} to {day}" in [e["action"]["S"] for e in trail]
