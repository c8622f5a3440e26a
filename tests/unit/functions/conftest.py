"""Moto-backed AWS for the functions' unit tests: the tables, topic and queue a submission touches, and the
Requests table's stream, which the real outbox publisher forwards to the topic (as its event source mapping does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from outbox import handler as outbox_handler
from shared import aws, settings
from tests.helpers import FakeContext, create_tables, enable_stream, stream_records

TABLE_KEYS = {"REQUESTS_TABLE": "reference", "IDEMPOTENCY_TABLE": "id", "NOTIFICATIONS_TABLE": "message_id"}
ROUTES = (
    "GET /api/v1/services;GET /api/v1/services/{service_id};POST /api/v1/services/{service_id}/requests;"
    "GET /api/v1/requests/{reference};PATCH /api/v1/requests/{reference}"
)


class Cloud:
    """What a test needs to look at: the events published, and the tables."""

    def __init__(self, queue_url: str, stream_arn: str) -> None:
        self.queue_url = queue_url
        self.stream_arn = stream_arn
        self.checkpoint: str | None = None  # the last stream record the publisher completed

    def relay(self) -> dict[str, Any]:
        """Run the outbox publisher over the stream's new records, then checkpoint as Lambda does: up to the
        first failed record, which comes again at the next relay."""
        records = stream_records(self.stream_arn, after=self.checkpoint)
        if not records:
            return {"batchItemFailures": []}
        response = outbox_handler.handler({"Records": records}, FakeContext())
        failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
        for record in records:
            if record["dynamodb"]["SequenceNumber"] in failed:
                break
            self.checkpoint = record["dynamodb"]["SequenceNumber"]
        return dict(response)

    def published(self) -> list[dict[str, Any]]:
        """The events on the topic since the last look (after the outbox publisher has forwarded what it can)."""
        self.relay()
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


def _clean_uploads_of_the_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """The uploads bucket (named by its SSM parameter, as the web stack does) holding the example file answers'
    uploads, as the web leaves them once scanned clean: a file answer must name one (catalogue/uploads.py)."""
    from shared.catalogue import load_catalogue
    from shared.uploads import clean_key
    from tests.unit.catalogue.service_examples import valid_answer

    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="uploads", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    boto3.client("ssm").put_parameter(Name="/test/web/uploads-bucket", Value="uploads", Type="String")
    monkeypatch.setenv("UPLOADS_BUCKET_PARAMETER", "/test/web/uploads-bucket")
    for definition in load_catalogue().values():
        for _, question in definition.questions():
            if question.type == "file":
                answer = valid_answer(definition, question)
                s3.put_object(
                    Bucket="uploads",
                    Key=clean_key(definition.id, answer["upload_id"]),
                    Body=b"x" * answer["size_bytes"],
                    ContentType=answer["content_type"],
                )


SEARCH_KEY = "unit-test-search-key"


def _search_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The search key secret, as the data stack generates it (shared/search_keys.py reads it by name)."""
    from shared import search_keys

    boto3.client("secretsmanager").create_secret(Name="test/search-key", SecretString=SEARCH_KEY)
    monkeypatch.setenv("SEARCH_KEY_SECRET_ID", "test/search-key")
    search_keys.forget()


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cloud]:
    with mock_aws():
        aws.reset()
        settings.reset()  # the functions read their settings again, from this test's environment
        create_tables(TABLE_KEYS, monkeypatch)
        stream_arn = enable_stream("requests_table")
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
        _clean_uploads_of_the_examples(monkeypatch)
        _search_key(monkeypatch)
        yield Cloud(queue_url, stream_arn)
        aws.reset()
        settings.reset()
