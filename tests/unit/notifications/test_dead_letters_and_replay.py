"""Poison messages end on the dead-letter queue after maxReceiveCount; the replay command brings them back."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from notifications import handler, replay
from shared.events import EventType, new_event
from tests.helpers import FakeContext, sqs_event

pytestmark = pytest.mark.unit

MAX_RECEIVES = 5  # as the events stack's queues


def deliver_from_queue(cloud, sqs) -> int:
    """One poll of the queue, as the event source mapping would; returns how many records failed."""
    messages = sqs.receive_message(QueueUrl=cloud.queue_url, MaxNumberOfMessages=10).get("Messages", [])
    if not messages:
        return 0
    event = sqs_event(*(m["Body"] for m in messages))
    for record, message in zip(event["Records"], messages, strict=True):
        record["messageId"] = message["MessageId"]
    failed = {f["itemIdentifier"] for f in handler.handler(event, FakeContext())["batchItemFailures"]}
    for message in messages:
        if message["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=cloud.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return len(failed)


def test_a_poison_message_is_parked_after_max_receives_then_replayed(cloud, put_request):
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=cloud.queue_url, Attributes={"VisibilityTimeout": "0"})
    # An event for a request that the requests table cannot be read for (a missing table): fails every time.
    event = new_event(EventType.REQUEST_ACKNOWLEDGED, source="t", correlation_id="c", data={"reference": "R-1"})
    sqs.send_message(QueueUrl=cloud.queue_url, MessageBody=event.to_message())
    boto3.client("dynamodb").delete_table(TableName="requests_table")
    for _ in range(MAX_RECEIVES):
        assert deliver_from_queue(cloud, sqs) == 1
    assert sqs.receive_message(QueueUrl=cloud.queue_url).get("Messages", []) == []  # moved on the next receive
    assert (
        int(
            sqs.get_queue_attributes(QueueUrl=cloud.dlq_url, AttributeNames=["ApproximateNumberOfMessages"])[
                "Attributes"
            ]["ApproximateNumberOfMessages"]
        )
        == 1
    )

    # The cause is fixed, the message is replayed and goes through.
    boto3.client("dynamodb").create_table(
        TableName="requests_table",
        KeySchema=[{"AttributeName": "reference", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "reference", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    put_request("R-1", {"email": "resident@example.org"})
    assert replay.main(["--queue-url", cloud.dlq_url, "--to", cloud.queue_url, "--mode", "copy"], sqs=sqs) == 0
    assert sqs.receive_message(QueueUrl=cloud.dlq_url).get("Messages", []) == []
    assert deliver_from_queue(cloud, sqs) == 0
    [message] = cloud.items("NOTIFICATIONS_TABLE")
    assert message["status"] == "sent"


def test_move_task_mode_asks_sqs_to_redrive():
    sqs = boto3.client("sqs", region_name="eu-west-2")
    dlq_arn = "arn:aws:sqs:eu-west-2:123456789012:notifications-dlq"
    with Stubber(sqs) as stub:
        stub.add_response(
            "get_queue_attributes",
            {"Attributes": {"QueueArn": dlq_arn}},
            {
                "QueueUrl": "https://sqs.eu-west-2.amazonaws.com/123456789012/notifications-dlq",
                "AttributeNames": ["QueueArn"],
            },
        )
        stub.add_response(
            "start_message_move_task",
            {"TaskHandle": "task-1"},
            {"SourceArn": dlq_arn, "MaxNumberOfMessagesPerSecond": 50},
        )
        code = replay.main(
            [
                "--queue-url",
                "https://sqs.eu-west-2.amazonaws.com/123456789012/notifications-dlq",
                "--max-per-second",
                "50",
            ],
            sqs=sqs,
        )
    assert code == 0


def test_copy_mode_needs_a_destination(cloud):
    with pytest.raises(SystemExit):
        replay.main(["--queue-url", cloud.dlq_url, "--mode", "copy"], sqs=boto3.client("sqs"))
