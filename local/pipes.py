"""EventBridge Pipes from an SQS queue to a Step Functions state machine, as Pipes runs them.

moto records pipes (CreatePipe, DescribePipe, ...) but never runs them. The local cloud's SQS poller
(`local.event_sources`) polls each running pipe's queue as it polls Lambda's event source mappings — batches up to
the pipe's BatchSize, a failed batch left in flight until its visibility timeout ends, SQS moving a message to the
dead-letter queue after maxReceiveCount receives — and hands each batch to `start`, which does what Pipes does for
a Step Functions target:

- each message becomes the SQS record Pipes sees (`messageId`, `body`, `attributes`, ...); with an `InputTemplate`
  the record is transformed first, with the `body` of a JSON message parsed (implicit body data parsing), so
  `<$.body.id>` reaches into it;
- the batch goes to the target as one JSON array, even a batch of one (Step Functions has no batch API);
- FIRE_AND_FORGET is `StartExecution` under a random name; the batch succeeds when the execution starts. A start
  that fails (input that is not JSON, a missing state machine) fails the whole batch.
- REQUEST_RESPONSE (the default) is `StartSyncExecution` in AWS, which moto lacks: the execution is started the
  same way and waited for; the batch succeeds only if it SUCCEEDED, and a failed, timed-out or aborted execution
  fails the whole batch, as Pipes treats an Express workflow's failure.

Only that shape is served: another source or target, filters and enrichment are reported as not served
(`unsupported`) and the pipe is not run.
"""

from __future__ import annotations

import json
import re
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from local.moto_session import ACCOUNT_ID, REGION, MotoSession, released

SERVED = "an SQS queue source and a Step Functions state machine target (REQUEST_RESPONSE or FIRE_AND_FORGET)"
INVOCATION_TYPES = ("REQUEST_RESPONSE", "FIRE_AND_FORGET")
SYNC_EXECUTION_LIMIT_S = 300  # StartSyncExecution waits for an Express execution up to five minutes
_SYNC_POLL_S = 0.02
_SOURCE = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w.-]+$")
_TARGET = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w.-]+$")
_PLACEHOLDER = re.compile(r"<([^<>\s]+)>")
_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_MISSING = object()


class TargetFailed(RuntimeError):
    """The target could not be invoked: the whole batch failed and stays on the queue."""


@dataclass(frozen=True)
class SqsPipe:
    """A running pipe the local cloud serves: SQS queue -> Step Functions state machine."""

    name: str
    arn: str
    queue_arn: str
    queue_url: str
    batch_size: int
    target_arn: str
    input_template: str | None
    invocation_type: str = "REQUEST_RESPONSE"  # the Pipes default


def unsupported(pipe: dict[str, Any]) -> list[str]:
    """Why the local cloud cannot run `pipe` (CloudFormation or CreatePipe shape); empty if it can."""
    problems = []
    source, target = str(pipe.get("Source", "")), str(pipe.get("Target", ""))
    source_parameters = pipe.get("SourceParameters") or {}
    target_parameters = pipe.get("TargetParameters") or {}
    if not _SOURCE.match(source):
        problems.append(f"source {source!r} is not an SQS queue")
    if source_parameters.get("FilterCriteria"):
        problems.append("filters (FilterCriteria) are not applied locally")
    other_sources = sorted(set(source_parameters) - {"SqsQueueParameters", "FilterCriteria"})
    if other_sources:
        problems.append(f"source parameters {other_sources} are not for an SQS queue")
    if pipe.get("Enrichment"):
        problems.append("enrichment is not run locally")
    if not _TARGET.match(target):
        problems.append(f"target {target!r} is not a Step Functions state machine")
    invocation = _invocation_type(target_parameters)
    if invocation not in INVOCATION_TYPES:
        problems.append(f"invocation type {invocation!r} is not one Pipes has ({', '.join(INVOCATION_TYPES)})")
    other_targets = sorted(set(target_parameters) - {"InputTemplate", "StepFunctionStateMachineParameters"})
    if other_targets:
        problems.append(f"target parameters {other_targets} are not for a state machine")
    template = target_parameters.get("InputTemplate")
    if template is not None and any("*" in name for name in _PLACEHOLDER.findall(str(template))):
        problems.append("InputTemplate wildcards (*) are not understood locally")
    return problems


def from_moto(pipe: Any) -> SqsPipe | list[str]:
    """A pipe in moto's pipes backend as the local cloud serves it, or why it cannot be served."""
    shape = {
        "Source": pipe.source,
        "SourceParameters": pipe.source_parameters,
        "Enrichment": pipe.enrichment,
        "Target": pipe.target,
        "TargetParameters": pipe.target_parameters,
    }
    problems = unsupported(shape)
    if problems:
        return problems
    sqs_parameters = (pipe.source_parameters or {}).get("SqsQueueParameters") or {}
    template = (pipe.target_parameters or {}).get("InputTemplate")
    queue_name = pipe.source.rsplit(":", 1)[1]
    return SqsPipe(
        name=pipe.name,
        arn=pipe.arn,
        queue_arn=pipe.source,
        queue_url=f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{queue_name}",
        batch_size=int(sqs_parameters.get("BatchSize") or 10),  # the Pipes default for SQS
        target_arn=pipe.target,
        input_template=None if template is None else str(template),
        invocation_type=_invocation_type(pipe.target_parameters or {}),
    )


def _invocation_type(target_parameters: dict[str, Any]) -> str:
    parameters = target_parameters.get("StepFunctionStateMachineParameters") or {}
    return str(parameters.get("InvocationType") or "REQUEST_RESPONSE")


