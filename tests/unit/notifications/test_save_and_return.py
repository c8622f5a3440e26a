"""Save and return: the web's `draft-saved` and `draft-expiring` events become one email with the return link.

The events carry identifiers only; the consumer asks the web's return links function for the address and the
link (invoked here in-process, as the local cloud invokes it: the web's real handler on moto's Drafts table) and
reads no table of the web's."""

from __future__ import annotations

import re
import time

import boto3
import pytest
from web.drafts import Draft, DynamoDraftStore

from notifications import handler, reminders, save_and_return
from shared.events import CONSUMERS, EventEnvelope, EventType, new_event
from tests.helpers import FakeContext, sqs_event
from web import return_links
from web import settings as web_settings

pytestmark = pytest.mark.unit

EXPIRES_AT = 1_774_569_600  # 27 March 2026, 00:00 UTC
SAVE_ID = "save-id-123456"
DRAFT_ID = "d" * 32
LINK = re.compile(r"https://borough\.example(/services/missed-bin/return/([A-Za-z0-9_.-]+))")
NOW = EXPIRES_AT - 10 * 86400


@pytest.fixture
def drafts(cloud, monkeypatch):
    boto3.client("dynamodb").create_table(
        TableName="drafts_table",
        KeySchema=[{"AttributeName": "draft_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "draft_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("DRAFTS_TABLE", "drafts_table")  # the web's return links function's, not the consumer's
    monkeypatch.setenv("RETURN_LINKS_FUNCTION", "web-return-links")
    from notifications import settings

    settings.reset()
    web_settings.reset()
    asked: list[dict] = []

    def web_function(request: dict) -> dict:  # the Lambda invoke, in-process: the web's real handler
        asked.append(request)
        return return_links.handler(request, FakeContext())

    monkeypatch.setattr(save_and_return, "invoke_return_links", web_function)
    monkeypatch.setattr(return_links.time, "time", lambda: NOW)
    store = DynamoDraftStore("drafts_table")

    def put(**changes):
        fields = {"email": "resident@example.org", "expires_at": EXPIRES_AT, "save_id": SAVE_ID} | changes
        draft = Draft(id=DRAFT_ID, service_id="missed-bin", **fields)
        store.put(draft)
        store.point_to(draft)
        return draft

    put.store = store  # type: ignore[attr-defined]
    put.asked = asked  # type: ignore[attr-defined]
    yield put
    web_settings.reset()


def saved(**data) -> EventEnvelope:
    return new_event(
        EventType.DRAFT_SAVED,
        source="web",
        correlation_id="corr-1",
        data={"save_id": SAVE_ID, "service_id": "missed-bin", "expires_at": EXPIRES_AT} | data,
    )


def expiring(days_left: int) -> EventEnvelope:
    return new_event(
        EventType.DRAFT_EXPIRING,
        source="web",
        correlation_id="corr-2",
        data={"save_id": SAVE_ID, "service_id": "missed-bin", "expires_at": EXPIRES_AT, "days_left": days_left},
    )


def run(*events: EventEnvelope) -> list[dict]:
    return handler.handler(sqs_event(*(e.to_message() for e in events)), FakeContext())["batchItemFailures"]


def test_the_notifications_queue_receives_the_save_and_return_events():
    assert {EventType.DRAFT_SAVED, EventType.DRAFT_EXPIRING} <= set(CONSUMERS["notifications"])


def test_the_consumer_reads_no_table_of_the_webs():
    from notifications.settings import ConsumerSettings, NotificationsSettings

    assert "drafts_table" not in NotificationsSettings.model_fields
    assert "drafts_table" not in ConsumerSettings.model_fields


def test_a_saved_draft_is_emailed_its_return_link_and_expiry_date_once(use_notify, cloud, drafts):
    drafts()
    event = saved()
    assert run(event) == []
    assert run(event) == []  # at-least-once delivery: the same event again sends nothing
    [sent] = use_notify.sandbox.messages
    assert sent.type == "email"
    assert sent.recipient == "resident@example.org"
    assert sent.subject == "Your saved application: Report a missed bin collection"
    path, token = LINK.search(sent.body).groups()
    assert "saved until 27 March 2026" in sent.body
    [record] = cloud.items("NOTIFICATIONS_TABLE")
    assert (record["template"], record["status"], record["event_type"]) == ("draft-saved", "sent", "draft-saved")
    assert "draft_id" not in record  # a bearer value: only the link the resident is sent carries it
    # Asked twice for the same event, the web gave the same link: the one sent still opens the draft.
    assert [a["event_id"] for a in drafts.asked] == [event.id, event.id]
    opened = return_links.open_link(drafts.store, token, service_id="missed-bin", now=NOW)
    assert opened is not None
    assert opened.id != DRAFT_ID
    assert DRAFT_ID not in path


@pytest.mark.parametrize("event", [saved, lambda: expiring(7)])
def test_the_message_record_keeps_no_return_link_but_the_sent_email_has_it(use_notify, cloud, drafts, event):
    drafts()
    assert run(event()) == []
    [sent] = use_notify.sandbox.messages  # what Notify (the stand-in) was sent, from its own store
    path, token = LINK.search(sent.body).groups()
    [record] = cloud.items("NOTIFICATIONS_TABLE")
    stored = repr(record)
    assert token.split(".")[1] not in stored
    assert DRAFT_ID not in stored
    assert path.rsplit("/", 1)[0] not in stored
    assert "use this link: [return link]" in record["body"]
    assert record["personalisation"]["return_url"] == "[return link]"
    assert record["status"] == "sent"


@pytest.mark.parametrize(("days_left", "words"), [(7, "deleted in 7 days"), (1, "deleted in 1 day,")])
def test_an_expiring_draft_says_how_many_days_are_left(use_notify, cloud, drafts, days_left, words):
    drafts()
    assert run(expiring(days_left)) == []
    [sent] = use_notify.sandbox.messages
    assert words in sent.body
    assert LINK.search(sent.body)


@pytest.mark.parametrize(
    "draft",
    [
        {"reference": "MSB-1234-ABCD"},  # submitted since
        {"expires_at": EXPIRES_AT + 3600},  # saved again since: a newer event speaks for it
        {"email": None},
        {"email": "not an address"},
        {"save_id": "another-save-id"},  # the pointer names a draft saved under another id
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


def test_a_failed_return_links_function_is_retried(cloud, drafts, monkeypatch):
    drafts()
    monkeypatch.setattr(save_and_return, "invoke_return_links", lambda request: {})
    event = saved()
    (failure,) = run(event)
    assert failure["itemIdentifier"]
    assert cloud.items("NOTIFICATIONS_TABLE") == []


def test_an_unknown_service_is_named_by_its_id(cloud, drafts):
    drafts()
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
