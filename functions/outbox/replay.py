"""Re-send what the outbox could not publish, once the cause is fixed (an operator's tool, not deployed code).

    PYTHONPATH=functions:. EVENTS_TOPIC_ARN=<topic ARN> python -m outbox.replay --queue-url <outbox DLQ URL>

Each message on the outbox's dead-letter queue names a batch by its stream position (Lambda's `DDBStreamBatchInfo`:
the stream, the shard, the first and last sequence numbers), never its data. While the stream still holds those
records (24 hours), the replay reads them and publishes each record's new event exactly as the publisher does
(`shared.outbox.from_stream_record`: the same event, the same id, so consumers de-duplicate), then deletes the
message. A message whose records it cannot read, or whose events do not all go, stays on the queue.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared import aws, outbox
from shared.publisher import publish


@dataclass
class Replayed:
    messages: int = 0  # dead-letter messages completed and deleted
    published: int = 0  # events sent again
    kept: int = 0  # messages left on the queue


def streams_client() -> Any:
    import boto3
    from botocore.config import Config

    # The regional endpoint: account-based stream endpoints (<account>.streams-ddb...) are not served by moto.
    return boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))


def batch_records(streams: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The records from `startSequenceNumber` to `endSequenceNumber` of the batch's shard (KeyError if gone)."""
    first, last = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    found: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator)
        records = page.get("Records", [])
        found += [r for r in records if first <= int(r["dynamodb"]["SequenceNumber"]) <= last]
        if not records or int(records[-1]["dynamodb"]["SequenceNumber"]) >= last:
            break
        iterator = page.get("NextShardIterator")
    if not found or int(found[-1]["dynamodb"]["SequenceNumber"]) != last:
        raise KeyError(f"the stream no longer holds {info['startSequenceNumber']}..{info['endSequenceNumber']}")
    return found


def replay(queue_url: str, topic_arn: str, *, streams: Any | None = None, limit: int = 100) -> Replayed:
    sqs = aws.client("sqs")
    streams = streams or streams_client()
    done = Replayed()
    seen: set[str] = set()
    while done.messages + done.kept < limit:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            break
        for message in fresh:
            seen.add(message["MessageId"])
            try:
                info = json.loads(message["Body"])["DDBStreamBatchInfo"]
                events = [e for e in map(outbox.from_stream_record, batch_records(streams, info)) if e is not None]
                for event in events:
                    publish(event, topic_arn)
            except Exception as error:  # kept for the next run; the operator sees why
                print(f"kept {message['MessageId']}: {error}", file=sys.stderr)
                done.kept += 1
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            done.messages += 1
            done.published += len(events)
    return done


def main(argv: Sequence[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m outbox.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--queue-url", required=True, help="the outbox's dead-letter queue")
    parser.add_argument("--topic-arn", default=os.environ.get("EVENTS_TOPIC_ARN", ""), help="the events topic")
    parser.add_argument("--limit", type=int, default=100, help="messages to look at in this run")
    args = parser.parse_args(argv)
    if not args.topic_arn:
        parser.error("--topic-arn (or EVENTS_TOPIC_ARN) is required")
    done = replay(args.queue_url, args.topic_arn, limit=args.limit)
    print(f"{done.messages} batches replayed, {done.published} events published, {done.kept} kept")
    return 0 if done.kept == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
