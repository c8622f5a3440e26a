"""Redrive the notifications dead-letter queue once the cause of the failures is fixed.

    PYTHONPATH=functions:. python -m notifications.replay --queue-url <DLQ URL>                 # AWS: a move task
    PYTHONPATH=functions:. python -m notifications.replay --queue-url <DLQ URL> --to <queue URL> --mode copy

`move-task` (the default) asks SQS to move the messages back to the queue they came from (StartMessageMoveTask,
throttled by --max-per-second). `copy` receives, sends to --to and deletes, ten at a time: for the local cloud
(moto has no move tasks) or to send somewhere else. Replaying is safe: the consumer sends each message at most
once, so a message that had in fact been sent is not sent again.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from shared import aws


def queue_arn(sqs: Any, queue_url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def start_move_task(sqs: Any, dlq_url: str, *, destination_url: str | None, max_per_second: int | None) -> str:
    request: dict[str, Any] = {"SourceArn": queue_arn(sqs, dlq_url)}
    if destination_url:
        request["DestinationArn"] = queue_arn(sqs, destination_url)
    if max_per_second:
        request["MaxNumberOfMessagesPerSecond"] = max_per_second
    return str(sqs.start_message_move_task(**request)["TaskHandle"])


def copy_messages(sqs: Any, dlq_url: str, destination_url: str, *, limit: int | None = None) -> int:
    """Receive from the DLQ, send to the destination, then delete: a message is never lost (at worst sent twice,
    which the consumer's idempotency absorbs)."""
    moved = 0
    while limit is None or moved < limit:
        batch = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=10 if limit is None else max(1, min(10, limit - moved)),
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,  # long enough to send them on; if we die, they reappear on the DLQ
        ).get("Messages", [])
        if not batch:
            break
        entries = [
            {"Id": str(i), "MessageBody": m["Body"], "MessageAttributes": m.get("MessageAttributes", {})}
            for i, m in enumerate(batch)
        ]
        result = sqs.send_message_batch(QueueUrl=destination_url, Entries=entries)
        sent = {entry["Id"] for entry in result.get("Successful", [])}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch) if str(i) in sent]
        if done:
            sqs.delete_message_batch(QueueUrl=dlq_url, Entries=done)
        moved += len(done)
        if len(done) < len(batch):
            raise RuntimeError(f"{len(batch) - len(done)} messages could not be sent; they stay on the DLQ")
    return moved


def main(argv: Sequence[str] | None = None, sqs: Any = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notifications.replay", description=__doc__.split("\n")[0])
    parser.add_argument("--queue-url", required=True, help="the dead-letter queue's URL")
    parser.add_argument("--to", help="destination queue URL (default for move-task: where each message came from)")
    parser.add_argument("--mode", choices=("move-task", "copy"), default="move-task")
    parser.add_argument("--max-per-second", type=int, help="move-task throttle (Notify allows 50 a second)")
    parser.add_argument("--limit", type=int, help="copy at most this many messages")
    args = parser.parse_args(argv)
    sqs = sqs or aws.client("sqs")
    if args.mode == "move-task":
        handle = start_move_task(sqs, args.queue_url, destination_url=args.to, max_per_second=args.max_per_second)
        print(f"Started a message move task: {handle}")
        return 0
    if not args.to:
        parser.error("--mode copy needs --to <queue URL>")
    moved = copy_messages(sqs, args.queue_url, args.to, limit=args.limit)
    print(f"Moved {moved} message(s) from the dead-letter queue")
    return 0


if __name__ == "__main__":
    sys.exit(main())
