"""Fixtures for the notifications service: moto tables and queues, and the Notify stand-in over loopback HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.sandbox.notify import SANDBOX_API_KEY, NotifySandbox, RunningSandbox, serve
from notifications import adapters, settings, templates
from notifications.adapters.notify import NotifyAdapter
from shared import aws
from tests.helpers import create_tables

TABLES = {"REQUESTS_TABLE": "reference", "NOTIFICATIONS_TABLE": "message_id"}


def reset_caches() -> None:
    aws.reset()
    settings.reset()
    adapters.from_environment.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are read once per container: each test is a fresh one (its environment is its own)."""
    settings.reset()
    yield
    settings.reset()


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    with serve(NotifySandbox()) as running:
        yield running


@pytest.fixture
def notify(sandbox: RunningSandbox) -> NotifyAdapter:
    return NotifyAdapter(SANDBOX_API_KEY, template_ids=templates.notify_template_ids(), base_url=sandbox.url)


class Aws:
    """What a test looks at in moto: the tables and queues."""

    def __init__(self, queue_url: str, dlq_url: str) -> None:
        self.queue_url, self.dlq_url = queue_url, dlq_url

    def items(self, env_name: str) -> list[dict[str, Any]]:
        return boto3.resource("dynamodb").Table(env_name.lower()).scan()["Items"]

    def message(self, message_id: str) -> dict[str, Any]:
        return boto3.resource("dynamodb").Table("notifications_table").get_item(Key={"message_id": message_id})["Item"]


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    with mock_aws():
        reset_caches()
        create_tables(TABLES, monkeypatch)
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName="subscriptions_table",
            KeySchema=[{"AttributeName": "subscription_id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "subscription_id", "AttributeType": "S"},
                {"AttributeName": "collection_day", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-collection-day",
                    "KeySchema": [
                        {"AttributeName": "collection_day", "KeyType": "HASH"},
                        {"AttributeName": "subscription_id", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        monkeypatch.setenv("SUBSCRIPTIONS_TABLE", "subscriptions_table")
        sqs = boto3.client("sqs")
        dlq_url = sqs.create_queue(QueueName="notifications-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(
            QueueName="notifications",
            Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "5"}}'},
        )["QueueUrl"]
        monkeypatch.setenv("NOTIFY_PROVIDER", "record-only")
        # The link key and the callback token are given directly, as only the local cloud may.
        monkeypatch.setenv("BOROUGH_LOCAL_CLOUD", "1")
        monkeypatch.setenv("NOTIFICATIONS_QUEUE_URL", queue_url)
        monkeypatch.setenv("LINK_SIGNING_KEY", "a-test-signing-key-of-enough-length-000")
        monkeypatch.setenv("NOTIFY_CALLBACK_TOKEN", "callback-token-for-tests")
        monkeypatch.setenv("PUBLIC_BASE_URL", "https://borough.example")
        yield Aws(queue_url, dlq_url)
        reset_caches()


def _put_request(reference: str, contact: dict[str, Any] | None) -> None:
    item: dict[str, Any] = {"reference": reference, "service_id": "graffiti", "status": "received", "history": []}
    if contact is not None:
        item["contact"] = contact
    boto3.resource("dynamodb").Table("requests_table").put_item(Item=item)


@pytest.fixture
def put_request(cloud: Aws) -> Callable[[str, dict[str, Any] | None], None]:
    """Store a resident's request (as the catalogue would) with these contact details."""
    return _put_request


@pytest.fixture
def use_notify(monkeypatch: pytest.MonkeyPatch, cloud: Aws, sandbox: RunningSandbox) -> RunningSandbox:
    """The consumer configured for GOV.UK Notify, talking to the stand-in over HTTP."""
    monkeypatch.setenv("NOTIFY_PROVIDER", "notify")
    monkeypatch.setenv("NOTIFY_API_KEY", SANDBOX_API_KEY)
    monkeypatch.setenv("NOTIFY_BASE_URL", sandbox.url)
    reset_caches()
    return sandbox
