"""Notifications consumer: events from its SQS queue become messages to residents, recorded exactly once."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifications import logic
from shared.events import EventEnvelope
from shared.observability import logger, metrics, tracer
from shared.requests_repo import RequestsRepository

processor = BatchProcessor(event_type=EventType.SQS)


def _handle(record: SQSRecord) -> None:
    event = EventEnvelope.model_validate_json(record.body)
    logger.set_correlation_id(event.correlation_id)
    request = RequestsRepository().get(event.data["reference"])
    if request is None:
        logger.warning("Event for an unknown request", extra={"event_id": event.id})
        return
    messages = logic.compose(event, request)
    created = logic.record_messages(messages, os.environ["NOTIFICATIONS_TABLE"])
    metrics.add_metric(name="NotificationsRecorded", unit=MetricUnit.Count, value=created)
    logger.info("Notifications recorded", extra={"event_id": event.id, "event_type": event.type.value, "new": created})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=_handle, processor=processor, context=context)
