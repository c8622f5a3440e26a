"""Receipts: the payments service's `payment-succeeded` event becomes one email to the resident through GOV.UK Notify
(the stand-in over HTTP): the service, the request's reference, the amount in pounds, the date and Pay's payment
reference; once, however often the event arrives; nothing for a failed payment or a resident with no email."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from notifications import handler, receipts
from payments.logic import Payments
from payments.store import Attempt
from shared.events import CONSUMERS, EventEnvelope, EventType
from tests.helpers import FakeContext, sqs_event
from tests.unit.notifications import test_privacy_in_logs as privacy_tests

pytestmark = pytest.mark.unit
logs = privacy_tests.logs  # every line the functions' logger writes, as in Lambda

EMAIL = "payer@example.org"
PAY_ID = "hu20sqlact5260q2nanm0q8u93"


def put_paid_request(reference: str, contact: dict[str, Any] | None, amount: int = 3300) -> None:
    """A bulky waste request as the catalogue stores it and the payments service leaves it once paid."""
    item: dict[str, Any] = {
        "reference": reference,
        "service_id": "bulky-waste",
        "status": "received",
        "amount_due_pence": amount,
        "history": [],
    }
    if contact is not None:
        item["contact"] = contact
    boto3.resource("dynamodb").Table("requests_table").put_item(Item=item)


def outcome_event(reference: str, status: str = "success", code: str = "", at: datetime | None = None) -> EventEnvelope:
    """The event exactly as the payments service makes it for a finished attempt (its own builder)."""
    attempt = Attempt(
        reference=reference,
        attempt=1,
        service_id="bulky-waste",
        amount=3300,
        status=status,
        finished=True,
        return_token="token",
        created_at="2026-12-02T10:00:00+00:00",
        payment_id=PAY_ID,
        code=code,
    )
    event = Payments._outcome_event(attempt, "corr-pay")
    return event.model_copy(update={"time": at}) if at else event


def run(*events: EventEnvelope) -> list[dict]:
    return handler.handler(sqs_event(*(e.to_message() for e in events)), FakeContext())["batchItemFailures"]


def test_the_notifications_queue_receives_payment_succeeded_but_not_payment_failed():
    assert EventType.PAYMENT_SUCCEEDED in CONSUMERS["notifications"]
    assert EventType.PAYMENT_FAILED not in CONSUMERS["notifications"]


def test_a_successful_payment_sends_one_receipt_with_what_was_paid_for(use_notify, cloud):
    put_paid_request("BW-1", {"email": EMAIL, "preference": "sms", "phone": "07700900123"})
    event = outcome_event("BW-1", at=datetime(2026, 12, 2, 14, 30, tzinfo=UTC))
    assert run(event) == []
    assert run(event) == []  # at least once: the same event again sends nothing
    assert run(outcome_event("BW-1", at=datetime(2026, 12, 2, 14, 35, tzinfo=UTC))) == []  # a repeat, re-timed
    [sent] = use_notify.sandbox.messages
    assert (sent.type, sent.recipient) == ("email", EMAIL)  # a receipt is an email, whatever the update channel
    assert sent.subject == "Payment receipt: BW-1"
    for line in (
        "Service: Book a bulky waste collection",
        "Request reference: BW-1",
        "Amount paid: £33.00",
        "Date paid: 2 December 2026",
        f"GOV.UK Pay payment reference: {PAY_ID}",
    ):
        assert line in sent.body
    [record] = cloud.items("NOTIFICATIONS_TABLE")
    assert (record["template"], record["status"], record["event_type"]) == (
        "payment-receipt",
        "sent",
        "payment-succeeded",
    )


def test_the_date_paid_is_the_london_date():
    late_in_summer = outcome_event("BW-2", at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    assert receipts.paid_on(late_in_summer) == "1 July 2026"
    late_in_winter = outcome_event("BW-2", at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert receipts.paid_on(late_in_winter) == "31 December 2026"


@pytest.mark.parametrize(("status", "code"), [("failed", "P0010"), ("cancelled", "P0040"), ("error", "P0050")])
def test_no_receipt_for_a_payment_that_did_not_succeed(use_notify, cloud, status, code):
    put_paid_request("BW-3", {"email": EMAIL})
    assert run(outcome_event("BW-3", status, code)) == []
    assert use_notify.sandbox.messages == []
    assert cloud.items("NOTIFICATIONS_TABLE") == []


@pytest.mark.parametrize(
    "contact",
    [{"phone": "07700900123"}, {"email": EMAIL, "preference": "none"}, {"email": "not an address"}, None],
)
def test_no_receipt_without_an_email_address_to_send_it_to(use_notify, cloud, contact):
    put_paid_request("BW-4", contact)
    assert run(outcome_event("BW-4")) == []
    assert use_notify.sandbox.messages == []


def test_the_receipt_is_logged_by_id_only(use_notify, cloud, caplog, logs):
    caplog.set_level(logging.INFO)
    put_paid_request("BW-5", {"email": EMAIL})
    assert run(outcome_event("BW-5")) == []
    [sent] = use_notify.sandbox.messages
    output = logs.getvalue() + caplog.text
    assert sent.reference in output  # the message is logged, by its id
    assert EMAIL not in output
    assert "payer@" not in output
    assert "Amount paid" not in output
