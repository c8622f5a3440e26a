"""Notifications end to end in the local cloud, through the GOV.UK Notify stand-in and its outbox.

A report's acknowledgement and status change are sent once each and reach `delivered` through Notify's receipt
callback; a duplicate SNS message sends nothing more; a parked message is redriven from the dead-letter queue
(once, however often it is redriven); bin reminders go subscribe → confirm → the daily rule → one reminder; save and
return from the resident web emails the return link.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from local.sandbox.notify import default_sandbox
from shared.events import EventType, new_event

pytestmark = pytest.mark.local


# -- helpers --------------------------------------------------------------------------------------------------------
def new_email() -> str:
    return f"resident-{uuid.uuid4().hex[:10]}@example.org"


def outbox(cloud, recipient: str) -> list[dict[str, Any]]:
    """Messages to `recipient` in the outbox (GET /sandbox/outbox.json), oldest first."""
    response = cloud.handle("GET", "/sandbox/outbox.json")
    assert response.status == 200
    return [m for m in reversed(response.json()["messages"]) if m["email_address"] == recipient]


def stored(recipient: str) -> list[Any]:
    """The stand-in's own record of what it was asked to send."""
    return [m for m in default_sandbox().messages if m.recipient == recipient]


def records(cloud, recipient: str) -> list[dict[str, Any]]:
    table = cloud.physical_id("Borough-dev-Data/Notifications")
    items = cloud.client("dynamodb").scan(TableName=table)["Items"]
    return [
        {k: next(iter(v.values())) for k, v in item.items()} for item in items if item["recipient"]["S"] == recipient
    ]


