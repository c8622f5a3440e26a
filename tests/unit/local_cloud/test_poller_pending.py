"""What the local cloud's queue poller counts as work still to do (`SqsPoller.pending`, which
`LocalCloud.wait_for_idle` waits on): every message on a polled queue, whether visible now, in flight (a failed
batch waiting out its visibility timeout before SQS hands it out again) or delayed. A retry still to come is work
still to do: a test that read the result while the retry was invisible read it too early (issue 12 item 5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.event_sources import SqsPoller, backlog
from local.lambda_runtime import LambdaRuntime
from local.moto_session import ACCOUNT_ID, REGION, MotoSession

STATE_MACHINE = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:triage-test"


@pytest.fixture
def session() -> Iterator[MotoSession]:
    moto = MotoSession()
    moto.start()
    try:
        yield moto
    finally:
        moto.stop()


def _queue(session: MotoSession, name: str) -> tuple[str, str]:
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


@pytest.fixture
def polled(session: MotoSession) -> tuple[SqsPoller, str, Any]:
    """A poller (not started: nothing delivers) with one pipe from a queue, like the triage pipe."""
    url, arn = _queue(session, "triage-test")
    session.client("pipes").create_pipe(
        Name="triage-test-pipe",
        RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/pipe",
        Source=arn,
        Target=STATE_MACHINE,
        DesiredState="RUNNING",
    )
    return SqsPoller(session, LambdaRuntime(base_environment={})), url, session.client("sqs")


def test_an_empty_polled_queue_is_idle(polled):
    poller, _, _ = polled
    assert poller.pending() is False
    assert poller.pending_work() == []


def test_a_visible_message_is_pending(polled):
    poller, url, sqs = polled
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    assert poller.pending() is True
    assert poller.pending_work() == ["queue triage-test: 1 visible, 0 in flight or delayed"]


def test_a_message_in_flight_after_a_failed_batch_is_pending_until_it_is_deleted(polled):
    poller, url, sqs = polled
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    # What a failed pipe batch leaves: received, not deleted, invisible for the queue's visibility timeout.
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert poller.pending() is True
    (work,) = poller.pending_work()
    assert work.startswith("queue triage-test: 0 visible, 1 in flight or delayed (the next visible in ")
    waiting = backlog(f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:triage-test")
    assert waiting is not None
    assert waiting.next_due_s is not None
    assert 50 < waiting.next_due_s <= 60
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert poller.pending() is False


def test_a_delayed_message_is_pending(polled):
    poller, url, sqs = polled
    sqs.send_message(QueueUrl=url, MessageBody="{}", DelaySeconds=30)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []  # not deliverable yet
    assert poller.pending() is True
    waiting = backlog(f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:triage-test")
    assert waiting is not None
    assert (waiting.visible, waiting.held) == (0, 1)


def test_messages_on_a_queue_nothing_polls_are_not_work_for_the_poller(polled, session):
    poller, _, sqs = polled
    dead_letters, _ = _queue(session, "triage-test-dlq")  # a dead-letter queue: parked, not to be delivered
    sqs.send_message(QueueUrl=dead_letters, MessageBody="{}")
    assert poller.pending() is False


def test_a_stopped_pipes_queue_is_not_polled(polled, session):
    poller, url, sqs = polled
    session.client("pipes").stop_pipe(Name="triage-test-pipe")
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    assert poller.pending() is False


def test_a_queue_that_does_not_exist_has_no_backlog(session):
    assert backlog(f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:no-such-queue") is None