def target_input(pipe: SqsPipe, records: list[dict[str, Any]]) -> str:
    """What Pipes sends a Step Functions target for a batch: a JSON array of the (transformed) records.

    Each element is the template's text for that record, so a template that does not produce JSON makes the
    whole input invalid (and StartExecution refuses it), as in AWS.
    """
    if pipe.input_template is None:
        return json.dumps(records)
    return "[" + ",".join(render(pipe.input_template, record, pipe) for record in records) + "]"


def render(template: str, record: dict[str, Any], pipe: SqsPipe) -> str:
    """Apply an InputTemplate to one SQS record as Pipes does.

    A JSON path (`<$.body.id>`) is looked up in the record with a JSON `body` parsed; a string value is inserted
    without quotes (write `"<$.x>"` for a JSON string), an object, array, number, boolean or null as JSON, and a
    path that matches nothing as nothing. Reserved variables (`<aws.pipes.pipe-name>`, ...) work too. A template
    that is *only* a path to an object or array loses that value's quotes, as the Pipes documentation warns
    (`{"key": "value"}` becomes `{key: value}`): wrap it (`{"data": <$.body>}`) to keep it JSON.
    """
    event = _parsed(record)
    reserved: dict[str, Any] = {
        "aws.pipes.pipe-arn": pipe.arn,
        "aws.pipes.pipe-name": pipe.name,
        "aws.pipes.source-arn": pipe.queue_arn,
        "aws.pipes.enrichment-arn": "",
        "aws.pipes.target-arn": pipe.target_arn,
        "aws.pipes.event.ingestion-time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "aws.pipes.event": record,
        "aws.pipes.event.json": event,
    }
    whole = _PLACEHOLDER.fullmatch(template.strip())
    if whole and whole.group(1).startswith("$"):
        value = _lookup(event, whole.group(1))
        if isinstance(value, dict | list):
            return json.dumps(value).replace('"', "")

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in reserved:
            value = reserved[name]
        elif name.startswith("$"):
            value = _lookup(event, name)
        else:
            return match.group(0)  # not a placeholder: text such as `<b>` stays as it is
        if value is _MISSING:
            return ""
        if isinstance(value, str):
            return json.dumps(value)[1:-1]
        return json.dumps(value)

    return _PLACEHOLDER.sub(substitute, template)


def _parsed(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its `body` parsed when the body is JSON (Pipes' implicit body data parsing)."""
    try:
        return {**record, "body": json.loads(record["body"])}
    except (ValueError, TypeError):
        return record


def _lookup(event: Any, path: str) -> Any:
    value = event
    rest = path[1:]
    while rest:
        step = _PATH_STEP.match(rest)
        if step is None:
            return _MISSING
        key, index = step.groups()
        if key is not None and isinstance(value, dict) and key in value:
            value = value[key]
        elif index is not None and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return _MISSING
        rest = rest[step.end() :]
    return value


def start(session: MotoSession, pipe: SqsPipe, records: list[dict[str, Any]]) -> str:
    """Run the target with the batch: start one execution (and, REQUEST_RESPONSE, wait for it to succeed); its ARN,
    or TargetFailed."""
    from botocore.exceptions import ClientError

    try:
        started = session.client("stepfunctions").start_execution(
            stateMachineArn=pipe.target_arn,
            name=str(uuid.uuid4()),  # Pipes names each execution at random (moto's parser would name it "None")
            input=target_input(pipe, records),
        )
    except ClientError as error:
        raise _failed(pipe, records, str(error)) from error
    execution_arn: str = started["executionArn"]
    if pipe.invocation_type == "REQUEST_RESPONSE":
        status = _wait_for(execution_arn)
        if status != "SUCCEEDED":
            raise _failed(pipe, records, f"execution {execution_arn} {status}{why_it_failed(execution_arn)}")
    return execution_arn


def why_it_failed(execution_arn: str) -> str:
    """The execution's error and the failures behind it (a caught task error), as the console's history shows them:
    what the pipe's log names, so that a failed batch says why (an empty string if moto has nothing to say)."""
    from moto.stepfunctions.responses import get_backend

    backend = get_backend(ACCOUNT_ID, REGION)
    execution = backend.describe_execution(execution_arn)
    parts = [f"{execution.error}: {execution.cause}"] if getattr(execution, "error", None) else []
    try:
        events = backend.get_execution_history(execution_arn)["events"]
    except Exception:  # a diagnostic: a history moto cannot give leaves the error alone
        events = []
    for event in events:
        for name, details in event.items():
            if name.endswith("FailedEventDetails") and name != "executionFailedEventDetails":
                error, cause = details.get("error", ""), str(details.get("cause", ""))
                parts.append(f"{event.get('type')} {error}: {cause[:500]}")
    return f" ({'; '.join(parts)})" if parts else ""


def _wait_for(execution_arn: str) -> str:
    """The execution's final status, or TIMED_OUT past StartSyncExecution's limit.

    Read from moto's backend, not through DescribeExecution: in AWS the one StartSyncExecution call answers, and
    the cost model counts API calls. moto runs the execution on its own thread, whose tasks need the local cloud's
    lock: the wait lets go of it."""
    from moto.stepfunctions.responses import get_backend

    backend = get_backend(ACCOUNT_ID, REGION)
    deadline = time.monotonic() + SYNC_EXECUTION_LIMIT_S
    while time.monotonic() < deadline:
        status = str(backend.describe_execution(execution_arn).status)
        if status != "RUNNING":
            return status
        with released():
            time.sleep(_SYNC_POLL_S)
    return "TIMED_OUT"


def _failed(pipe: SqsPipe, records: list[dict[str, Any]], reason: str) -> TargetFailed:
    # What the pipe's ERROR-level log says in AWS: the batch failed and will be retried.
    print(f"[pipe {pipe.name}] target failed, {len(records)} message(s) to retry: {reason}", file=sys.stderr)
    return TargetFailed(reason)
