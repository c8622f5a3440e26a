"""The nightly comparison of refunds (payments.reconciler.compare_refunds_day): the council's refunds asked for on
a day (the refunds-by-status index, a Query per state) against Pay's refund search of the same day, every page,
against the local Pay over HTTP and moto. Each kind of mismatch is reported once, with no reason or member of staff
in the log; a day that agrees reports none, also across midnight and across pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import boto3
import pytest

from payments import provider, reconciler, service
from payments.reconciler import (
    MISMATCH_KINDS,
    REFUND_AMOUNT_DIFFERS,
    REFUND_MISSING_AT_PAY,
    REFUND_MISSING_HERE,
    REFUND_STATE_DIFFERS,
    compare_refunds_day,
)
from payments.refunds import RefundRefused, Refunds
from payments.refunds_store import RefundsStore
from shared import aws, settings
from tests.helpers import FakeContext
from tests.unit.payments.pay_support import START
from tests.unit.payments.test_payments_refunds import FINANCE, REFERENCE, pay, refunds_with

pytestmark = pytest.mark.unit

DAY = START.date()  # 2026-03-02: the local Pay's clock starts at 09:00 on it
REASON = "Collection missed: Flat 3, 12 Acacia Avenue"  # a reason may name a person or a place: never logged


@pytest.fixture
def refunds(tables, running, adapter, clock) -> Refunds:
    pay(running, adapter, clock)
    return refunds_with(adapter, clock)


def refund(service: Refunds, amount: int, number: int):
    return service.refund(
        REFERENCE, amount=amount, reason=REASON, staff=FINANCE, number=number, form_key=f"{number}" * 20
    )


@pytest.fixture
def two_refunds(refunds, running, clock) -> Refunds:
    """Two refunds of the paid £35.00 on DAY, both settled at Pay and polled to success here."""
    refund(refunds, 1000, 1)
    clock.advance(minutes=1)
    refund(refunds, 500, 2)
    clock.advance(minutes=1)
    running.sandbox.advance()
    for record in RefundsStore("refunds").of(REFERENCE):
        refunds.poll(record)
    assert [(r.status, r.amount) for r in RefundsStore("refunds").of(REFERENCE)] == [
        ("success", 1000),
        ("success", 500),
    ]
    return refunds


def kinds(mismatches) -> list[tuple[str, int | None]]:
    return sorted((m.kind, m.refund) for m in mismatches)


def set_field(number: int, name: str, value) -> None:
    aws.table("refunds").update_item(
        Key={"reference": REFERENCE, "refund": number},
        UpdateExpression="SET #f = :v",
        ExpressionAttributeNames={"#f": name},
        ExpressionAttributeValues={":v": value},
    )


def test_a_day_that_agrees_reports_nothing(two_refunds, adapter):
    assert compare_refunds_day(RefundsStore("refunds"), adapter, DAY) == []
    assert compare_refunds_day(RefundsStore("refunds"), adapter, DAY - timedelta(days=1)) == []


def test_every_page_of_pays_refund_search_is_read_and_nothing_looked_up_one_by_one(two_refunds, adapter, running):
    running.sandbox.requests.clear()
    assert compare_refunds_day(RefundsStore("refunds"), adapter, DAY, page_size=1) == []
    gets = [path for method, path in running.sandbox.requests if method == "GET"]
    assert gets == ["/v1/refunds", "/v1/refunds"]


def test_a_refund_pay_does_not_have_is_reported(two_refunds, adapter):
    set_field(2, "refund_id", "not-at-pay-0000000000000001")
    found = compare_refunds_day(RefundsStore("refunds"), adapter, DAY)
    # Ours, under an id Pay does not know; and Pay's refund that is now none of ours.
    assert kinds(found) == [(REFUND_MISSING_AT_PAY, 2), (REFUND_MISSING_HERE, None)]
    missing = next(m for m in found if m.kind == REFUND_MISSING_AT_PAY)
    assert (missing.reference, missing.refund_id, missing.ours) == (
        REFERENCE,
        "not-at-pay-0000000000000001",
        "success 500",
    )
    here = next(m for m in found if m.kind == REFUND_MISSING_HERE)
    assert (here.pay, here.payment_id) == ("success 500", missing.payment_id)


def test_a_refund_at_pay_that_is_none_of_ours_is_reported(two_refunds, adapter, clock):
    payment_id = RefundsStore("refunds").get(REFERENCE, 1).payment_id
    made = adapter.create_refund(payment_id, 100, refund_amount_available=2000)  # made outside the council's system
    [mismatch] = compare_refunds_day(RefundsStore("refunds"), adapter, DAY)
    assert (mismatch.kind, mismatch.refund_id, mismatch.payment_id, mismatch.pay) == (
        REFUND_MISSING_HERE,
        made.refund_id,
        payment_id,
        "submitted 100",
    )


def test_a_state_that_differs_is_reported(two_refunds, adapter):
    set_field(1, "status", "submitted")  # as if the reconciler had not polled it since
    [mismatch] = compare_refunds_day(RefundsStore("refunds"), adapter, DAY)
    assert (mismatch.kind, mismatch.refund, mismatch.ours, mismatch.pay) == (
        REFUND_STATE_DIFFERS,
        1,
        "submitted 1000",
        "success 1000",
    )


def test_an_amount_that_differs_is_reported(two_refunds, adapter):
    set_field(2, "amount", 50)
    [mismatch] = compare_refunds_day(RefundsStore("refunds"), adapter, DAY)
    assert (mismatch.kind, mismatch.refund, mismatch.ours, mismatch.pay) == (
        REFUND_AMOUNT_DIFFERS,
        2,
        "success 50",
        "success 500",
    )


def test_a_refund_asked_for_before_midnight_and_made_at_pay_after_it_is_no_mismatch_on_either_day(
    refunds, adapter, running, clock
):
    clock.now = datetime.combine(DAY + timedelta(days=1), time(0, 0, 2), tzinfo=START.tzinfo)
    refund(refunds, 700, 1)  # Pay makes it at 00:00:02 on the next day ...
    set_field(1, "requested_at", datetime.combine(DAY, time(23, 59, 59), tzinfo=START.tzinfo).isoformat())  # asked
    running.sandbox.requests.clear()
    assert compare_refunds_day(RefundsStore("refunds"), adapter, DAY) == []  # found at Pay by its id
    assert ("GET", f"/v1/payments/{RefundsStore('refunds').get(REFERENCE, 1).payment_id}/refunds/") in [
        (m, p.rsplit("/", 1)[0] + "/") for m, p in running.sandbox.requests
    ]
    assert compare_refunds_day(RefundsStore("refunds"), adapter, DAY + timedelta(days=1)) == []  # ours, by margin


def test_a_refund_pay_never_made_is_not_compared(refunds, adapter, running):
    with pytest.raises(RefundRefused):  # more than was paid: the record is `not-created`, without Pay's id
        refund(refunds, 99_999, 1)
    assert RefundsStore("refunds").get(REFERENCE, 1).status == "not-created"
    assert compare_refunds_day(RefundsStore("refunds"), adapter, DAY) == []


def test_the_report_logs_each_refund_mismatch_without_the_reason_or_who_asked_and_counts_it(
    two_refunds, adapter, monkeypatch, caplog
):
    set_field(1, "amount", 1)
    recorded: list[tuple[str, float]] = []
    monkeypatch.setattr(reconciler.metrics, "add_metric", lambda name, unit, value, **_: recorded.append((name, value)))
    counts = reconciler.report(compare_refunds_day(RefundsStore("refunds"), adapter, DAY), DAY)
    assert counts == {kind: int(kind == REFUND_AMOUNT_DIFFERS) for kind in MISMATCH_KINDS}
    assert recorded == [("PaymentMismatches", 1)]
    [line] = [r for r in caplog.records if r.getMessage() == "Refund mismatch"]
    assert line.levelname == "WARNING"
    assert (line.kind, line.reference, line.refund, line.ours, line.pay) == (
        REFUND_AMOUNT_DIFFERS,
        REFERENCE,
        1,
        "success 1",
        "success 1000",
    )
    logged = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert "Acacia" not in logged
    assert FINANCE.subject not in logged


def test_the_nightly_handler_compares_yesterdays_refunds_too(two_refunds, running, api_key, clock, monkeypatch):
    aws.reset()
    settings.reset()
    service.reset()
    boto3.client("secretsmanager", region_name="eu-west-2").create_secret(
        Name="borough/test/pay-api-key", SecretString=api_key
    )
    set_field(2, "status", "submitted")
    for name, value in {
        "PAYMENTS_TABLE": "payments",
        "REFUNDS_TABLE": "refunds",
        "PAY_BASE_URL": running.api_url,
        "PAY_API_KEY_SECRET_ID": "borough/test/pay-api-key",
    }.items():
        monkeypatch.setenv(name, value)
    real_now = reconciler.datetime
    monkeypatch.setattr(
        reconciler,
        "datetime",
        type("Frozen", (real_now,), {"now": staticmethod(lambda tz=None: clock() + timedelta(days=1))}),
    )
    running.sandbox.requests.clear()
    try:
        answer = reconciler.nightly_handler({"source": "aws.events"}, FakeContext())
    finally:
        settings.reset()
        provider.reset()
    assert answer == {kind: int(kind == REFUND_STATE_DIFFERS) for kind in MISMATCH_KINDS}
    searches = [path for method, path in running.sandbox.requests if method == "GET" and path.count("/") == 2]
    assert searches == ["/v1/payments", "/v1/refunds"]