def eventually(check: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not within the time allowed")
        time.sleep(0.05)


def all_delivered(cloud, recipient: str, count: int) -> Callable[[], bool]:
    def check() -> bool:
        found = records(cloud, recipient)
        return len(found) == count and all(
            r["status"] == "delivered" and r["provider_status"] == "delivered" for r in found
        )

    return check


def topic_arn(cloud) -> str:
    (topic,) = [r for r in cloud.inventory.of_type("AWS::SNS::Topic") if r.path.startswith("Borough-dev-Events/")]
    return topic.physical_id


def queue_url(cloud, path: str) -> str:
    physical = cloud.physical_id(path)
    if physical.startswith("http"):
        return physical
    return str(cloud.client("sqs").get_queue_url(QueueName=physical)["QueueUrl"])


# -- a report: acknowledgement, status change, receipts, a duplicate -------------------------------------------------
@pytest.fixture(scope="module")
def report(local_cloud, staff_token) -> dict[str, str]:
    email = new_email()
    submitted = local_cloud.handle(
        "POST",
        "/api/v1/services/fly-tipping/requests",
        json_body={
            "description": "Sofa left in the lane",
            "location": {"postcode": "ME15 6JQ"},
            "contact": {"email": email},
        },
    )
    assert submitted.status == 201, submitted.body
    reference = submitted.json()["reference"]
    local_cloud.wait_for_idle(timeout_s=30)
    changed = local_cloud.handle(
        "PATCH",
        f"/api/v1/requests/{reference}",
        {"Authorization": f"Bearer {staff_token}"},
        json_body={"status": "investigating", "resident_update": "An officer will visit."},
    )
    assert changed.status == 200, changed.body
    local_cloud.wait_for_idle(timeout_s=30)
    return {"email": email, "reference": reference}


def test_acknowledgement_and_status_change_are_sent_once_and_delivered(local_cloud, report):
    email, reference = report["email"], report["reference"]
    messages = outbox(local_cloud, email)
    assert [m["subject"] for m in messages] == [
        f"We have received your report: {reference}",
        f"Update on your report {reference}",
    ]
    assert "An officer will visit." in messages[1]["body"]
    assert len(stored(email)) == 2
    page = local_cloud.handle("GET", "/sandbox/outbox").body.decode()
    assert page.count(f"Email to {email}") == 2
    # The stand-in posts a receipt for each to the receipts route (bearer token checked): both reach `delivered`.
    eventually(all_delivered(local_cloud, email, 2))
    assert {r["provider_id"] for r in records(local_cloud, email)} == {m["id"] for m in messages}


def test_the_receipts_route_refuses_a_request_without_the_token(local_cloud):
    receipt = {"id": str(uuid.uuid4()), "reference": "x", "status": "delivered", "notification_type": "email"}
    refused = local_cloud.handle("POST", "/api/v1/notifications/receipts", json_body=receipt)
    assert refused.status == 401
    forged = local_cloud.handle(
        "POST", "/api/v1/notifications/receipts", {"Authorization": "Bearer not-the-token"}, json_body=receipt
    )
    assert forged.status == 401


def test_a_duplicate_sns_message_sends_nothing_more(local_cloud, report):
    email, reference = report["email"], report["reference"]
    eventually(all_delivered(local_cloud, email, 2))
    event = new_event(
        EventType.STATUS_CHANGED,
        source="cases",
        correlation_id=str(uuid.uuid4()),
        # As the cases service announces it (shared/case_changes.py): every consumer of the topic gets it, and the KPI
        # counters refuse a status change without its service (retried, then parked: wait_for_idle would wait).
        data={
            "reference": reference,
            "service_id": "fly-tipping",
            "status": "in-progress",
            "previous_status": "investigating",
        },
    )
    sns = local_cloud.client("sns")
    arn = topic_arn(local_cloud)
    for _ in range(2):  # SNS delivers at least once: the same message twice
        sns.publish(
            TopicArn=arn,
            Message=event.to_message(),
            MessageAttributes={"type": {"DataType": "String", "StringValue": event.type.value}},
        )
        local_cloud.wait_for_idle(timeout_s=30)
    messages = outbox(local_cloud, email)
    assert len(messages) == 3
    assert [m["subject"] for m in messages].count(f"Update on your report {reference}") == 2
    assert len(stored(email)) == 3
    eventually(all_delivered(local_cloud, email, 3))


def test_a_parked_message_is_redriven_from_the_dead_letter_queue_and_sent_once(local_cloud, report):
    from notifications import replay

    email, reference = report["email"], report["reference"]
    before = len(outbox(local_cloud, email))
    dlq = queue_url(local_cloud, "Borough-dev-Events/NotificationsDeadLetters")
    queue = queue_url(local_cloud, "Borough-dev-Events/NotificationsQueue")
    event = new_event(
        EventType.STATUS_CHANGED,
        source="cases",
        correlation_id=str(uuid.uuid4()),
        data={"reference": reference, "status": "fixed"},
    )
    sqs = local_cloud.client("sqs")
    for _ in range(2):  # parked, redriven; then (say, a second operator) parked and redriven again
        sqs.send_message(QueueUrl=dlq, MessageBody=event.to_message())
        assert replay.main(["--queue-url", dlq, "--to", queue, "--mode", "copy"], sqs=sqs) == 0
        local_cloud.wait_for_idle(timeout_s=30)
        visible = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        assert visible["Attributes"]["ApproximateNumberOfMessages"] == "0"
    messages = outbox(local_cloud, email)
    assert len(messages) == before + 1
    assert "is now: Fixed" in messages[-1]["body"]


# -- bin collection reminders ---------------------------------------------------------------------------------------
def _next_collection_eve() -> tuple[str, datetime]:
    """A postcode and a day on which the daily job would remind its round (tomorrow is its collection day)."""
    from notifications import reminders

    today = datetime.now(UTC).date()
    for offset in range(14):
        day = today + timedelta(days=offset)
        for sector, the_round in sorted(reminders.rounds().items()):
            if reminders.schedule().collections_on(the_round, day + timedelta(days=1)):  # after bank holidays
                return f"{sector}HQ", datetime(day.year, day.month, day.day, 17, 0, tzinfo=UTC)
    raise AssertionError("no round collects in the next fortnight")


def test_subscribe_confirm_and_the_daily_rule_send_one_reminder(local_cloud):
    email = new_email()
    postcode, evening = _next_collection_eve()
    asked = local_cloud.handle(
        "POST", "/api/v1/reminders/subscriptions", json_body={"postcode": postcode, "contact": {"email": email}}
    )
    assert asked.status == 202, asked.body
    local_cloud.wait_for_idle(timeout_s=30)
    (confirmation,) = outbox(local_cloud, email)
    assert confirmation["subject"] == "Confirm your bin collection reminders"
    link = re.search(r"(\S+/reminders/confirm\?token=[A-Za-z0-9_.-]+)", confirmation["body"]).group(1)
    # Links point at the resident web's page on the local cloud (not CloudFront, not the POST-only API route).
    assert link.startswith(f"{local_cloud.url}/reminders/confirm?token=")
    parts = urlsplit(link)
    browser = Browser(local_cloud)
    for _ in range(2):  # a mail scanner, then the resident: the page only shows a button
        page = browser.request("GET", f"{parts.path}?{parts.query}")
        assert page.status == 200, page.body
    assert "Confirm reminders" in browser.page
    assert "token=" not in json.dumps(records(local_cloud, email))  # the record keeps no link
    confirmed = browser.request("POST", parts.path, {"token": parts.query.split("=", 1)[1]})
    assert confirmed.status == 303, confirmed.body  # the web invoked the subscriptions function
    assert confirmed.header("location") == "/reminders/confirmed"
    assert browser.request("GET", "/reminders/confirmed").status == 200

    (rule,) = [r for r in local_cloud.scheduler.rules if r.logical_id.startswith("DailyBinReminders")]
    assert rule.expression == "cron(0 17 * * ? *)"
    for _ in range(2):  # the rule ran twice for that evening: one reminder
        assert local_cloud.scheduler.fire(rule, evening) == 1
        local_cloud.wait_for_idle(timeout_s=30)
    messages = outbox(local_cloud, email)
    assert len(messages) == 2
    reminder = messages[-1]
    assert reminder["subject"].startswith("Bin collection tomorrow, ")
    assert reminder["one_click_unsubscribe_url"].startswith(f"{local_cloud.url}/api/v1/reminders/unsubscribe?token=")
    unsubscribe = urlsplit(re.search(r"(\S+/reminders/unsubscribe\?token=\S+)", reminder["body"]).group(1))
    assert browser.request("GET", f"{unsubscribe.path}?{unsubscribe.query}").status == 200
    stopped = browser.request("POST", unsubscribe.path, {"token": unsubscribe.query.split("=", 1)[1]})
    assert stopped.header("location") == "/reminders/unsubscribed"
    assert "token=" not in json.dumps(records(local_cloud, email))

    # Fired over HTTP (as a developer would), for today: it runs; whether anyone is due depends on the date.
    fired = local_cloud.handle("POST", f"/sandbox/schedules/{rule.name}")
    assert fired.status == 202
    assert fired.json()["targets_invoked"] == 1


# -- save and return from the resident web --------------------------------------------------------------------------
class Browser:
    """Cookies by name (the web's are scoped to /services/<id>), CSRF tokens from the page, no redirects followed."""

    CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, cloud) -> None:
        self.cloud, self.cookies, self.page = cloud, {}, ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        headers = [("cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))] if self.cookies else []
        body = None
        if form is not None:
            found = self.CSRF.search(self.page)
            body = urlencode({**({"csrf_token": found.group(1)} if found else {}), **form})
            headers.append(("content-type", "application/x-www-form-urlencoded"))
        response = self.cloud.handle(method, path, headers, body)
        for name, value in response.headers:
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name] = rest.split(";", 1)[0]
        if response.status == 200:
            self.page = response.body.decode()
        return response


def test_save_and_return_from_the_web_emails_the_return_link(local_cloud):
    email = new_email()
    browser = Browser(local_cloud)
    begun = browser.request("GET", "/services/foi-request/begin")
    assert begun.status in (302, 303), begun.body
    first = begun.header("location")
    assert browser.request("GET", first).status == 200
    to_save = browser.request("POST", first, {"action": "save"})
    save_page = to_save.header("location")
    assert save_page == "/services/foi-request/save"
    assert browser.request("GET", save_page).status == 200
    sent = browser.request("POST", save_page, {"email": email})
    assert sent.status in (302, 303), sent.body
    local_cloud.wait_for_idle(timeout_s=30)

    (message,) = outbox(local_cloud, email)
    assert message["subject"].startswith("Your saved application: ")
    link = re.search(r"(\S+/services/foi-request/return/\S+?)(?=\s)", message["body"]).group(1)
    assert link.startswith(f"{local_cloud.url}/services/foi-request/return/")
    assert "Your answers are saved until" in message["body"]
    assert len(stored(email)) == 1
    eventually(all_delivered(local_cloud, email, 1))
    # The link restores the draft in another browser.
    returned = Browser(local_cloud).request("GET", urlsplit(link).path)
    assert returned.status in (302, 303)
    assert "/services/foi-request/" in returned.header("location")
    # ... once: the link is single-use, and the draft it opened has a new id (web/return_links.py).
    assert Browser(local_cloud).request("GET", urlsplit(link).path).status == 410
    assert json.dumps(records(local_cloud, email)[0]["event_type"]) == '"draft-saved"'
    # The outbox shows the link that was sent; the message record, kept for a year, does not hold it.
    (record,) = records(local_cloud, email)
    assert urlsplit(link).path not in json.dumps(record)
    assert "use this link: [return link]" in record["body"]


def test_reminder_sign_up_from_the_web_sends_a_confirmation_link(local_cloud):
    email = new_email()
    postcode, _ = _next_collection_eve()
    browser = Browser(local_cloud)
    assert browser.request("GET", "/reminders").status == 200
    asked = browser.request("POST", "/reminders", {"postcode": postcode, "how": "email", "email": email})
    assert asked.status == 303, asked.body
    assert asked.header("location") == "/reminders/requested?by=email"
    local_cloud.wait_for_idle(timeout_s=30)
    (confirmation,) = outbox(local_cloud, email)
    assert f"{local_cloud.url}/reminders/confirm?token=" in confirmation["body"]
