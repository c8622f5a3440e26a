"""SQS event source mappings as Lambda's pollers run them, for functions that run locally, and SQS-sourced pipes.

moto delivers a queue's messages to a mapped function synchronously inside `SendMessage`, one message per
invocation, and treats failure as all-or-nothing with no redelivery until the next send. This poller replaces
that for local functions: batches up to the mapping's BatchSize with the real record attributes, honours
`batchItemFailures` when the mapping reports them (ReportBatchItemFailures), leaves failed messages in flight
until their visibility timeout ends (then redelivers them), and lets SQS move a message to the dead-letter
queue once it has been received maxReceiveCount times.

EventBridge Pipes whose source is an SQS queue are polled the same way (`local.pipes` says what a pipe does with
a batch): a batch whose target cannot be invoked fails as a whole and comes back like a failed Lambda batch.
DynamoDB stream mappings are driven from the same thread (`local.streams` says how).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local import pipes, streams
from local.background import BackgroundThread
from local.lambda_runtime import LambdaRuntime
from local.moto_session import ACCOUNT_ID, LOCK, REGION, MotoSession

POLL_INTERVAL_S = 0.02


@dataclass(frozen=True)
class Mapping:
    uuid: str
    function_arn: str
    queue_arn: str
    queue_url: str
    batch_size: int
    report_item_failures: bool


Source = Mapping | pipes.SqsPipe  # what the poller polls: both have queue_arn, queue_url and batch_size


class SqsPoller(BackgroundThread):
    """One background thread that polls every enabled SQS mapping of a local function and every running SQS pipe."""

    thread_name = "local-sqs-poller"

    def __init__(
        self,
        session: MotoSession,
        runtime: LambdaRuntime,
        retry_delay_s: int | None = None,
        refusal: Callable[[str, str], str | None] | None = None,
    ) -> None:
        """`refusal(role_arn, queue_arn)`: why a function's role may not poll the queue (None: it may)."""
        super().__init__()
        self._session = session
        self._runtime = runtime
        self._refusal = refusal
        self.refused_mappings: dict[str, str] = {}  # mapping uuid -> why Lambda cannot poll for it (its role)
        # None: failed messages come back after the queue's visibility timeout, as in AWS. Tests may shorten it.
        self.retry_delay_s = retry_delay_s
        self._busy = False
        self._original_create: Any = None
        self.pipe_messages = 0  # messages handed to pipes' targets, retries included (what Pipes bills)
        self.unsupported_pipes: dict[str, list[str]] = {}  # pipe name -> why it is not run locally
        self.streams = streams.StreamMappings(session, runtime)

    # -- taking mappings over from moto ---------------------------------------------------------------------------
    def install(self) -> None:
        from moto.awslambda.models import LambdaBackend
        from moto.sqs.models import sqs_backends

        if self._original_create is not None:
            return
        original = LambdaBackend.create_event_source_mapping
        self._original_create = original
        runtime = self._runtime

        def create_event_source_mapping(backend: Any, spec: dict[str, Any]) -> Any:
            esm = original(backend, spec)
            if runtime.is_local(esm.function_arn):
                for queue in sqs_backends[backend.account_id][backend.region_name].queues.values():
                    queue.lambda_event_source_mappings.pop(esm.function_arn, None)  # no synchronous delivery
                streams.detach(esm)
            return esm

        LambdaBackend.create_event_source_mapping = create_event_source_mapping  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        from moto.awslambda.models import LambdaBackend

        if self._original_create is not None:
            LambdaBackend.create_event_source_mapping = self._original_create  # type: ignore[method-assign]
            self._original_create = None

    # -- polling ------------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.streams.skip_existing()
        super().start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                delivered = self.poll_once()
            except Exception:
                import traceback

                traceback.print_exc()
                delivered = False
            if not delivered:
                self._stopping.wait(POLL_INTERVAL_S)

    def mappings(self) -> list[Mapping]:
        from moto.awslambda.utils import get_backend
        from moto.sqs.models import sqs_backends

        queues = {queue.queue_arn: queue for queue in sqs_backends[ACCOUNT_ID][REGION].queues.values()}
        found = []
        for esm in list(get_backend(ACCOUNT_ID, REGION)._event_source_mappings.values()):
            queue = queues.get(esm.event_source_arn)
            if queue is None or not esm.enabled or not self._runtime.is_local(esm.function_arn):
                continue
            if self._refused(esm):
                continue  # in AWS the mapping would not be created, or would stop with a PROBLEM state
            found.append(
                Mapping(
                    uuid=esm.uuid,
                    function_arn=esm.function_arn,
                    queue_arn=esm.event_source_arn,
                    queue_url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{queue.name}",
                    batch_size=int(esm.batch_size or 10),
                    report_item_failures="ReportBatchItemFailures" in (esm.function_response_types or []),
                )
            )
        return found

    def _refused(self, esm: Any) -> bool:
        """Lambda polls with the function's role: without the grants to read the queue it cannot."""
        if self._refusal is None:
            return False
        if esm.uuid not in self.refused_mappings:
            from moto.awslambda.utils import get_backend

            role = get_backend(ACCOUNT_ID, REGION).get_function(esm.function_arn).role
            reason = self._refusal(role, esm.event_source_arn)
            self.refused_mappings[esm.uuid] = reason or ""
            if reason:
                print(f"local cloud: the event source mapping {esm.uuid} cannot poll: {reason}", file=sys.stderr)
        return bool(self.refused_mappings[esm.uuid])

    def served_pipes(self) -> list[pipes.SqsPipe]:
        """Every running pipe the local cloud serves (those it cannot serve are kept in `unsupported_pipes`)."""
        from moto.pipes.models import pipes_backends

        found = []
        for pipe in list(pipes_backends[ACCOUNT_ID][REGION].pipes.values()):
            if pipe.desired_state != "RUNNING":
                continue
            served = pipes.from_moto(pipe)
            if isinstance(served, list):
                self.unsupported_pipes[pipe.name] = served
                continue
            found.append(served)
        return found

    def sources(self) -> list[Source]:
        return [*self.mappings(), *self.served_pipes()]

    def pending(self) -> bool:
        """Whether a delivery is running, a stream has records to deliver, or a polled queue holds any message: one
        visible now, one in flight (a failed batch's, waiting out its visibility timeout before it is retried) or
        one delayed. A retry still to come is work still to do."""
        return bool(self.pending_work())

    def pending_work(self) -> list[str]:
        """What is still to do, one line each (empty: idle); `LocalCloud.wait_for_idle` names it when it times out."""
        if self._busy:
            return ["a delivery is running"]
        with LOCK:
            work = ["a DynamoDB stream has records to deliver"] if self.streams.pending() else []
            for source in self.sources():
                waiting = backlog(source.queue_arn)
                if waiting is not None and waiting.messages:
                    work.append(waiting.describe())
            return work

    @staticmethod
    def _has_visible(source: Source) -> bool:
        waiting = backlog(source.queue_arn)
        return waiting is not None and waiting.visible > 0

    def poll_once(self) -> bool:
        """Deliver one batch from each polled queue that has visible messages; True if anything was delivered."""
        delivered = False
        with LOCK:
            self._busy = True
            try:
                for source in self.sources():
                    if self._has_visible(source):
                        delivered |= self._deliver(source)
                delivered |= self.streams.poll_once()
            finally:
                self._busy = False
        return delivered

    def _deliver(self, source: Source) -> bool:
        sqs = self._session.client("sqs")
        received = sqs.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=min(source.batch_size, 10),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not received:
            return False
        records = [_record(message, source.queue_arn) for message in received]
        if isinstance(source, pipes.SqsPipe):
            failed_ids = self._to_pipe_target(source, records)
        else:
            failed_ids = self._to_function(source, records)
        done = [m for m in received if m["MessageId"] not in failed_ids]
        if done:
            sqs.delete_message_batch(
                QueueUrl=source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if failed_ids and self.retry_delay_s is not None:
            for message in received:
                if message["MessageId"] in failed_ids:
                    sqs.change_message_visibility(
                        QueueUrl=source.queue_url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=self.retry_delay_s,
                    )
        return True

    def _to_function(self, mapping: Mapping, records: list[dict[str, Any]]) -> set[str]:
        """Invoke the mapped function with the batch; the ids of the messages that failed."""
        response = self._session.client("lambda").invoke(
            FunctionName=mapping.function_arn, Payload=json.dumps({"Records": records})
        )
        payload = response["Payload"].read()
        return _failed_ids(response, payload, mapping, {r["messageId"] for r in records})

    def _to_pipe_target(self, pipe: pipes.SqsPipe, records: list[dict[str, Any]]) -> set[str]:
        """Hand the batch to the pipe's target; all of it fails if the target cannot be invoked."""
        self.pipe_messages += len(records)
        try:
            pipes.start(self._session, pipe, records)
        except pipes.TargetFailed:
            return {r["messageId"] for r in records}
        return set()

    def wait_until_idle(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.pending():
                return True
            time.sleep(POLL_INTERVAL_S)
        return False


@dataclass(frozen=True)
class Backlog:
    """The messages on one queue: visible now, and held (in flight or delayed) with the time the first is due."""

    queue_name: str
    visible: int
    held: int
    next_due_s: float | None  # seconds until the first held message can be received again

    @property
    def messages(self) -> int:
        return self.visible + self.held

    def describe(self) -> str:
        text = f"queue {self.queue_name}: {self.visible} visible, {self.held} in flight or delayed"
        if self.next_due_s is not None:
            text += f" (the next visible in {self.next_due_s:.1f} s)"
        return text


def backlog(queue_arn: str) -> Backlog | None:
    """The queue's messages as SQS holds them, or None if there is no such queue.

    Looked up in moto's memory: far cheaper than a GetQueueAttributes call every few milliseconds."""
    from moto.sqs.models import sqs_backends

    for queue in list(sqs_backends[ACCOUNT_ID][REGION].queues.values()):
        if queue.queue_arn != queue_arn:
            continue
        now_ms = time.time() * 1000
        visible, due = 0, []
        for message in list(queue._messages):
            if message.visible and not message.delayed:
                visible += 1
            else:
                due.append(max(message.visible_at, message.delayed_until, now_ms))
        next_due_s = (min(due) - now_ms) / 1000 if due else None
        return Backlog(queue.name, visible, len(due), next_due_s)
    return None


def _failed_ids(response: dict[str, Any], payload: bytes, mapping: Mapping, every: set[str]) -> set[str]:
    if response.get("FunctionError"):
        return every  # the whole batch failed: every message comes back after its visibility timeout
    if not mapping.report_item_failures:
        return set()
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        return every
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failures = result["batchItemFailures"]
    ids = {str(item.get("itemIdentifier", "")) for item in failures if isinstance(item, dict)}
    if not ids <= every or "" in ids:
        return every  # an unknown or empty identifier fails the whole batch, as Lambda does
    return ids


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            key: attributes[key]
            for key in (
                "ApproximateReceiveCount",
                "SentTimestamp",
                "SenderId",
                "ApproximateFirstReceiveTimestamp",
                "MessageGroupId",
                "MessageDeduplicationId",
                "SequenceNumber",
                "AWSTraceHeader",
            )
            if key in attributes
        },
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": base64_text(value.get("BinaryValue")),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


def base64_text(value: bytes | None) -> str | None:
    if value is None:
        return None
    import base64

    return base64.b64encode(value).decode()
