"""The consumer sends each message at most once: duplicates, crashes after sending, rate limits, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from notifications import adapters, delivery, handler, logic
from notifications.adapters import LookupUnsupported, Outgoing, TemporaryFailure
from notifications.store import InFlight, MessageStore
from shared.events import EventEnvelope, EventType, new_event
from tests.helpers import FakeContext, sqs_event

pytestmark = pytest.mark.unit

EMAIL = {"email": "resident@example.org"}


def acknowledged(reference: str) -> EventEnvelope:
    return new_event(
        EventType.REQUEST_ACKNOWLEDGED,
        source="test",
        correlation_id="corr-1",
        data={"reference": reference, "team": "Street cleansing", "expected_by": "2026-12-08"},
    )


def run(*events: EventEnvelope) -> list[dict]:
    return handler.handler(sqs_event(*(e.to_message() for e in events)), FakeContext())["batchItemFailures"]


def only_message(cloud) -> dict:
    [message] = cloud.items("NOTIFICATIONS_TABLE")
    return message


def test_a_duplicate_event_sends_one_message(use_notify, cloud, put_request):
    put_request("GRF-1", EMAIL)
    event = acknowledged("GRF-1")
    assert run(event) == []
    assert run(event) == []
    [sent] = use_notify.sandbox.messages
    message = only_message(cloud)
    assert (message["status"], message["attempts"], message["provider_id"]) == ("sent", 1, sent.id)
    assert sent.reference == message["message_id"]
    assert "Tuesday 8 December 2026" in sent.body


def test_a_crash_after_sending_does_not_send_twice(use_notify, cloud, monkeypatch, put_request):
    put_request("GRF-2", EMAIL)
    event = acknowledged("GRF-2")
    real_confirm = MessageStore.confirm

    def crash(*args, **kwargs):
        raise RuntimeError("the process died before it could confirm")

    monkeypatch.setattr(MessageStore, "confirm", crash)
    assert len(run(event)) == 1  # the record fails: SQS will deliver it again
    assert len(use_notify.sandbox.messages) == 1
    assert only_message(cloud)["status"] == "sending"

    monkeypatch.setattr(MessageStore, "confirm", real_confirm)
    assert run(event) == []
    [sent] = use_notify.sandbox.messages  # still one
    message = only_message(cloud)
    assert (message["status"], message["provider_id"], message["attempts"]) == ("sent", sent.id, 2)
    assert ("GET", "/v2/notifications") in use_notify.sandbox.requests  # looked up by reference, not resent


def test_a_crash_that_leaves_the_lease_waits_for_it_then_recovers(use_notify, cloud, put_request):
    put_request("GRF-3", EMAIL)
    [message] = logic.compose(acknowledged("GRF-3"), {"reference": "GRF-3", "contact": EMAIL})
    store = MessageStore("notifications_table")
    start = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    store.record([message], start)
    assert store.claim(message["message_id"], start) == "recorded"
    adapters.from_environment().send_email(delivery.outgoing(message))  # sent, then the process was killed
    with pytest.raises(InFlight):  # a redelivery within the lease waits
        delivery.deliver(message, store=store, adapter=adapters.from_environment(), clock=lambda: start)
    later = start + timedelta(seconds=61)
    outcome = delivery.deliver(message, store=store, adapter=adapters.from_environment(), clock=lambda: later)
    assert outcome is delivery.Outcome.RECOVERED
    assert len(use_notify.sandbox.messages) == 1


def test_rate_limited_records_fail_with_backoff_and_are_retried(use_notify, cloud, put_request):
    put_request("GRF-4", EMAIL)
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=cloud.queue_url, Attributes={"VisibilityTimeout": "0"})
    sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=acknowledged("GRF-4").to_message())
    [received] = sqs.receive_message(QueueUrl=cloud.queue_url, AttributeNames=["All"])["Messages"]
    arn = sqs.get_queue_attributes(QueueUrl=cloud.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    event = sqs_event(received["Body"])
    event["Records"][0] |= {"receiptHandle": received["ReceiptHandle"], "eventSourceARN": arn}

    use_notify.sandbox.fail_next(
        429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"
    )
    response = handler.handler(event, FakeContext())
    assert len(response["batchItemFailures"]) == 1
    assert only_message(cloud)["status"] == "retrying"
    # The record's visibility was pushed out (the queue's own timeout is 0): it is not redelivered at once.
    assert sqs.receive_message(QueueUrl=cloud.queue_url).get("Messages", []) == []

    assert handler.handler(event, FakeContext())["batchItemFailures"] == []  # SQS's redelivery
    message = only_message(cloud)
    assert (message["status"], message["attempts"]) == ("sent", 2)
    assert len(use_notify.sandbox.messages) == 1


def test_once_rate_limited_the_rest_of_the_batch_waits(use_notify, cloud, put_request):
    for reference in ("A-1", "A-2", "A-3"):
        put_request(reference, EMAIL)
    use_notify.sandbox.fail_next(429, "RateLimitError", "Exceeded rate limit")
    failures = run(acknowledged("A-1"), acknowledged("A-2"), acknowledged("A-3"))
    assert len(failures) == 3
    assert [r for r in use_notify.sandbox.requests if r[0] == "POST"] == [("POST", "/v2/notifications/email")]


def test_a_permanent_failure_is_recorded_and_not_retried(use_notify, cloud, put_request):
    put_request("GRF-5", EMAIL)
    event = acknowledged("GRF-5")
    use_notify.sandbox.fail_next(400, "BadRequestError", "Can't send to this recipient using a team-only API key")
    assert run(event) == []
    message = only_message(cloud)
    assert (message["status"], message["last_error"]) == ("failed", "notify-400-BadRequestError")
    assert run(event) == []  # even if the event came again
    assert use_notify.sandbox.messages == []


def test_a_500_is_retried_and_then_sent(use_notify, cloud, put_request):
    put_request("GRF-6", EMAIL)
    event = acknowledged("GRF-6")
    use_notify.sandbox.fail_next(500, "Exception", "Internal server error")
    assert len(run(event)) == 1
    assert run(event) == []
    assert len(use_notify.sandbox.messages) == 1


class Flaky:
    """An adapter that hands the message over but reports a timeout, and cannot be asked afterwards."""

    name = "flaky"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send_email(self, message: Outgoing) -> str:
        self.sent.append(message)
        raise TemporaryFailure("timeout", maybe_sent=True)

    send_sms = send_letter = send_email

    def find_sent(self, message_id: str) -> str | None:
        raise LookupUnsupported


def test_an_unknown_outcome_without_lookup_is_not_resent(cloud):
    [message] = logic.compose(acknowledged("GRF-7"), {"reference": "GRF-7", "contact": EMAIL})
    store, flaky = MessageStore("notifications_table"), Flaky()
    store.record([message], datetime.now(UTC))
    with pytest.raises(TemporaryFailure):
        delivery.deliver(message, store=store, adapter=flaky)
    assert delivery.deliver(message, store=store, adapter=flaky) is delivery.Outcome.UNCERTAIN
    assert len(flaky.sent) == 1
    assert store.get(message["message_id"])["status"] == "uncertain"


def test_record_only_mode_records_and_confirms(cloud, put_request):
    put_request("GRF-8", {"phone": "07700 900123"})
    assert run(acknowledged("GRF-8")) == []
    message = only_message(cloud)
    assert (message["status"], message["channel"], message["provider"]) == ("sent", "sms", "record-only")


def test_backoff_grows_with_jitter_and_respects_the_providers_hint():
    assert handler.backoff_seconds(1, rand=0) == 7
    assert handler.backoff_seconds(1, rand=1) == 15
    assert handler.backoff_seconds(4, rand=0) == 60
    assert handler.backoff_seconds(20, rand=1) == handler.MAX_BACKOFF_SECONDS
    assert 60 <= handler.backoff_seconds(1, retry_after=60, rand=0.5) <= 90
    assert (
        handler.queue_url("arn:aws:sqs:eu-west-2:123456789012:q")
        == "https://sqs.eu-west-2.amazonaws.com/123456789012/q"
    )
