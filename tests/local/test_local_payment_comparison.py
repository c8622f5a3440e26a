"""The nightly comparison in the local cloud: the deployed function, with the role the template gives it (read
only), compares yesterday's attempts and refunds with the local Pay's two searches and reports what differs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest

from local import pay_standin
from local.moto_session import LOCK
from tests.local.payment_support import function_named_by_handler, invoke, put_awaiting_requests

pytestmark = pytest.mark.local


def test_the_nightly_comparison_reports_yesterdays_mismatches_and_nothing_else(local_cloud):
    pay = pay_standin.sandbox()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    payments_table = local_cloud.physical_id("Borough-dev-Payments/Payments")
    put_awaiting_requests(local_cloud, ["CMP0-0001"])
    # A payment Pay made yesterday (its clock set back for the create), ours recorded today: matched by reference
    # and attempt across the two days, not reported missing. Pay has expired it since (90 minutes), and ours still
    # says created (the reconciler polls attempts older than 30 s: this one is seconds old): a state that differs.
    real = pay.clock
    pay.clock = lambda: yesterday
    try:
        started = invoke(local_cloud, function_named_by_handler(local_cloud, "payments.handler.handler"),
                         {"action": "start", "reference": "CMP0-0001"})  # fmt: skip
    finally:
        pay.clock = real
    assert started["body"]["status"] == "created", started
    # An attempt of ours from yesterday whose payment Pay does not have.
    with LOCK:
        local_cloud.client("dynamodb").put_item(
            TableName=payments_table,
            Item={
                "reference": {"S": "CMP0-0002"},
                "attempt": {"N": "1"},
                "service_id": {"S": "bulky-waste"},
                "amount": {"N": "2500"},
                "status": {"S": "success"},
                "finished": {"BOOL": True},
                "return_token": {"S": "t" * 24},
                "created_at": {"S": yesterday.isoformat(timespec="seconds")},
                "created_day": {"S": yesterday.date().isoformat()},
                "payment_id": {"S": "not-at-pay-0000000000000001"},
            },
        )
    counts = invoke(local_cloud, function_named_by_handler(local_cloud, "payments.reconciler.nightly_handler"), {})
    payment_kinds = ("missing-at-pay", "missing-here", "state-differs", "amount-differs")
    assert {k: counts[k] for k in payment_kinds} == {
        "missing-at-pay": 1,
        "missing-here": 0,
        "state-differs": 1,
        "amount-differs": 0,
    }


def _pay_api(pay, method: str, path: str, key: str, body: dict | None = None) -> dict:
    """One call to the local Pay's API, as the adapter makes it."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    status, _, payload = pay.handle(method, f"/sandbox/pay{path}", headers, json.dumps(body or {}).encode())
    assert status in (200, 201, 202), payload
    return dict(json.loads(payload))


def test_the_nightly_comparison_reports_yesterdays_refund_mismatches(local_cloud):
    """Pay made three refunds of one payment yesterday; the Refunds table holds one as Pay has it, one whose
    status differs, one Pay does not have, and none for the third: three refund mismatches, read by the deployed
    function through the refunds-by-status index (its only grant on the table) and Pay's `GET /v1/refunds`."""
    pay = pay_standin.sandbox()
    key = pay.new_api_key()
    noon = datetime.combine((datetime.now(UTC) - timedelta(days=1)).date(), time(12), tzinfo=UTC)
    real, real_ledger = pay.clock, pay.ledger.clock
    pay.clock = pay.ledger.clock = lambda: noon  # the API's and the ledger's (refunds are dated by the ledger)
    try:
        new = {
            "amount": 2500,
            "reference": "CMR0-0001",
            "description": "Bulky waste",
            "return_url": "https://b.example",
        }
        created = _pay_api(pay, "POST", "/v1/payments", key, new)
        payment = pay.ledger.find(created["payment_id"])
        with LOCK:  # paid and captured without a webhook: this test is about the nightly comparison only
            pay.ledger.move(payment, "success")
            payment.captured_at = noon
        made = []
        for amount in (100, 200, 300):
            available = _pay_api(pay, "GET", f"/v1/payments/{payment.payment_id}", key)["refund_summary"]
            asked = {"amount": amount, "refund_amount_available": available["amount_available"]}
            made.append(_pay_api(pay, "POST", f"/v1/payments/{payment.payment_id}/refunds", key, asked))
    finally:
        pay.clock, pay.ledger.clock = real, real_ledger
    pay.advance()  # the refunds settle (success)
    local_cloud.wait_for_idle(timeout_s=30)
    refunds_table = local_cloud.physical_id("Borough-dev-Payments/Refunds")
    rows = [
        (1, made[0]["refund_id"], 100, "success"),  # as Pay has it
        (2, made[1]["refund_id"], 200, "error"),  # Pay says success
        (3, "not-at-pay-refund-00000001", 400, "success"),  # Pay has no such refund
    ]  # and made[2] is none of ours
    with LOCK:
        for number, refund_id, amount, status in rows:
            local_cloud.client("dynamodb").put_item(
                TableName=refunds_table,
                Item={
                    "reference": {"S": "CMR0-0001"},
                    "refund": {"N": str(number)},
                    "attempt": {"N": "1"},
                    "payment_id": {"S": payment.payment_id},
                    "amount": {"N": str(amount)},
                    "reason": {"S": "Missed at Flat 3, 12 Acacia Avenue"},
                    "staff": {"S": "finance-sub"},
                    "form_key": {"S": f"{number}" * 20},
                    "status": {"S": status},
                    "requested_at": {"S": (noon + timedelta(minutes=number)).isoformat(timespec="seconds")},
                    "settled_at": {"S": (noon + timedelta(minutes=number)).isoformat(timespec="seconds")},
                    "refund_id": {"S": refund_id},
                },
            )
    function = function_named_by_handler(local_cloud, "payments.reconciler.nightly_handler")
    pay.requests.clear()
    counts = invoke(local_cloud, function, {})
    assert {k: v for k, v in counts.items() if k.startswith("refund-")} == {
        "refund-missing-at-pay": 1,
        "refund-missing-here": 1,
        "refund-state-differs": 1,
        "refund-amount-differs": 0,
    }
    searched = [path for method, path in pay.requests if method == "GET"]
    assert "/v1/refunds" in searched
    assert f"/v1/payments/{payment.payment_id}/refunds/not-at-pay-refund-00000001" in searched  # looked for by id
    last = local_cloud.runtime.invocations_of(function)[-1]
    assert not last.errored
