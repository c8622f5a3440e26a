"""Notifications under faults (issue 9, item 6): every record fits the function's timeout or is handed back
unattempted; a message refused because of our configuration (a revoked key, a missing template id) is held and
sent once it is fixed; a 403 reads the key again (rotation without a redeploy)."""

from __future__ import annotations

import json
import socket
import threading
import time

import boto3
import pytest

from local.sandbox.notify import SANDBOX_API_KEY, SANDBOX_SECRET, SANDBOX_SERVICE_ID
from notifications import adapters, handler, replay, settings, templates
from notifications.adapters import TemporaryFailure
from notifications.adapters import notify as notify_adapter
from notifications.adapters.notify import NotifyAdapter
from shared.events import EventEnvelope, EventType, new_event
from tests.helpers import FakeContext, sqs_event

pytestmark = pytest.mark.unit

EMAIL = {"email": "resident@example.org"}
CONSUMER_TIMEOUT_SECONDS = 10  # stacks.constructs.function's default, the consumer's
REVOKED_KEY = f"borough-{SANDBOX_SERVICE_ID}-00000000-0000-4000-8000-000000000000"
NEW_SECRET = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def acknowledged(reference: str) -> EventEnvelope:
    return new_event(EventType.REQUEST_ACKNOWLEDGED, source="test", correlation_id="c", data={"reference": reference})


class SlowContext(FakeContext):
    """A Lambda context whose clock moves on `seconds_per_look` each time the handler asks for the time left."""

    def __init__(self, seconds_per_look: float) -> None:
        super().__init__()
        self.left_ms = CONSUMER_TIMEOUT_SECONDS * 1000
        self.step_ms = int(seconds_per_look * 1000)

    def get_remaining_time_in_millis(self) -> int:
        left, self.left_ms = self.left_ms, self.left_ms - self.step_ms
        return left


def run(*events: EventEnvelope, context: FakeContext | None = None) -> list[dict]:
    return handler.handler(sqs_event(*(e.to_message() for e in events)), context or FakeContext())["batchItemFailures"]


def statuses(cloud) -> list[str]:
    return sorted(str(m["status"]) for m in cloud.items("NOTIFICATIONS_TABLE"))


# -- time ---------------------------------------------------------------------------------------------------------
def test_one_records_worst_case_fits_the_consumers_timeout_with_margin():
    worst = notify_adapter.WORST_CASE_SECONDS
    assert worst == notify_adapter.CALLS_PER_MESSAGE * notify_adapter.REQUEST_WORST_CASE_SECONDS
    adapter = NotifyAdapter(SANDBOX_API_KEY, template_ids={}, reread_key=lambda: SANDBOX_API_KEY)
    assert adapter.worst_case_seconds == worst + notify_adapter.key_reread_seconds()  # the re-read after a 403
    budget = handler.record_budget_seconds(adapter)
    assert budget == adapter.worst_case_seconds + handler.STORE_SECONDS + handler.MARGIN_SECONDS
    assert budget <= CONSUMER_TIMEOUT_SECONDS - 1


def test_the_notify_client_has_a_connect_and_a_read_timeout_and_no_retries_of_its_own():
    client = NotifyAdapter(SANDBOX_API_KEY, template_ids={})._client
    assert client.timeout == (notify_adapter.CONNECT_TIMEOUT_SECONDS, notify_adapter.READ_TIMEOUT_SECONDS)
    for scheme in ("https://", "http://"):
        assert client.request_session.get_adapter(scheme + "notify.example").max_retries.total == 0


def test_a_notify_that_never_answers_is_given_up_within_one_calls_worst_case():
    with socket.socket() as listener:  # accepts the connection, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        accepted: list[socket.socket] = []
        threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
        silent = NotifyAdapter(
            SANDBOX_API_KEY,
            template_ids=templates.notify_template_ids(),
            base_url=f"http://127.0.0.1:{listener.getsockname()[1]}",
        )
        started = time.monotonic()
        with pytest.raises(TemporaryFailure) as failed:
            silent.find_sent("3f0e7c1a-0000-4000-8000-000000000001")
        elapsed = time.monotonic() - started
        for connection in accepted:
            connection.close()
    assert failed.value.maybe_sent is True
    assert elapsed < notify_adapter.REQUEST_WORST_CASE_SECONDS + 0.5


