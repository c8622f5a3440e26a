"""A work queue and its dead-letter queue, as every queue of the project is made: SSE-SQS, TLS only, the message
parked on the dead-letter queue (kept `DLQ_RETENTION`) after `MAX_RECEIVES` receives."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

MAX_RECEIVES = 5  # receives before a message is parked on its dead-letter queue
DLQ_RETENTION = Duration.days(14)  # the longest SQS keeps a message: time to look at it and redrive it


def queue_with_dead_letters(scope: Construct, name: str, *, visibility: Duration) -> tuple[sqs.Queue, sqs.Queue]:
    """`<name>Queue` and its `<name>DeadLetters`."""
    dead_letters = sqs.Queue(
        scope,
        f"{name}DeadLetters",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        retention_period=DLQ_RETENTION,
        enforce_ssl=True,
    )
    queue = sqs.Queue(
        scope,
        f"{name}Queue",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        visibility_timeout=visibility,
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letters, max_receive_count=MAX_RECEIVES),
        enforce_ssl=True,
    )
    return queue, dead_letters
