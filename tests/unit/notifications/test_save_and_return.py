"""Save and return: the web's `draft-saved` and `draft-expiring` events become one email with the return link."""

from __future__ import annotations

import time

import boto3
import pytest

from notifications import handler, reminders, save_and_return
from shared.events import CONSUMERS, EventEnvelope, EventType, new_event
from tests.helpers import FakeContext, sqs_event

pytestmark = pytest.mark.unit

EXPIRES_AT = 1_774_569_600  # 27 March 2026, 00:00 UTC
RETURN_PATH = "/services/missed-bin/return/draft-123.token-abc"


@pytest.fixture
def drafts(cloud, monkeypatch):
    boto3.client("dynamodb").create_table(
        TableName="drafts_table",
        KeySchema=[{"AttributeName": "draft_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "draft_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("DRAFTS_TABLE", "drafts_table")
    from notifications import settings

    settings.reset()
    table = boto3.resource("dynamodb").Table("drafts_table")

    def put(**changes):
        item = {
            "draft_id": "draft-123",
            "service_id": "missed-bin",
            "answers": "{}",
            "expires_at": EXPIRES_AT,
            "email": "resident@example.org",
            "return_path": RETURN_PATH,
        }
        table.put_item(Item={k: v for k, v in (item | changes).items() if v is not None})

    return put


def saved(**data) -> EventEnvelope:
    return new_event(
        EventType.DRAFT_SAVED,
        source="web",
        correlation_id="corr-1",
        data={"draft_id": "draft-123", "service_id": "missed-bin", "expires_at": EXPIRES_AT} | data,
    )


def expiring(days_left: int) -> EventEnvelope:
    return new_event(
        EventType.DRAFT_EXPIRING,
        source="web",
        correlation_id="corr-2",
        data={"draft_id": "draft-123", "service_id": "missed-bin", "expires_at": EXPIRES_AT, "days_left": days_left},
    )


def run(*events: EventEnvelope) -> list[dict]:
    return handler.handler(sqs_event(*(e.to_message() for e in events)), FakeContext())["batchItemFailures"]


def test_the_notifications_queue_receives_the_save_and_return_events():
    assert {EventType.DRAFT_SAVED, EventType.DRAFT_EXPIRING} <= set(CONSUMERS["notifications"])


def test_a_saved_draft_is_emailed_its_return_link_and_expiry_date_once(use_notify, cloud, drafts):
    drafts()
    event = saved()
    assert run(event) == []
    assert run(event) == []  # at-least-once delivery: the same event again sends nothing
    [sent] = use_notify.sandbox.messages
    assert sent.type == "email"
    assert sent.recipient == "resident@example.org"
    assert sent.subject == "Your saved application: Report a missed bin collection"
    assert f"https://borough.example{RETURN_PATH}" in sent.body
    assert "saved until 27 March 2026" in sent.body
    [record] = cloud.items("NOTIFICATIONS_TABLE")
    assert (record["template"], record["status"], record["event_type"]) == ("draft-saved", "sent", "draft-saved")
    assert "draft_id" not in record  # a bearer value: only the link the resident is sent carries it


@pytest.mark.parametrize("event", [saved, lambda: expiring(7)])
def test_the_message_record_keeps_no_return_link_but_the_sent_email_has_it(use_notify, cloud, drafts, event):
    drafts()
    assert run(event()) == []
    [sent] = use_notify.sandbox.messages  # what Notify (the stand-in) was sent, from its own store
    assert f"https://borough.example{RETURN_PATH}" in sent.body
    [record] = cloud.items("NOTIFICATIONS_TABLE")
    stored = repr(record)
    assert "token-abc" not in stored
    assert "draft-123" not in stored
    assert RETURN_PATH.rsplit("/", 1)[0] not in stored
    assert "use this link: [return link]" in record["body"]
    assert record["personalisation"]["return_url"] == "[return link]"
    assert record["status"] == "sent"


@pytest.mark.parametrize(("days_left", "words"), [(7, "deleted in 7 days"), (1, "deleted in 1 day,")])
def test_an_expiring_draft_says_how_many_days_are_left(use_notify, cloud, drafts, days_left, words):
    drafts()
    assert run(expiring(days_left)) == []
    [sent] = use_notify.sandbox.messages
    assert words in sent.body
    assert f"https://borough.example{RETURN_PATH}" in sent.body


@pytest.mark.parametrize(
    "draft",
    [
        {"reference": "MSB-1234-ABCD"},  # submitted since
        {"expires_at": EXPIRES_AT + 3600},  # saved again since: a newer event speaks for it
        {"email": None},
        {"email": "not an address"},
        {"return_path": None},
    ],
)
def test_nothing_is_sent_for_a_submitted_resaved_or_unusable_draft(cloud, drafts, draft):
    drafts(**draft)
    assert save_and_return.compose(saved()) == []
    assert run(saved()) == []
    assert cloud.items("NOTIFICATIONS_TABLE") == []


def test_nothing_is_sent_for_a_draft_that_is_gone(cloud, drafts):
    assert run(saved(), expiring(1)) == []
    assert cloud.items("NOTIFICATIONS_TABLE") == []


def test_an_unknown_service_is_named_by_its_id(cloud, drafts):
    drafts(service_id="retired-service")
    [message] = save_and_return.compose(saved(service_id="retired-service"))
    assert message["subject"] == "Your saved application: retired-service"


def test_subscriptions_carry_a_ttl_until_confirmed_and_after_unsubscribing(cloud):
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    subscription_id, _ = reminders.subscribe("ME14 1HQ", {"email": "a@example.org"}, now)
    table = boto3.resource("dynamodb").Table("subscriptions_table")
    pending = table.get_item(Key={"subscription_id": subscription_id})["Item"]
    assert int(pending["expires_at"]) == int((now + reminders.PENDING_RETENTION).timestamp())
    reminders.confirm(reminders.sign("confirm", subscription_id, 1, now + reminders.CONFIRM_LINK_LIFETIME), now)
    active = table.get_item(Key={"subscription_id": subscription_id})["Item"]
    assert "expires_at" not in active
    reminders.unsubscribe(reminders.sign("unsubscribe", subscription_id, 2, now + reminders.CONFIRM_LINK_LIFETIME), now)
    left = table.get_item(Key={"subscription_id": subscription_id})["Item"]
    assert left["status"] == "unsubscribed"
    assert int(left["expires_at"]) > time.time() + 29 * 86400
