"""The emailed reminder links open the resident web's pages, which change the subscription through the
subscriptions function itself (invoked as the web function invokes it in AWS), and only on a POST."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
from web.api import ApiResult, LambdaApi
from web.pages import Ports, Web

from notifications import handler, reminders, subscriptions
from tests.helpers import FakeContext, sqs_event
from tests.unit.web.web_support import Client, location
from web import security
from web import settings as web_settings

pytestmark = pytest.mark.unit

LINK = re.compile(r"https://borough\.example(/reminders/(confirm|unsubscribe))\?token=([A-Za-z0-9_.-]+)")


class InProcessApi(LambdaApi):
    """The web's real API adapter, with the Lambda invoke replaced by a call to the handler it would invoke."""

    def __init__(self) -> None:
        super().__init__("catalogue", "cases", "subscriptions")

    @staticmethod
    def _invoke(function: str, event: dict[str, Any]) -> ApiResult:
        assert function == "subscriptions"
        result = subscriptions.handler(json.loads(json.dumps(event)), FakeContext())
        return ApiResult(result["statusCode"], json.loads(result.get("body") or "{}"))


@pytest.fixture
def web(cloud, monkeypatch) -> Iterator[Web]:
    monkeypatch.setenv("SIGNING_KEY", "unit-test-signing-key-not-secret")
    monkeypatch.setenv("BOROUGH_LOCAL_CLOUD", "1")  # a key given directly: as the local cloud may (web/settings.py)
    web_settings.reset()
    security.signing_key.cache_clear()
    ports = Ports(drafts=None, api=InProcessApi(), uploads=None, publish=lambda event: None)  # type: ignore[arg-type]
    yield Web(ports, council="Maidstone Borough Council", catalogue={})
    web_settings.reset()
    security.signing_key.cache_clear()


def deliver_queued(cloud) -> None:
    sqs = boto3.client("sqs")
    bodies = []
    while batch := sqs.receive_message(QueueUrl=cloud.queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=cloud.queue_url, ReceiptHandle=message["ReceiptHandle"])
    assert handler.handler(sqs_event(*bodies), FakeContext())["batchItemFailures"] == []


def subscription() -> dict[str, Any]:
    items = boto3.resource("dynamodb").Table("subscriptions_table").scan()["Items"]
    (item,) = [i for i in items if not str(i["subscription_id"]).startswith("limit#")]  # not the request counters
    return item


def test_sign_up_confirm_and_unsubscribe_through_the_web_pages(use_notify, cloud, web, monkeypatch):
    client = Client(web, host="borough.example")
    client.get("/reminders")
    asked = client.post("/reminders", {"postcode": "me14 1hq", "how": "email", "email": "r@example.org"})
    assert location(asked) == "/reminders/requested?by=email"
    assert subscription()["status"] == "pending"
    deliver_queued(cloud)

    (confirmation,) = use_notify.sandbox.messages
    path, action, token = LINK.search(confirmation.body).groups()
    assert (path, action) == ("/reminders/confirm", "confirm")
    # The mail scanner, then the resident: GETs show the page and change nothing.
    for _ in range(2):
        page = client.get(f"{path}?token={token}")
        assert page.status == 200
    assert subscription()["status"] == "pending"
    assert location(client.post(path, {"token": token})) == "/reminders/confirmed"
    assert subscription()["status"] == "active"
    client.get(f"{path}?token={token}")
    assert client.post(path, {"token": token}).status == 410  # each link works once

    # A reminder carries a link to the unsubscribe page; Notify's one-click URL stays the API's POST route.
    monkeypatch.setattr(reminders, "today_in_london", lambda now=None: date(2026, 11, 23))  # Tuesday's eve
    assert subscriptions.scheduled_handler({}, FakeContext())["queued"] == 1
    deliver_queued(cloud)
    reminder = use_notify.sandbox.messages[-1]
    path, action, token = LINK.search(reminder.body).groups()
    assert action == "unsubscribe"
    assert reminder.one_click_unsubscribe_url == f"https://borough.example/api/v1/reminders/unsubscribe?token={token}"
    assert client.get(f"{path}?token={token}").status == 200
    assert subscription()["status"] == "active"
    assert location(client.post(path, {"token": token})) == "/reminders/unsubscribed"
    assert subscription()["status"] == "unsubscribed"

    # The message records keep neither link.
    for record in cloud.items("NOTIFICATIONS_TABLE"):
        text = json.dumps(record, default=str)
        assert "token=" not in text
        assert "unsubscribe_url" not in {k for k in record if k != "personalisation"}


def test_a_postcode_outside_the_borough_is_refused_by_the_api_and_shown_on_the_page(cloud, web):
    client = Client(web, host="borough.example")
    client.get("/reminders")
    page = client.post("/reminders", {"postcode": "SW1A 1AA", "how": "email", "email": "r@example.org"})
    assert page.status == 400
    assert "Enter a postcode in the borough" in page.body
    assert boto3.resource("dynamodb").Table("subscriptions_table").scan()["Items"] == []
