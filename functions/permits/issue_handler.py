"""The permits consumer: `order-paid` from its SQS queue issues the paid application's permit (permits.issuing).

A record that fails (the table unreachable) is a batch item failure: SQS delivers it again, and after the queue's
five receives parks it on the dead-letter queue (alarmed). Issuing is conditional, so a redelivery issues nothing
twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from permits.issuing import issue_paid
from permits.settings import issue_settings
from permits.store import PermitsStore
from shared import aws
from shared.events import EventEnvelope
from shared.observability import logger, observed

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _handle(record: SQSRecord) -> None:
    event = EventEnvelope.model_validate_json(record.body)
    logger.set_correlation_id(event.correlation_id)
    issued = issue_paid(PermitsStore(aws.table(issue_settings().permits_table)), event)
    logger.info("Permits: event applied", extra={"event_id": event.id, "outcome": issued.outcome})


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    issue_settings()
    return process_partial_response(event=event, record_handler=_handle, processor=processor, context=context)
