"""The nightly comparison (payments.reconciler.compare_day): the council's attempts of a day against Pay's search
of the same day, every page, against the local Pay over HTTP and moto. Each kind of mismatch is reported once; a
day that agrees reports none, also across midnight and across pages; the report is a log line each and a metric."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from payments import provider, reconciler, service
from payments.adapters.base import NewPayment
from payments.logic import Payments
from payments.reconciler import (
    AMOUNT_DIFFERS,
    MISMATCH_KINDS,
    MISSING_AT_PAY,
    MISSING_HERE,
    STATE_DIFFERS,
    compare_day,
)
from payments.store import PaymentsStore
from shared import aws, settings
from shared.requests_repo import RequestsRepository
from tests.helpers import FakeContext
from tests.unit.payments.pay_support import START, Browser, card_form
from tests.unit.payments.payments_support import put_awaiting_request

pytestmark = pytest.mark.unit

DAY = START.date()  # 2026-03-02: the local Pay's clock starts at 09:00 on it
REFERENCES = ("AC3E-0001", "AC3E-0002", "AC3E-0003")


@pytest.fixture
def payments(tables, adapter, clock) -> Payments:
    for reference in REFERENCES:
        put_awaiting_request(reference)
    return Payments(
        store=PaymentsStore("payments"),
        provider=adapter,
        requests=RequestsRepository("requests"),
        publish=lambda event: None,
        public_base_url="https://borough.example",
        clock=clock,
    )


@pytest.fixture
def a_day(payments, running, clock) -> dict[str, str]:
    """Three attempts on DAY as the service makes them: one paid, one declined, one left on Pay's page (expired).
    Returns each reference's Pay payment id."""
    ids = {}
    for reference, card in zip(REFERENCES, ("4242424242424242", "4000000000000002", ""), strict=True):
        outcome = payments.start(reference, correlation_id="c")
        if card:
            browser = Browser(running.sandbox)
            _, headers, _ = browser.get(outcome.next_url)
            _, headers, _ = browser.post(headers["Location"], card_form(card))
            if card == "4242424242424242":
                browser.post(headers["Location"])  # Confirm
        clock.advance(minutes=1)
        ids[reference] = payments.store.latest(reference).payment_id
    clock.advance(hours=2)  # the unpaid one expires (90 minutes)
    for reference in REFERENCES:
        payments.on_attempt(payments.store.latest(reference), correlation_id="c")
    return ids


def kinds(mismatches) -> list[tuple[str, str]]:
    return sorted((m.kind, m.reference) for m in mismatches)


def test_a_day_that_agrees_reports_nothing(payments, a_day, adapter):
    statuses = {r: payments.store.latest(r).status for r in REFERENCES}
    assert statuses == {REFERENCES[0]: "success", REFERENCES[1]: "failed", REFERENCES[2]: "failed"}
    assert compare_day(payments.store, adapter, DAY) == []
    assert compare_day(payments.store, adapter, DAY - timedelta(days=1)) == []


def test_every_page_of_pays_search_is_read(payments, a_day, adapter, running):
    running.sandbox.requests.clear()
    assert compare_day(payments.store, adapter, DAY, page_size=1) == []
    pages = [path for method, path in running.sandbox.requests if (method, path) == ("GET", "/v1/payments")]
    assert len(pages) == 3
    # Nothing had to be looked up one by one: every attempt was on one of the pages.
    assert not [path for method, path in running.sandbox.requests if path.startswith("/v1/payments/")]


def test_an_attempt_pay_does_not_have_is_reported(payments, a_day, adapter):
    aws.table("payments").update_item(
        Key={"reference": REFERENCES[0], "attempt": 1},
        UpdateExpression="SET payment_id = :id",
        ExpressionAttributeValues={":id": "no-such-payment-at-pay"},
    )
    mismatches = compare_day(payments.store, adapter, DAY)
    assert kinds(mismatches) == [(MISSING_AT_PAY, REFERENCES[0]), (MISSING_HERE, REFERENCES[0])]
    at_pay = next(m for m in mismatches if m.kind == MISSING_AT_PAY)
    assert (at_pay.payment_id, at_pay.attempt, at_pay.ours) == ("no-such-payment-at-pay", 1, "success 2500")


def test_a_payment_at_pay_that_is_none_of_ours_is_reported(payments, a_day, adapter):
    stray = adapter.create_payment(
        NewPayment(
            amount=999,
            reference="ZZZZ-9999",
            description="Made by hand",
            return_url="https://borough.example/elsewhere",
            metadata={"attempt": 1},
        )
    )
    mismatches = compare_day(payments.store, adapter, DAY)
    assert kinds(mismatches) == [(MISSING_HERE, "ZZZZ-9999")]
    assert (mismatches[0].payment_id, mismatches[0].pay) == (stray.payment_id, "created 999")


def test_a_state_that_differs_is_reported(payments, a_day, adapter, running):
    # Pay says the declined payment succeeded (a fault at one end or the other): reported, not "fixed".
    payment = running.sandbox.ledger.find(a_day[REFERENCES[1]])
    payment.status, payment.code = "success", None
    mismatches = compare_day(payments.store, adapter, DAY)
    assert kinds(mismatches) == [(STATE_DIFFERS, REFERENCES[1])]
    assert (mismatches[0].ours, mismatches[0].pay) == ("failed:P0010 2500", "success 2500")


