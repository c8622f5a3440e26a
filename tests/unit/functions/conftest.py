"""Moto-backed AWS for the functions' unit tests: the tables, topic and queue a submission touches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared import aws, settings
from tests.helpers import create_tables

TABLE_KEYS = {"REQUESTS_TABLE": "reference", "IDEMPOTENCY_TABLE": "id", "NOTIFICATIONS_TABLE": "message_id"}
ROUTES = (
    "GET /api/v1/services;GET /api/v1/services/{service_id};POST /api/v1/services/{service_id}/requests;"
    "GET /api/v1/requests/{reference};PATCH /api/v1/requests/{reference}"
)


class Cloud:
    """What a test needs to look at: the events published, and the tables."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url

    def published(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        out = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return out
            for message in batch:
                out.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def items(self, env_name: str) -> list[dict[str, Any]]:
        return boto3.resource("dynamodb").Table(env_name.lower()).scan()["Items"]


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    with mock_aws():
        aws.reset()
        settings.reset()  # the functions read their settings again, from this test's environment
        create_tables(TABLE_KEYS, monkeypatch)
        topic_arn = boto3.client("sns").create_topic(Name="events")["TopicArn"]
        queue_url = boto3.client("sqs").create_queue(QueueName="all-events")["QueueUrl"]
        queue_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        boto3.client("sns").subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
        )
        monkeypatch.setenv("EVENTS_TOPIC_ARN", topic_arn)
        monkeypatch.setenv("API_ROUTES", ROUTES)
        yield Cloud(queue_url)
        aws.reset()
        settings.reset()
