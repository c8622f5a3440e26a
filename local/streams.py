"""DynamoDB stream event source mappings as Lambda's stream pollers run them, for functions that run locally.

moto delivers a table's stream to a mapped function inside the write itself (PutItem, UpdateItem), re-sends every
record since the last success with each later write, and fails the write when a record cannot be serialised (a
binary attribute). The queue poller (`local.event_sources.SqsPoller`) stops that and drives these mappings instead,
after the write, as Lambda does:
- batches of up to BatchSize records from the mapping's checkpoint, in Lambda's record shape (binary as base64);
- `batchItemFailures` (ReportBatchItemFailures): the checkpoint moves to the first failed record, retried next;
- a function error fails the batch; with BisectBatchOnFunctionError the batch is halved until one record fails;
- after MaximumRetryAttempts retries (-1: until it succeeds) the batch's stream position goes to the on-failure
  destination (an SQS queue), as Lambda's `DDBStreamBatchInfo`, and the poller moves past it.
Retries wait `retry_delay_s` (Lambda retries at once; a local loop would spin). MaximumRecordAgeInSeconds is not
applied. Records written before the local cloud serves (provisioning, loading saved tables) are not delivered:
they were delivered in the run that wrote them.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.lambda_runtime import LambdaRuntime
from local.moto_session import ACCOUNT_ID, REGION, MotoSession


@dataclass
class _Position:
    """Where a mapping is on its stream, and how its current batch is faring."""

    checkpoint: int = 0  # index of the first record not yet delivered
    limit: int = 0  # records in the next batch (smaller while bisecting)
    attempts: int = 0  # failed attempts of the current first record
    not_before: float = 0.0  # monotonic time of the next retry
    failed: list[dict[str, Any]] = field(default_factory=list)  # what went to the on-failure destination


def _table_of(stream_arn: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    for table in dynamodb_backends[ACCOUNT_ID][REGION].tables.values():
        if table.stream_shard is not None and stream_arn == f"{table.table_arn}/stream/{table.latest_stream_label}":
            return table
    return None


def detach(esm: Any) -> None:
    """No synchronous delivery from moto for this mapping: the poller delivers it."""
    table = _table_of(esm.event_source_arn)
    if table is not None:
        table.lambda_event_source_mappings.pop(esm.function_arn, None)


class StreamMappings:
    """Every enabled DynamoDB stream mapping of a local function, polled by `poll_once`."""

    def __init__(self, session: MotoSession, runtime: LambdaRuntime, retry_delay_s: float = 1.0) -> None:
        self._session = session
        self._runtime = runtime
        self.retry_delay_s = retry_delay_s
        self._positions: dict[str, _Position] = {}

    def mappings(self) -> list[tuple[Any, Any]]:
        """(mapping, table) for each enabled stream mapping of a local function."""
        from moto.awslambda.utils import get_backend

        found = []
        for esm in list(get_backend(ACCOUNT_ID, REGION)._event_source_mappings.values()):
            from_stream = ":dynamodb:" in esm.event_source_arn
            if not (esm.enabled and from_stream and self._runtime.is_local(esm.function_arn)):
                continue
            table = _table_of(esm.event_source_arn)
            if table is not None:
                found.append((esm, table))
        return found

    def skip_existing(self) -> None:
        """Start every mapping after what its stream holds now (provisioning, saved tables loaded at start)."""
        for esm, table in self.mappings():
            self._positions[esm.uuid] = _Position(checkpoint=len(table.stream_shard.items))

    def position(self, esm: Any) -> _Position:
        return self._positions.setdefault(esm.uuid, _Position())

    def pending(self) -> bool:
        """Whether a stream holds records a mapping has still to deliver (now or after a retry delay)."""
        return any(self.position(esm).checkpoint < len(table.stream_shard.items) for esm, table in self.mappings())

    def poll_once(self) -> bool:
        """Deliver one batch for each mapping that has records due; True if anything was delivered."""
        delivered = False
        for esm, table in self.mappings():
            position = self.position(esm)
            records = table.stream_shard.items
            if position.checkpoint >= len(records) or time.monotonic() < position.not_before:
                continue
            size = int(esm.batch_size or 100)
            position.limit = min(position.limit or size, size)
            due = records[position.checkpoint : position.checkpoint + position.limit]
            self._deliver(esm, position, [_lambda_record(r.to_json(), esm.event_source_arn) for r in due])
            delivered = True
        return delivered

    def _deliver(self, esm: Any, position: _Position, batch: list[dict[str, Any]]) -> None:
        response = self._session.client("lambda").invoke(
            FunctionName=esm.function_arn, Payload=json.dumps({"Records": batch})
        )
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            if esm.bisect_on_error and len(batch) > 1:
                position.limit = max(1, len(batch) // 2)  # halve until the failing record is alone
                return
            self._failed(esm, position, batch)
            return
        done = _completed(esm, batch, payload)
        position.checkpoint += done
        if done:
            position.attempts = 0  # a new first record: its own retries
        if done == len(batch):
            position.limit = 0
        else:
            self._failed(esm, position, batch[done:])

    def _failed(self, esm: Any, position: _Position, batch: list[dict[str, Any]]) -> None:
        position.attempts += 1
        retries = esm.max_retry_attempts if esm.max_retry_attempts is not None else -1
        if retries < 0 or position.attempts <= retries:
            position.not_before = time.monotonic() + self.retry_delay_s
            return
        self._to_destination(esm, position, batch)
        position.checkpoint += len(batch)
        position.attempts, position.limit, position.not_before = 0, 0, 0.0

    def _to_destination(self, esm: Any, position: _Position, batch: list[dict[str, Any]]) -> None:
        """What Lambda sends the on-failure destination of a stream mapping: where the batch is, not its data."""
        sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
        arrived = [record["dynamodb"]["ApproximateCreationDateTime"] for record in batch]
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": esm.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": position.attempts,
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": _table_of(esm.event_source_arn).stream_shard.id,  # moto's one shard per stream
                "startSequenceNumber": sequence_numbers[0],
                "endSequenceNumber": sequence_numbers[-1],
                "approximateArrivalOfFirstRecord": _iso(arrived[0]),
                "approximateArrivalOfLastRecord": _iso(arrived[-1]),
                "batchSize": len(batch),
                "streamArn": esm.event_source_arn,
            },
        }
        position.failed.append(message)
        destination = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
        if destination and destination.startswith("arn:aws:sqs:"):
            name = destination.rsplit(":", 1)[1]
            self._session.client("sqs").send_message(
                QueueUrl=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}", MessageBody=json.dumps(message)
            )


def _completed(esm: Any, batch: list[dict[str, Any]], payload: bytes) -> int:
    """How many records, from the first, the function completed (all of them unless it reported failures)."""
    if "ReportBatchItemFailures" not in (esm.function_response_types or []):
        return len(batch)
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        return 0
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return len(batch)
    failed = {str(item.get("itemIdentifier", "")) for item in failures if isinstance(item, dict)}
    numbers = [record["dynamodb"]["SequenceNumber"] for record in batch]
    if not failed <= set(numbers):
        return 0  # an unknown identifier fails the whole batch, as Lambda does
    return min(numbers.index(number) for number in failed)


def _lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.replace(tzinfo=created.tzinfo or UTC).timestamp()
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": record["eventSource"],
        "awsRegion": REGION,
        "dynamodb": _jsonable(dynamodb),
        "eventSourceARN": stream_arn,
    }


def _jsonable(value: Any) -> Any:
    """Binary attribute values as Lambda gives them: base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return value


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()
