"""The renewals consumer: `payment-succeeded` from its SQS queue records a subscription (renewals.logic).

A record that fails (the table unreachable) is a batch item failure: SQS delivers it again, and after the queue's
five receives parks it on the dead-letter queue (alarmed). Recording is a conditional put, so a redelivery records
nothing twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from renewals.logic import Renewals
from renewals.settings import settings
from renewals.store import RenewalsStore
from shared.events import EventEnvelope
from shared.observability import logger, observed

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _handle(record: SQSRecord) -> None:
    event = EventEnvelope.model_validate_json(record.body)
    logger.set_correlation_id(event.correlation_id)
    outcome = Renewals(RenewalsStore(settings().renewals_table)).on_event(event)
    logger.info("Renewals: event applied", extra={"event_id": event.id, "outcome": outcome.outcome})


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=_handle, processor=processor, context=context)
