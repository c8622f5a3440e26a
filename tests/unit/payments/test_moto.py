"""Payments by phone (MOTO, payments/moto.py and moto_handler.py) against the local Pay over HTTP and moto tables:
a `moto_api` payment for the stored amount, the card posted once to `auth_url_post` with the one-time token, the
outcome read from Pay (paid, declined, error), a success followed up like the web's, and the card details never in
a log, a trace or a table."""

from __future__ import annotations

import json
import logging

import pytest

from payments import moto_handler
from payments.moto import Moto, card_from
from shared import aws
from shared.errors import Conflict, ValidationFailed
from tests.helpers import FakeContext, function_logs
from tests.trace_recorder import recording
from tests.unit.payments.test_payments_service import REFERENCE, Published, service

pytestmark = pytest.mark.unit

GOOD = {"card_number": "4242 4242 4242 4242", "expiry_date": "04/29", "cvc": "123", "cardholder_name": "A Resident"}
DECLINED = "4000000000000002"
ERROR = "4000000000000119"


def put_request(channel: str = "phone", amount: int = 3300) -> None:
    aws.table("requests").put_item(
        Item={
            "reference": REFERENCE,
            "service_id": "bulky-waste",
            "service_title": "Book a bulky waste collection",
            "status": "awaiting-payment",
            "channel": channel,
            "amount_due_pence": amount,
            "submitted_at": "2026-03-02T09:00:00+00:00",
            "history": [{"status": "awaiting-payment", "at": "2026-03-02T09:00:00+00:00"}],
            "expires_at": 2_000_000_000,
        }
    )


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
def moto(tables, running, api_key, clock, published) -> Moto:
    from payments.adapters.pay import GovUkPayAdapter

    put_request()
    return Moto(service(GovUkPayAdapter(api_key, base_url=running.api_url), clock, published))


def request_status() -> str:
    return str(aws.table("requests").get_item(Key={"reference": REFERENCE})["Item"]["status"])


def test_a_good_card_pays_the_stored_amount_by_moto_and_the_request_goes_to_its_team(moto, running, published):
    result = moto.take(REFERENCE, card_from(GOOD), correlation_id="c")
    assert (result.outcome, result.amount) == ("paid", 3300)
    [payment] = running.sandbox.ledger.payments.values()
    assert payment.authorisation_mode == "moto_api"
    assert payment.amount == 3300
    assert payment.return_url is None
    assert [path for method, path in running.sandbox.requests if method == "POST"] == ["/v1/payments", "/v1/auth"]
    assert request_status() == "received"
    assert published.types() == ["payment-succeeded"]
    again = moto.take(REFERENCE, card_from(GOOD), correlation_id="c")  # a second click: already paid, nothing taken
    assert again.outcome == "paid"
    assert len(running.sandbox.ledger.payments) == 1


def test_a_declined_card_can_be_tried_again_with_another(moto, running, published):
    declined = moto.take(REFERENCE, card_from({**GOOD, "card_number": DECLINED}), correlation_id="c")
    assert (declined.outcome, declined.attempt.code) == ("declined", "P0010")
    assert request_status() == "awaiting-payment"
    paid = moto.take(REFERENCE, card_from(GOOD), correlation_id="c")
    assert (paid.outcome, paid.attempt.attempt) == ("paid", 2)
    assert published.types() == ["payment-failed", "payment-succeeded"]


def test_a_provider_error_is_an_error_and_takes_nothing(moto, running):
    result = moto.take(REFERENCE, card_from({**GOOD, "card_number": ERROR}), correlation_id="c")
    assert result.outcome == "error"
    assert request_status() == "awaiting-payment"


def test_the_read_back_says_what_pay_says(moto, running):
    assert moto.status(REFERENCE, correlation_id="c").outcome == "not-started"
    moto.take(REFERENCE, card_from({**GOOD, "card_number": DECLINED}), correlation_id="c")
    assert moto.status(REFERENCE, correlation_id="c").outcome == "declined"
    moto.take(REFERENCE, card_from(GOOD), correlation_id="c")
    assert moto.status(REFERENCE, correlation_id="c").outcome == "paid"


def test_only_a_request_staff_submitted_is_paid_by_phone(moto, running):
    put_request(channel="online")
    with pytest.raises(Conflict):
        moto.take(REFERENCE, card_from(GOOD), correlation_id="c")
    assert running.sandbox.ledger.payments == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"card_number": "4242"}, "card_number"),
        ({"expiry_date": "13/29"}, "expiry_date"),
        ({"expiry_date": "01/20"}, "expiry_date"),
        ({"cvc": "12"}, "cvc"),
        ({"cardholder_name": " "}, "cardholder_name"),
    ],
)
def test_bad_card_details_are_refused_before_pay_is_asked_and_not_repeated(change, field):
    with pytest.raises(ValidationFailed) as refused:
        card_from({**GOOD, **change})
    assert [e["field"] for e in refused.value.errors] == [field]
    assert all(str(v).strip() not in json.dumps(refused.value.errors) for v in change.values() if str(v).strip())


@pytest.fixture
def logs():
    with function_logs() as stream:
        yield stream


