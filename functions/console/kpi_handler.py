"""The KPI counters' consumer: events from the `kpis` queue become counters in the Kpis table (console/kpi_counters.py).

Thin: each SQS record is an event envelope; a record that is not one, or lacks what its counters need, fails
(batchItemFailures) and reaches the dead-letter queue after the queue's retries, having written nothing.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from console.kpi_counters import KpiCounters
from console.settings import kpi_consumer_settings
from shared.events import EventEnvelope
from shared.observability import logger, observed

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _handle(record: SQSRecord) -> None:
    event = EventEnvelope.model_validate_json(record.body)
    logger.set_correlation_id(event.correlation_id)
    counted = KpiCounters(kpi_consumer_settings().kpis_table).count(event)
    logger.info("KPI event", extra={"event_id": event.id, "type": event.type.value, "counted": counted})


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    kpi_consumer_settings()
    return process_partial_response(event=event, record_handler=_handle, processor=processor, context=context)
