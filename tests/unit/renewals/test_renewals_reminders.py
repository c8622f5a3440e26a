"""Item 2: the daily job announces each subscription due once (a conditional claim; a failed publish is tried again
the next day; a renewed subscription is not reminded), and the notifications consumer sends the reminder with a
signed, expiring renewal link it gets from the renewals links function."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest

from renewals import job
from renewals.links import RenewalLinks, link_expires_at, mint_token, read_token
from renewals.logic import Renewals
from renewals.store import RenewalsStore
from shared.events import EventEnvelope, EventType, new_event
from tests.helpers import FakeContext, create_tables, sqs_event
from tests.unit.renewals.conftest import TABLE, items

pytestmark = pytest.mark.unit

KEY = b"a-renewal-link-key-for-tests-only-0000000"
PAID_ON = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)  # ends 20 December 2026, reminded 22 November 2026
REMIND_ON = date(2026, 11, 22)


def paid(reference: str) -> EventEnvelope:
    data = {"reference": reference, "service_id": "garden-waste", "attempt": 1, "payment_id": "p", "outcome": "success"}
    return new_event(EventType.PAYMENT_SUCCEEDED, source="payments", correlation_id="c", data=data)


class Sent(list):
    def __call__(self, event: EventEnvelope) -> None:
        self.append(event)


class FailingOnce(Sent):
    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    def __call__(self, event: EventEnvelope) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("SNS said no")
        self.append(event)


@pytest.fixture
def store(cloud) -> RenewalsStore:
    store = RenewalsStore(TABLE)
    Renewals(store).on_event(paid("GW-1"), now=PAID_ON)
    return store


def test_nothing_is_due_before_the_reminder_date(store):
    sent = Sent()
    assert job.remind_due(store, today=date(2026, 11, 21), send=sent)["due"] == 0
    assert sent == []


def test_the_reminder_is_announced_once_whatever_the_reruns(store):
    sent = Sent()
    assert job.remind_due(store, today=REMIND_ON, send=sent)["reminded"] == 1
    assert job.remind_due(store, today=REMIND_ON, send=sent)["due"] == 0  # it left the index
    assert job.remind_due(store, today=date(2026, 11, 23), send=sent)["due"] == 0
    (event,) = sent
    assert event.type is EventType.RENEWAL_DUE
    assert event.data == {"reference": "GW-1", "service_id": "garden-waste", "ends_on": "2026-12-20"}
    assert items()["GW-1"]["reminded_on"] == "2026-11-22"
    assert "reminder" not in items()["GW-1"]


def test_a_claim_taken_today_is_not_taken_twice(store):
    assert store.claim_reminder("GW-1", on=REMIND_ON) is True
    sent = Sent()
    counts = job.remind_due(store, today=REMIND_ON, send=sent)  # a second run while the first is publishing
    assert counts == {"due": 1, "reminded": 0, "skipped": 1, "failed": 0}
    assert sent == []


def test_a_failed_publish_is_tried_again_the_next_day_with_the_same_event_id(store):
    sender = FailingOnce()
    assert job.remind_due(store, today=REMIND_ON, send=sender)["failed"] == 1
    assert items()["GW-1"]["reminder"] == "due"  # still in the index
    assert job.remind_due(store, today=REMIND_ON, send=sender)["skipped"] == 1  # claimed today: not again today
    assert job.remind_due(store, today=date(2026, 11, 23), send=sender)["reminded"] == 1
    (event,) = sender
    assert event.id == job.renewal_due(store.get("GW-1"), correlation_id="x").id  # derived: consumers dedupe


def test_a_renewed_subscription_is_not_reminded(store):
    store.begin_renewal("GW-2", renews="GW-1")
    Renewals(store).on_event(paid("GW-2"), now=datetime(2026, 11, 1, tzinfo=UTC))
    sent = Sent()
    assert job.remind_due(store, today=REMIND_ON, send=sent)["due"] == 0
    assert sent == []
    assert store.claim_reminder("GW-1", on=REMIND_ON) is False  # nor claimed, even if asked directly


def test_the_scheduled_handler_takes_a_date(store, monkeypatch):
    published: list[EventEnvelope] = []
    monkeypatch.setattr(job, "publish", lambda event, topic=None: published.append(event))
    monkeypatch.setenv("EVENTS_TOPIC_ARN", "arn:aws:sns:eu-west-2:123456789012:events")
    answer = job.handler({"date": "2026-11-22"}, FakeContext())
    assert answer["reminded"] == 1
    assert [e.data["reference"] for e in published] == ["GW-1"]


# -- the link ------------------------------------------------------------------------------------------------------


def test_a_link_is_signed_and_expires():
    token = mint_token("GW-1", 2_000_000_000, KEY)
    assert read_token(token, KEY, now=1_999_999_999) == ("GW-1", "")
    assert read_token(token, KEY, now=2_000_000_000) == (None, "expired")
    assert read_token(token.replace("GW-1", "GW-2"), KEY, now=0) == (None, "invalid")
    assert read_token(mint_token("GW-1", 2_000_000_001, KEY).rsplit(".", 1)[0] + "." + token.rsplit(".")[2], KEY,
                      now=0) == (None, "invalid")  # fmt: skip
    assert read_token(token, b"another-key", now=0) == (None, "invalid")
    assert read_token("not-a-token", KEY) == (None, "invalid")


def test_the_link_works_until_30_days_after_the_end_and_not_once_renewed(store, monkeypatch):
    links = RenewalLinks(store, "requests_table", KEY)
    minted = links.mint("GW-1")["link"]
    assert minted["path"].startswith("/services/garden-waste/renew/GW-1.")
    assert minted["expires_at"] == int(datetime(2027, 1, 19, tzinfo=UTC).timestamp())
    assert minted["expires_at"] == link_expires_at(store.get("GW-1"))
    assert links.mint("GW-404") == {"link": None, "reason": "unknown"}
    store.mark_renewed("GW-1", renewed_by="GW-2")
    assert links.mint("GW-1") == {"link": None, "reason": "renewed"}


# -- the message ---------------------------------------------------------------------------------------------------


@pytest.fixture
def consumer(store, monkeypatch):
    """The notifications consumer (record-only) with its tables, the renewal links function answering in-process."""
    from notifications import renewal_reminders
    from notifications import settings as notifications_settings

    create_tables({"REQUESTS_TABLE": "reference", "NOTIFICATIONS_TABLE": "message_id"}, monkeypatch)
    monkeypatch.setenv("SUBSCRIPTIONS_TABLE", "unused")
    monkeypatch.setenv("NOTIFY_PROVIDER", "record-only")
    monkeypatch.setenv("BOROUGH_LOCAL_CLOUD", "1")
    monkeypatch.setenv("LINK_SIGNING_KEY", "a-test-signing-key-of-enough-length-000")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://borough.example")
    monkeypatch.setenv("RENEWAL_LINKS_FUNCTION", "Borough-test-RenewalLinks")
    notifications_settings.reset()
    asked: list[dict[str, Any]] = []

    def invoke(request: dict[str, Any]) -> dict[str, Any]:
        asked.append(request)
        assert request == {"action": "mint", "reference": request["reference"]}
        return RenewalLinks(store, "requests_table", KEY).mint(request["reference"])

    monkeypatch.setattr(renewal_reminders, "invoke_renewal_links", invoke)
    yield asked
    notifications_settings.reset()


def _put_request(contact: dict[str, Any]) -> None:
    boto3.resource("dynamodb").Table("requests_table").put_item(
        Item={"reference": "GW-1", "service_id": "garden-waste", "status": "received", "contact": contact}
    )


def _messages() -> list[dict[str, Any]]:
    return boto3.resource("dynamodb").Table("notifications_table").scan()["Items"]


def test_the_resident_is_emailed_a_renewal_link_once(store, consumer):
    from notifications import handler as notifications

    _put_request({"email": "resident@example.org"})
    event = job.renewal_due(store.get("GW-1"), correlation_id="c")
    for _ in range(2):  # delivered twice
        assert notifications.handler(sqs_event(event.to_message()), FakeContext()) == {"batchItemFailures": []}
    (message,) = _messages()
    assert message["template"] == "renewal-reminder"
    assert (message["channel"], message["recipient"]) == ("email", "resident@example.org")
    assert message["subject"] == "Renew your garden waste collection by 20 December 2026"
    assert "ends on 20 December 2026" in message["body"]
    assert "The link works until 19 January 2027" in message["body"]
    # The link is a bearer value: the record keeps words in its place, never the token.
    assert "[renewal link]" in message["body"]
    assert "/renew/" not in json.dumps(message, default=str)


def test_no_reminder_for_a_resident_who_wants_no_contact_or_a_renewed_subscription(store, consumer):
    from notifications import handler as notifications

    _put_request({"email": "resident@example.org", "preference": "none"})
    event = job.renewal_due(store.get("GW-1"), correlation_id="c")
    assert notifications.handler(sqs_event(event.to_message()), FakeContext()) == {"batchItemFailures": []}
    assert _messages() == []
    _put_request({"email": "resident@example.org"})
    store.mark_renewed("GW-1", renewed_by="GW-2")
    assert notifications.handler(sqs_event(event.to_message()), FakeContext()) == {"batchItemFailures": []}
    assert _messages() == []


def test_links_function_failure_is_retried(store, consumer, monkeypatch):
    from notifications import handler as notifications
    from notifications import renewal_reminders

    monkeypatch.setattr(renewal_reminders, "invoke_renewal_links", lambda request: {})
    monkeypatch.setattr(notifications, "_back_off", lambda record, error: None)
    _put_request({"email": "resident@example.org"})
    event = job.renewal_due(store.get("GW-1"), correlation_id="c")
    answer = notifications.handler(sqs_event(event.to_message()), FakeContext())
    assert len(answer["batchItemFailures"]) == 1
    assert _messages() == []