def test_the_card_details_are_in_no_log_trace_table_or_answer(moto, running, monkeypatch, logs, caplog):
    caplog.set_level(logging.INFO)  # every other logger (botocore's DEBUG lines are hex, where any CVC may appear)
    monkeypatch.setattr(moto_handler, "settings", lambda: None)
    monkeypatch.setattr(moto_handler, "moto", lambda: moto)
    event = {"action": "take", "reference": REFERENCE, "card": {**GOOD, "cvc": "987"}, "correlation_id": "c"}
    with recording() as provider:
        answer = moto_handler.handler(event, FakeContext())
        declined = moto_handler.handler(
            {**event, "card": {**GOOD, "card_number": DECLINED, "cvc": "987"}}, FakeContext()
        )
        refused = moto_handler.handler({**event, "card": {**GOOD, "cvc": "98"}}, FakeContext())
    assert answer["body"]["outcome"] == "paid"
    assert declined["status"] == 200  # already paid: nothing taken
    assert refused["status"] == 422
    logged = logs.getvalue()
    recorded = repr([(s.name, s.annotations, s.metadata, s.exceptions) for s in provider.subsegments])
    stored = json.dumps(
        [aws.table(name).scan()["Items"] for name in ("payments", "requests")], default=str
    )  # the test looks; the service never scans
    everything = logged + caplog.text + recorded + stored + json.dumps(answer) + json.dumps(refused)
    assert "MOTO payment" in logged  # the handler did log, without the card
    for secret in ("4242424242424242", "4242 4242 4242 4242", DECLINED, "987", "A Resident"):
        assert secret not in everything


def test_coming_back_after_a_decline_keeps_both_cards_out_of_every_log_trace_table_and_answer(
    moto, running, monkeypatch, logs, caplog
):
    """The console's way back (`GET /staff/assisted/pay/<reference>`, then the card form again): a declined card,
    the outcome read back later, then another card, each a separate invocation."""
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(moto_handler, "settings", lambda: None)
    monkeypatch.setattr(moto_handler, "moto", lambda: moto)
    take = {"action": "take", "reference": REFERENCE, "correlation_id": "c"}
    first = {**GOOD, "card_number": DECLINED, "cvc": "5791", "cardholder_name": "First Cardholder"}
    second = {**GOOD, "cvc": "8642", "cardholder_name": "Second Cardholder"}
    with recording() as provider:
        declined = moto_handler.handler({**take, "card": first}, FakeContext())
        read_back = moto_handler.handler({"action": "status", "reference": REFERENCE}, FakeContext())
        taken = moto_handler.handler({**take, "card": second}, FakeContext())
    outcomes = [answer["body"]["outcome"] for answer in (declined, read_back, taken)]
    assert outcomes == ["declined", "declined", "paid"]
    assert request_status() == "received"
    recorded = repr([(s.name, s.annotations, s.metadata, s.exceptions) for s in provider.subsegments])
    stored = json.dumps([aws.table(name).scan()["Items"] for name in ("payments", "requests")], default=str)
    answers = json.dumps([declined, read_back, taken])
    everything = logs.getvalue() + caplog.text + recorded + stored + answers
    for secret in (DECLINED, "4242424242424242", "4242 4242 4242 4242", "Cardholder"):
        assert secret not in everything
    for code in ("5791", "8642"):  # as values: random ids and times may hold any four digits
        assert f'"{code}"' not in everything
        assert f"'{code}'" not in everything


def test_the_handler_refuses_unknown_actions_and_references(monkeypatch):
    monkeypatch.setattr(moto_handler, "settings", lambda: None)
    assert moto_handler.handler({"action": "refund", "reference": REFERENCE}, FakeContext())["status"] == 400
    assert moto_handler.handler({"action": "take", "reference": "x"}, FakeContext())["status"] == 400


ORDER = "7KXM-3RAH"


def register(moto: Moto, service_id: str = "parking-permit", amount: int = 9000) -> None:
    assert moto.payments.register_order(ORDER, service_id=service_id, title="Parking permit", amount=amount)


def test_a_registered_permit_order_is_paid_by_phone_for_its_stored_amount_and_announced_order_paid(
    moto, running, published
):
    register(moto)
    assert moto.status(ORDER, correlation_id="c").outcome == "not-started"
    declined = moto.take(ORDER, card_from({**GOOD, "card_number": DECLINED}), correlation_id="c")
    assert declined.outcome == "declined"
    paid = moto.take(ORDER, card_from(GOOD), correlation_id="c")
    assert (paid.outcome, paid.amount, paid.attempt.attempt) == ("paid", 9000, 2)
    amounts = sorted(p.amount for p in running.sandbox.ledger.payments.values())
    assert amounts == [9000, 9000]
    assert all(p.authorisation_mode == "moto_api" for p in running.sandbox.ledger.payments.values())
    assert published.types() == ["payment-failed", "order-paid"]
    again = moto.take(ORDER, card_from(GOOD), correlation_id="c")  # a second click: paid already, nothing taken
    assert again.outcome == "paid"
    assert len(running.sandbox.ledger.payments) == 2
    assert published.types() == ["payment-failed", "order-paid"]


def test_an_order_of_another_service_is_not_paid_by_phone(moto, running):
    register(moto, service_id="parking-permit-change", amount=1200)
    with pytest.raises(Conflict):
        moto.take(ORDER, card_from(GOOD), correlation_id="c")
    assert running.sandbox.ledger.payments == {}
