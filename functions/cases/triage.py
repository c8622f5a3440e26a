"""Triage handlers: `start` consumes report-submitted events and starts the state machine; `assign` is its task."""

from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cases import logic
from shared import aws
from shared.events import EventEnvelope
from shared.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def _start_one(record: SQSRecord) -> None:
    envelope = EventEnvelope.model_validate_json(record.body)
    logger.set_correlation_id(envelope.correlation_id)
    aws.client("stepfunctions").start_execution(
        stateMachineArn=os.environ["TRIAGE_STATE_MACHINE_ARN"],
        name=envelope.id,  # names the execution after the event, so a trace leads from one to the other
        input=envelope.model_dump_json(),
    )
    logger.info("Triage started", extra={"reference": envelope.data.get("reference"), "event_id": envelope.id})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def start(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=_start_one, processor=processor, context=context)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def assign(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    envelope = EventEnvelope.model_validate(event)
    logger.set_correlation_id(envelope.correlation_id)
    result = logic.assign(envelope)
    logger.info("Triage assigned", extra={"reference": result["reference"], "team": result["team"]})
    return json.loads(json.dumps(result))