def test_records_the_time_left_cannot_cover_are_handed_back_unattempted(use_notify, cloud, put_request):
    events = [acknowledged(f"T-{n}") for n in range(10)]
    for event in events:
        put_request(event.data["reference"], EMAIL)
    # Each record seems to take 3 s (a slow Notify): after the first, the time left is under one record's budget.
    assert handler.record_budget_seconds(adapters.from_environment()) > CONSUMER_TIMEOUT_SECONDS - 3
    failures = run(*events, context=SlowContext(seconds_per_look=3))
    assert len(failures) == 9
    assert len(use_notify.sandbox.messages) == 1
    assert statuses(cloud) == ["sent"]  # the others were not even recorded: nothing half done

    assert run(*events) == []  # SQS delivers them again, to a function with its time ahead of it
    assert len(use_notify.sandbox.messages) == 10


def test_a_failed_look_up_after_an_interrupted_attempt_still_looks_first_next_time(
    use_notify, cloud, put_request, monkeypatch
):
    """An attempt sent the message and died before confirming; the next one's look-up meets a 500 (or a rotated
    key's 403): the message must stay `sending`, so the attempt after looks again instead of sending twice."""
    from notifications.store import MessageStore

    put_request("L-1", EMAIL)
    event = acknowledged("L-1")
    real_confirm = MessageStore.confirm
    monkeypatch.setattr(MessageStore, "confirm", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("died")))
    assert len(run(event)) == 1
    monkeypatch.setattr(MessageStore, "confirm", real_confirm)

    real_find_sent, failures = NotifyAdapter.find_sent, [TemporaryFailure("notify-500", maybe_sent=False)]

    def look_up_fails_once(self, message_id):
        if failures:
            raise failures.pop()
        return real_find_sent(self, message_id)

    monkeypatch.setattr(NotifyAdapter, "find_sent", look_up_fails_once)
    assert len(run(event)) == 1
    assert statuses(cloud) == ["sending"]
    assert run(event) == []
    assert statuses(cloud) == ["sent"]
    assert len(use_notify.sandbox.messages) == 1


# -- held messages ----------------------------------------------------------------------------------------------
def test_a_revoked_key_holds_the_message_and_the_rest_of_the_batch_does_not_ask(
    use_notify, cloud, put_request, monkeypatch
):
    for reference in ("K-1", "K-2", "K-3"):
        put_request(reference, EMAIL)
    monkeypatch.setenv("NOTIFY_API_KEY", REVOKED_KEY)
    settings.reset()
    adapters.from_environment.cache_clear()
    asked: list[str | None] = []
    authenticate = use_notify.sandbox.authenticate
    monkeypatch.setattr(use_notify.sandbox, "authenticate", lambda header: asked.append(header) or authenticate(header))
    events = [acknowledged(r) for r in ("K-1", "K-2", "K-3")]
    assert len(run(*events)) == 3
    [held] = [m for m in cloud.items("NOTIFICATIONS_TABLE") if m["status"] != "recorded"]
    assert (held["status"], held["last_error"]) == ("held", "notify-auth")
    assert len(asked) == 1  # one refusal; the rest of the batch did not ask

    # A person puts the right key in place (a new container reads it): the same events send each message once.
    monkeypatch.setenv("NOTIFY_API_KEY", SANDBOX_API_KEY)
    settings.reset()
    adapters.from_environment.cache_clear()
    assert run(*events) == []
    assert statuses(cloud) == ["sent", "sent", "sent"]
    assert len(use_notify.sandbox.messages) == 3


