"""SQS event source mappings as Lambda runs them: batches, partial batch failure, redelivery, dead letters."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from local.cloud import LocalCloud

pytestmark = pytest.mark.local

MAX_RECEIVES = 2


def _queues(cloud: LocalCloud, visibility_timeout: int) -> tuple[str, str, str, str]:
    sqs = cloud.client("sqs")
    suffix = uuid.uuid4().hex[:8]
    dlq_url = sqs.create_queue(QueueName=f"test-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES})
    queue_url = sqs.create_queue(
        QueueName=f"test-source-{suffix}",
        Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": str(visibility_timeout)},
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    results_url = sqs.create_queue(QueueName=f"test-results-{suffix}")["QueueUrl"]
    return queue_url, queue_arn, dlq_url, results_url


def _consumer(cloud: LocalCloud, code_dir: Path, queue_arn: str, results_url: str) -> str:
    name = f"test-partial-batch-{uuid.uuid4().hex[:8]}"
    cloud.add_function(name, "partial_batch.handler", code_dir, {"RESULTS_QUEUE_URL": results_url})
    cloud.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=name, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    return name


def _drain(cloud: LocalCloud, url: str) -> list[str]:
    bodies = []
    while messages := cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies.extend(m["Body"] for m in messages)
        for m in messages:
            cloud.client("sqs").delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def _send(cloud: LocalCloud, url: str, *bodies: str) -> None:
    cloud.client("sqs").send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
    )


def test_failed_items_are_redelivered_then_dead_lettered_and_the_rest_are_deleted(
    local_cloud, test_functions_dir, monkeypatch
):
    monkeypatch.setattr(local_cloud.poller, "retry_delay_s", 0)  # redeliver at once rather than after the timeout
    queue_url, queue_arn, dlq_url, results_url = _queues(local_cloud, visibility_timeout=30)
    _send(local_cloud, queue_url, "ok-1", "fail-1", "ok-2")  # queued before the mapping: one batch of three
    _consumer(local_cloud, test_functions_dir, queue_arn, results_url)
    local_cloud.wait_for_idle(timeout_s=20)

    batches = [json.loads(body) for body in _drain(local_cloud, results_url)]
    assert sorted(r["body"] for r in batches[0]) == ["fail-1", "ok-1", "ok-2"]
    fail_receives = [r["receives"] for batch in batches for r in batch if r["body"] == "fail-1"]
    assert fail_receives == [str(n) for n in range(1, MAX_RECEIVES + 1)]  # delivered maxReceiveCount times
    assert all(r["body"] == "fail-1" for batch in batches[1:] for r in batch)  # successes were not redelivered
    assert _drain(local_cloud, dlq_url) == ["fail-1"]
    assert _drain(local_cloud, queue_url) == []


def test_without_a_shorter_retry_a_failed_item_waits_out_its_visibility_timeout(local_cloud, test_functions_dir):
    assert local_cloud.poller.retry_delay_s is None  # as in AWS
    queue_url, queue_arn, dlq_url, results_url = _queues(local_cloud, visibility_timeout=600)
    name = _consumer(local_cloud, test_functions_dir, queue_arn, results_url)
    _send(local_cloud, queue_url, "fail-once")
    try:
        deadline = time.monotonic() + 20
        while not local_cloud.runtime.invocations_of(name) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(local_cloud.runtime.invocations_of(name)) == 1  # delivered once, failed
        # The retry is still to come: waiting for the local cloud to be idle waits for it, and names it.
        with pytest.raises(TimeoutError, match=r"0 visible, 1 in flight or delayed \(the next visible in "):
            local_cloud.wait_for_idle(timeout_s=1)
        attributes = local_cloud.client("sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        assert attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}
        assert len(_drain(local_cloud, results_url)) == 1
        assert _drain(local_cloud, dlq_url) == []
    finally:
        local_cloud.client("sqs").purge_queue(QueueUrl=queue_url)  # or later tests would wait 600 s for it
    local_cloud.wait_for_idle(timeout_s=20)
