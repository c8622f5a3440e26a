"""Preferences choose the channel; bin reminders: subscribe, confirm and unsubscribe by one-time signed links."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest

from notifications import handler, logic, reminders, subscriptions
from shared.events import EventType, new_event
from tests.helpers import FakeContext, http_event, sqs_event

pytestmark = pytest.mark.unit

MONDAY = date(2026, 11, 23)  # ME14 1 is collected on Tuesdays, weekly


@pytest.mark.parametrize(
    ("contact", "expected"),
    [
        ({"email": "a@example.org", "phone": "07700 900123"}, ("email", "a@example.org")),
        ({"email": "a@example.org", "phone": "07700 900123", "preference": "sms"}, ("sms", "+447700900123")),
        ({"email": "a@example.org", "phone": "01632 960001", "preference": "sms"}, ("email", "a@example.org")),
        ({"phone": "01632 960001"}, None),  # a landline cannot receive text messages
        ({"email": "a@example.org", "preference": "none"}, None),
        ({"email": "not an email"}, None),
        (None, None),
    ],
)
def test_the_channel_follows_the_residents_preference(contact, expected):
    assert logic.choose_channel(contact) == expected


def test_an_event_for_a_resident_who_chose_none_sends_nothing():
    event = new_event(EventType.REQUEST_ACKNOWLEDGED, source="t", correlation_id="c", data={"reference": "R"})
    assert logic.compose(event, {"reference": "R", "contact": {"email": "a@b.org", "preference": "none"}}) == []


def api(method: str, path: str, body=None, query: str = "") -> dict:
    event = http_event(method, path, body=body)
    if query:
        event["rawQueryString"] = query
        event["queryStringParameters"] = dict(pair.split("=", 1) for pair in query.split("&"))
    return subscriptions.handler(event, FakeContext())


def drain(cloud) -> list[str]:
    sqs = boto3.client("sqs")
    bodies = []
    while batch := sqs.receive_message(QueueUrl=cloud.queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=cloud.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def consume(bodies: list[str]) -> None:
    assert handler.handler(sqs_event(*bodies), FakeContext())["batchItemFailures"] == []


def token_in(text: str, action: str) -> str:
    return re.search(rf"/reminders/{action}\?token=([A-Za-z0-9_.-]+)", text).group(1)


def test_subscribe_confirm_remind_and_unsubscribe(use_notify, cloud, monkeypatch):
    outbox = use_notify.sandbox.messages
    response = api(
        "POST", "/api/v1/reminders/subscriptions", {"postcode": "me14 1hq", "contact": {"email": "r@example.org"}}
    )
    assert response["statusCode"] == 202
    consume(drain(cloud))
    [confirmation] = outbox
    assert confirmation.subject == "Confirm your bin collection reminders"
    assert "Tuesday, every week" in confirmation.body
    confirm_token = token_in(confirmation.body, "confirm")

    assert api("POST", "/api/v1/reminders/confirm", query=f"token={confirm_token}")["statusCode"] == 200
    assert api("POST", "/api/v1/reminders/confirm", query=f"token={confirm_token}")["statusCode"] == 400  # once

    monkeypatch.setattr(reminders, "today_in_london", lambda now=None: MONDAY)
    for _ in range(2):  # the schedule ran twice that day: still one reminder
        assert subscriptions.scheduled_handler({}, FakeContext())["queued"] == 1
        consume(drain(cloud))
    reminder = outbox[-1]
    assert len(outbox) == 2
    assert reminder.subject == "Bin collection tomorrow, Tuesday 24 November"
    assert reminder.one_click_unsubscribe_url is not None
    unsubscribe_token = token_in(reminder.body, "unsubscribe")

    assert api("POST", "/api/v1/reminders/unsubscribe", {"token": unsubscribe_token})["statusCode"] == 200
    assert api("POST", "/api/v1/reminders/unsubscribe", {"token": unsubscribe_token})["statusCode"] == 400
    assert reminders.due_events(MONDAY) == []


def test_links_open_the_web_pages_and_the_records_keep_no_link(use_notify, cloud, monkeypatch):
    api("POST", "/api/v1/reminders/subscriptions", {"postcode": "ME14 1HQ", "contact": {"email": "r@example.org"}})
    consume(drain(cloud))
    [confirmation] = use_notify.sandbox.messages
    token = token_in(confirmation.body, "confirm")
    assert f"https://borough.example/reminders/confirm?token={token}" in confirmation.body  # a page, not the API
    reminders.confirm(token, datetime.now(UTC))
    monkeypatch.setattr(reminders, "today_in_london", lambda now=None: MONDAY)
    subscriptions.scheduled_handler({}, FakeContext())
    consume(drain(cloud))
    reminder = use_notify.sandbox.messages[-1]
    token = token_in(reminder.body, "unsubscribe")
    assert f"https://borough.example/reminders/unsubscribe?token={token}" in reminder.body
    assert reminder.one_click_unsubscribe_url == f"https://borough.example/api/v1/reminders/unsubscribe?token={token}"
    records = {r["template"]: r for r in cloud.items("NOTIFICATIONS_TABLE")}
    assert set(records) == {"reminder-confirm", "bin-reminder"}
    for record in records.values():
        assert "token=" not in repr(record)
        assert "unsubscribe_url" not in record  # the one-click URL is not stored either
    assert "confirm here: [confirmation link] If" in records["reminder-confirm"]["body"]
    assert records["bin-reminder"]["body"].endswith("To stop these reminders: [unsubscribe link]")
    assert records["bin-reminder"]["personalisation"]["unsubscribe_url"] == "[unsubscribe link]"


def test_a_reminder_queued_before_unsubscribing_is_not_sent(cloud):
    result = reminders.subscribe("ME14 1HQ", {"phone": "07700900123"}, datetime.now(UTC))
    _, confirm_event = result
    [message] = reminders.compose(confirm_event)
    assert message["channel"] == "sms"
    reminders.confirm(token_in(message["body"], "confirm"), datetime.now(UTC))
    [due] = reminders.due_events(MONDAY)
    [reminder] = reminders.compose(due)
    reminders.unsubscribe(token_in(reminder["body"], "unsubscribe"), datetime.now(UTC))
    assert reminders.compose(due) == []


def test_fortnightly_rounds_alternate_weeks():
    fortnightly = reminders.Round(day="tuesday", frequency="fortnightly", first=date(2026, 1, 6))
    assert fortnightly.collects_on(date(2026, 1, 20))
    assert not fortnightly.collects_on(date(2026, 1, 13))
    assert not fortnightly.collects_on(date(2026, 1, 21))
    assert reminders.sector("me14 1hq") == "ME14 1"


def test_links_are_signed_expire_and_are_for_one_action(cloud):
    now = datetime(2026, 11, 24, tzinfo=UTC)
    token = reminders.sign("confirm", "sub-1", 1, now + timedelta(days=7))
    assert reminders.verify(token, "confirm", now) == ("sub-1", 1)
    with pytest.raises(reminders.InvalidLink, match="action"):
        reminders.verify(token, "unsubscribe", now)
    with pytest.raises(reminders.InvalidLink, match="expired"):
        reminders.verify(token, "confirm", now + timedelta(days=8))
    _, signature = token.split(".")
    forged = json.dumps(["confirm", "sub-2", 1, 9999999999]).encode()

    tampered = base64.urlsafe_b64encode(forged).rstrip(b"=").decode() + "." + signature
    with pytest.raises(reminders.InvalidLink, match="signature"):
        reminders.verify(tampered, "confirm", now)
    with pytest.raises(reminders.InvalidLink):
        reminders.verify("garbage", "confirm", now)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"postcode": "ZZ99 9ZZ", "contact": {"email": "r@example.org"}}, "postcode"),
        ({"postcode": "ME14 1HQ", "contact": {"email": "nope"}}, "contact.email"),
        ({"postcode": "ME14 1HQ", "contact": {}}, "contact"),
        # A text message cannot reach a landline (shared.contact.reminder_contact, as the web's sign-up page).
        ({"postcode": "ME14 1HQ", "contact": {"phone": "01632 960 001", "preference": "sms"}}, "contact.phone"),
    ],
)
def test_bad_subscription_requests_are_refused_and_write_nothing(cloud, body, field):
    response = api("POST", "/api/v1/reminders/subscriptions", body)
    assert response["statusCode"] == 422
    assert json.loads(response["body"])["errors"][0]["field"] == field
    assert cloud.items("SUBSCRIPTIONS_TABLE") == []
    assert drain(cloud) == []


def test_the_daily_job_reminds_for_the_day_after_the_scheduled_time(cloud):
    now = datetime.now(UTC)
    subscription_id, _ = reminders.subscribe("ME14 1HQ", {"email": "r@example.org"}, now)
    reminders.confirm(reminders.sign("confirm", subscription_id, 1, now + timedelta(days=1)), now)
    # EventBridge's `time` is when the rule was due: a retry later (even past midnight) means the same day.
    assert subscriptions.scheduled_handler({"time": "2026-11-23T17:00:00Z"}, FakeContext()) == {
        "day": "2026-11-23",
        "queued": 1,
    }
    assert subscriptions.scheduled_handler({"time": "2026-11-24T17:00:00Z"}, FakeContext())["queued"] == 0