def test_a_held_message_waits_long_before_its_retry(use_notify, cloud, put_request, monkeypatch):
    put_request("K-4", EMAIL)
    monkeypatch.setenv("NOTIFY_TEMPLATE_IDS", json.dumps({"acknowledgement:email": NEW_SECRET}))  # not in Notify
    settings.reset()
    adapters.from_environment.cache_clear()
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=acknowledged("K-4").to_message())
    [message] = sqs.receive_message(QueueUrl=cloud.queue_url, MaxNumberOfMessages=1)["Messages"]
    event = sqs_event(message["Body"])
    event["Records"][0]["receiptHandle"] = message["ReceiptHandle"]
    arn = sqs.get_queue_attributes(QueueUrl=cloud.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    event["Records"][0]["eventSourceARN"] = arn
    seen: list[int] = []
    real = handler.aws.client("sqs").change_message_visibility

    def record(**kwargs):
        seen.append(kwargs["VisibilityTimeout"])
        return real(**kwargs)

    monkeypatch.setattr(handler.aws.client("sqs"), "change_message_visibility", record)
    assert len(handler.handler(event, FakeContext())["batchItemFailures"]) == 1
    [held] = cloud.items("NOTIFICATIONS_TABLE")
    assert (held["status"], held["last_error"]) == ("held", "notify-400-BadRequestError")
    assert seen == [handler.HOLD_SECONDS]


def test_a_missing_template_id_is_held_and_the_replay_sends_it_once_fixed(use_notify, cloud, put_request, monkeypatch):
    put_request("T-1", EMAIL)
    event = acknowledged("T-1")
    monkeypatch.setenv("NOTIFY_TEMPLATE_IDS", json.dumps({"acknowledgement:email": NEW_SECRET}))  # not in Notify
    settings.reset()
    adapters.from_environment.cache_clear()
    assert len(run(event)) == 1
    assert statuses(cloud) == ["held"]

    # After its retries the event is on the dead-letter queue; the template id is fixed and deployed; replayed.
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=cloud.dlq_url, MessageBody=event.to_message())
    monkeypatch.delenv("NOTIFY_TEMPLATE_IDS")
    settings.reset()
    adapters.from_environment.cache_clear()
    assert replay.main(["--queue-url", cloud.dlq_url, "--to", cloud.queue_url, "--mode", "copy"], sqs=sqs) == 0
    [replayed] = sqs.receive_message(QueueUrl=cloud.queue_url, MaxNumberOfMessages=10)["Messages"]
    assert handler.handler(sqs_event(replayed["Body"]), FakeContext())["batchItemFailures"] == []
    assert statuses(cloud) == ["sent"]
    assert len(use_notify.sandbox.messages) == 1


def test_a_rotated_key_is_read_again_from_its_secret_without_a_redeploy(use_notify, cloud, put_request, monkeypatch):
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="borough/test/notify-api-key", SecretString=json.dumps({"api_key": SANDBOX_API_KEY}))
    monkeypatch.delenv("NOTIFY_API_KEY")
    monkeypatch.setenv("NOTIFY_API_KEY_SECRET_ID", "borough/test/notify-api-key")
    settings.reset()
    adapters.from_environment.cache_clear()
    for reference in ("R-1", "R-2", "R-3"):
        put_request(reference, EMAIL)
    assert run(acknowledged("R-1")) == []

    # Rotation: a new key in Notify and in the secret, the old one revoked. This container still holds the old one.
    new_key = f"borough_sandbox-{SANDBOX_SERVICE_ID}-{NEW_SECRET}"
    secrets.put_secret_value(SecretId="borough/test/notify-api-key", SecretString=json.dumps({"api_key": new_key}))
    use_notify.sandbox.services[SANDBOX_SERVICE_ID] = [NEW_SECRET]
    second, third = acknowledged("R-2"), acknowledged("R-3")
    assert len(run(second, third)) == 1  # R-2 met the 403 and is retried; R-3 went with the new key
    assert run(second) == []
    assert statuses(cloud) == ["sent", "sent", "sent"]
    assert len(use_notify.sandbox.messages) == 3
    assert SANDBOX_SECRET not in use_notify.sandbox.services[SANDBOX_SERVICE_ID]
