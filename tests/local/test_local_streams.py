"""DynamoDB stream mappings in the local cloud run after the write, as Lambda's stream pollers do (local/streams.py):
the outbox publisher gets the Requests table's records, a failing record is retried, then its position goes to the
mapping's on-failure queue, and a write never fails because of what its stream delivers."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = pytest.mark.local

REPORT = {"description": "Tyres in the alley", "location": {"postcode": "ME15 6JQ"}}


def test_a_report_is_announced_from_the_requests_stream_by_the_outbox(local_cloud):
    local_cloud.wait_for_idle(timeout_s=30)
    submitted = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body=REPORT)
    assert submitted.status == 201, submitted.body
    reference = submitted.json()["reference"]
    local_cloud.wait_for_idle(timeout_s=30)
    calls = [i for i in local_cloud.runtime.invocations if "OutboxPublisher" in i.function_name]
    published = [
        record
        for call in calls
        for record in call.event["Records"]
        if record["dynamodb"]["Keys"]["reference"]["S"] == reference and record["eventName"] == "INSERT"
    ]
    assert len(published) == 1
    assert not any(call.errored for call in calls)
    table = local_cloud.physical_id("Borough-dev-Data/Requests")
    item = local_cloud.client("dynamodb").get_item(TableName=table, Key={"reference": {"S": reference}})["Item"]
    assert item["team"]["S"]  # triage ran: the event went out through the topic, the queue and the pipe


@pytest.fixture
def failing_stream(local_cloud) -> Iterator[dict[str, Any]]:
    """A table of our own streamed into the real outbox publisher with one retry and an on-failure queue."""
    dynamodb, sqs, lambda_ = (local_cloud.client(name) for name in ("dynamodb", "sqs", "lambda"))
    name = f"stream-test-{uuid.uuid4().hex[:8]}"
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "reference", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "reference", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    queue_url = sqs.create_queue(QueueName=f"{name}-failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    publisher = local_cloud.physical_id("Borough-dev-Api/Outbox/Publisher/Function")
    mapping = lambda_.create_event_source_mapping(
        FunctionName=publisher,
        EventSourceArn=table["LatestStreamArn"],
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    previous = local_cloud.poller.streams.retry_delay_s
    local_cloud.poller.streams.retry_delay_s = 0
    try:
        yield {"table": name, "queue_url": queue_url, "stream_arn": table["LatestStreamArn"]}
    finally:
        local_cloud.poller.streams.retry_delay_s = previous
        lambda_.delete_event_source_mapping(UUID=mapping["UUID"])
        dynamodb.delete_table(TableName=name)
        sqs.delete_queue(QueueUrl=queue_url)


def test_a_record_that_keeps_failing_goes_to_the_on_failure_queue_and_the_writes_still_succeed(
    local_cloud, failing_stream
):
    dynamodb = local_cloud.client("dynamodb")
    # A stored event that is not an envelope fails its record in the publisher; a binary attribute is fine.
    dynamodb.put_item(
        TableName=failing_stream["table"],
        Item={"reference": {"S": "BAD-0001"}, "outbox": {"S": "not an event"}, "blob": {"B": b"\x00\x01"}},
    )
    local_cloud.wait_for_idle(timeout_s=30)
    messages = local_cloud.client("sqs").receive_message(QueueUrl=failing_stream["queue_url"]).get("Messages", [])
    [failure] = [json.loads(m["Body"]) for m in messages]
    info = failure["DDBStreamBatchInfo"]
    assert info["streamArn"] == failing_stream["stream_arn"]
    assert info["batchSize"] == 1
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2  # the first attempt and its one retry
    assert "not an event" not in json.dumps(failure)  # where the batch is, never its data
    item = dynamodb.get_item(TableName=failing_stream["table"], Key={"reference": {"S": "BAD-0001"}})["Item"]
    assert item["blob"]["B"] == b"\x00\x01"
