"""Outbox publisher: the Requests table's stream forwards each event a write stored (shared/outbox.py) to the
events topic.

A record whose publish fails is reported as a batch item failure: Lambda retries from it (bisecting a failing
batch), and a record still failing after the mapping's retries goes to the outbox's dead-letter queue, which
alarms (stacks/constructs/outbox.py). Event ids come from the stored envelope, so a retry re-sends the same id.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from outbox.settings import settings
from shared import outbox
from shared.observability import logger, metrics, observed
from shared.publisher import publish

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


def _forward(record: DynamoDBRecord) -> None:
    event = outbox.from_stream_record(record.raw_event)
    if event is None:
        return  # a write that announced nothing new (triage's assignment, TTL's deletion)
    logger.set_correlation_id(event.correlation_id)
    publish(event, settings().events_topic_arn)  # raises DependencyFailed: the record fails and is retried
    metrics.add_metric(name="OutboxEventsPublished", unit=MetricUnit.Count, value=1)


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    settings()  # validated at the cold start: a missing variable fails here, naming it
    return process_partial_response(event=event, record_handler=_forward, processor=processor, context=context)