def test_an_amount_that_differs_is_reported(payments, a_day, adapter):
    aws.table("payments").update_item(
        Key={"reference": REFERENCES[0], "attempt": 1},
        UpdateExpression="SET amount = :amount",
        ExpressionAttributeValues={":amount": 2000},
    )
    mismatches = compare_day(payments.store, adapter, DAY)
    assert kinds(mismatches) == [(AMOUNT_DIFFERS, REFERENCES[0])]
    assert (mismatches[0].ours, mismatches[0].pay) == ("success 2000", "success 2500")


def test_a_create_made_at_pay_after_midnight_is_no_mismatch_on_either_day(payments, adapter, clock, running):
    """A create queued at 23:59 (Pay's rate limit) is made by Pay after midnight: our day and Pay's differ."""
    clock.now = clock.now.replace(hour=23, minute=59, second=59)
    running.sandbox.rate_limit_per_second = 0
    payments.queue_create = lambda attempt: True  # held as `creating` here; what the create queue does is not tested
    payments.start(REFERENCES[0], correlation_id="c")
    clock.advance(seconds=2)  # 00:00:01 the next day
    running.sandbox.rate_limit_per_second = 15
    attempt = payments.store.latest(REFERENCES[0])
    payments.create_claimed(attempt, on_rate_limited=lambda a: False, correlation_id="c")
    assert payments.store.latest(REFERENCES[0]).payment_id
    assert compare_day(payments.store, adapter, DAY) == []
    assert compare_day(payments.store, adapter, DAY + timedelta(days=1)) == []


def test_the_report_is_a_log_line_per_mismatch_and_one_metric(payments, a_day, adapter, monkeypatch, caplog):
    aws.table("payments").update_item(
        Key={"reference": REFERENCES[0], "attempt": 1},
        UpdateExpression="SET amount = :amount",
        ExpressionAttributeValues={":amount": 1},
    )
    recorded: list[tuple[str, float]] = []
    monkeypatch.setattr(reconciler.metrics, "add_metric", lambda name, unit, value, **_: recorded.append((name, value)))
    counts = reconciler.report(compare_day(payments.store, adapter, DAY), DAY)
    assert counts == {kind: int(kind == AMOUNT_DIFFERS) for kind in MISMATCH_KINDS}
    assert recorded == [("PaymentMismatches", 1)]
    [mismatch] = [r for r in caplog.records if r.getMessage() == "Payment mismatch"]
    assert mismatch.levelname == "WARNING"
    fields = {name: getattr(mismatch, name, None) for name in ("day", "kind", "reference", "attempt", "ours", "pay")}
    assert fields == {
        "day": DAY.isoformat(),
        "kind": AMOUNT_DIFFERS,
        "reference": REFERENCES[0],
        "attempt": 1,
        "ours": "success 1",
        "pay": "success 2500",
    }
    recorded.clear()
    reconciler.report([], DAY)
    assert recorded == [("PaymentMismatches", 0)]  # a quiet night is a zero, not missing data


def test_the_nightly_handler_compares_yesterday(tables, running, api_key, monkeypatch):
    aws.reset()
    settings.reset()
    service.reset()
    boto3.client("secretsmanager", region_name="eu-west-2").create_secret(
        Name="borough/test/pay-api-key", SecretString=api_key
    )
    monkeypatch.setenv("PAYMENTS_TABLE", "payments")
    monkeypatch.setenv("REFUNDS_TABLE", "refunds")
    monkeypatch.setenv("PAY_BASE_URL", running.api_url)
    monkeypatch.setenv("PAY_API_KEY_SECRET_ID", "borough/test/pay-api-key")
    running.sandbox.requests.clear()
    try:
        answer = reconciler.nightly_handler({"source": "aws.events"}, FakeContext())
    finally:
        settings.reset()
        provider.reset()
    assert answer == dict.fromkeys(MISMATCH_KINDS, 0)
    searches = [path for method, path in running.sandbox.requests if method == "GET"]
    assert searches == [
        "/v1/payments",
        "/v1/refunds",
    ]  # payments, then refunds (tests/unit/payments/test_refund_comparison.py)


# -- the local Pay's search, as Pay's API description has it ------------------------------------------------------
def test_the_local_pays_search_takes_pays_states_and_refuses_others_with_422(sandbox, api_key):
    from tests.unit.payments.pay_support import WEB_PAYMENT, call

    assert call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=api_key)[0] == 201
    status, body, _ = call(sandbox, "GET", "/v1/payments?state=created", key=api_key)
    assert (status, body["total"], body["count"], body["page"]) == (200, 1, 1, 1)
    assert call(sandbox, "GET", "/v1/payments?state=success", key=api_key)[1]["total"] == 0
    for state in ("capturable", "paid", "SUCCESS"):  # `capturable` is a state, but not a search filter
        status, body, _ = call(sandbox, "GET", f"/v1/payments?state={state}", key=api_key)
        assert (status, body["code"]) == (422, "P0401"), state
        assert "state" in body["description"]


def test_the_local_pays_search_results_carry_the_links_pay_lists_for_them(sandbox, api_key):
    from tests.unit.payments.pay_support import WEB_PAYMENT, call

    call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=api_key)
    [result] = call(sandbox, "GET", "/v1/payments", key=api_key)[1]["results"]
    assert set(result["_links"]) <= {"self", "events", "refunds", "cancel", "capture"}  # PaymentLinksForSearch
    assert {"payment_id", "amount", "reference", "state", "created_date"} - set(result) == set()
