"""Notifications consumer: events from its SQS queue become messages to residents, each sent at most once.

A message that cannot go now (rate limited, provider down, another attempt in flight) fails its SQS record
(batchItemFailures), after pushing the record's visibility out by an exponential backoff with jitter; after
the queue's maxReceiveCount (5) deliveries SQS parks it on the dead-letter queue (`python -m notifications.replay`
moves it back). A message refused because of our own configuration (a revoked key, a missing template id) is held
and its record failed with a long delay (`HOLD_SECONDS`): it goes once a person has fixed the configuration, by
the queue's retries or, after them, from the dead-letter queue with the replay command.

Time: a record is attempted only while the function has the time its worst case needs (`record_budget_seconds`:
the provider's calls at their timeouts, plus the table's); the records left are reported as failures without
being attempted (SQS partial batch response), and come back after the queue's visibility timeout.
"""

from __future__ import annotations

import random
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from notifications import adapters, delivery, logic, settings
from notifications.adapters import ChannelAdapter, ConfigurationRefused, RateLimited, TemporaryFailure
from notifications.store import InFlight, MessageStore, now_utc
from shared import aws
from shared.events import EventEnvelope
from shared.observability import logger, metrics, observed
from shared.requests_repo import RequestsRepository

BASE_BACKOFF_SECONDS = 15  # the first retry comes 7.5-15 s later, then doubling: 15-30, 30-60, 60-120 s
MAX_BACKOFF_SECONDS = 15 * 60
HOLD_SECONDS = 15 * 60  # held (our configuration): retried every 15 minutes, then the dead-letter queue
RETRYABLE = (RateLimited, TemporaryFailure, InFlight, ConfigurationRefused)
# A record's own work besides the provider: about five DynamoDB calls (compose, record, claim, confirm), each a
# few milliseconds (an allowance, not the SDK's worst case: a record cut short by the timeout is safe, see
# delivery.py), and a margin so the function ends by itself rather than being stopped at its timeout.
STORE_SECONDS = 1.0
MARGIN_SECONDS = 0.5

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class _Batch:
    """Per-invocation state: once the provider says "slow down", or refuses our key, the rest of the batch does
    not ask again."""

    stopped: RateLimited | ConfigurationRefused | None = None


class NotAttempted(Exception):
    """Too little of the function's time is left for this record's worst case: SQS delivers it again."""


def record_budget_seconds(adapter: ChannelAdapter) -> float:
    """The time a record may need at worst: the provider's calls at their timeouts, the table's, a margin."""
    return adapter.worst_case_seconds + STORE_SECONDS + MARGIN_SECONDS


def backoff_seconds(receive_count: int, retry_after: float | None = None, rand: float | None = None) -> int:
    """Exponential backoff with equal jitter: half the step fixed, half random; at least the provider's hint."""
    jitter = random.random() if rand is None else rand  # noqa: S311 - jitter, not a secret
    step = min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** max(receive_count - 1, 0))
    delay = step / 2 + jitter * step / 2
    if retry_after:
        delay = max(delay, min(MAX_BACKOFF_SECONDS, retry_after * (1 + jitter / 2)))
    return int(delay)


def queue_url(queue_arn: str) -> str:
    _, _, _, region, account, name = queue_arn.split(":", 5)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def _back_off(record: SQSRecord, error: Exception) -> None:
    receives = int(record.attributes.approximate_receive_count or 1)
    if isinstance(error, ConfigurationRefused):
        delay = HOLD_SECONDS
    else:
        delay = backoff_seconds(receives, getattr(error, "retry_after", None))
    try:
        aws.client("sqs").change_message_visibility(
            QueueUrl=queue_url(record.event_source_arn), ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
        )
    except Exception:  # without it SQS still retries, after the queue visibility timeout
        logger.warning("Could not delay the retry", extra={"sqs_message_id": record.message_id})


def _compose(event: EventEnvelope) -> list[dict[str, Any]]:
    from notifications import permit_messages, receipts, reminders, renewal_reminders, save_and_return

    if event.type in permit_messages.EVENT_TYPES:
        return permit_messages.compose(event)
    if event.type in renewal_reminders.EVENT_TYPES:
        return renewal_reminders.compose(event)
    if event.type in reminders.EVENT_TYPES:
        return reminders.compose(event)
    if event.type in save_and_return.EVENT_TYPES:
        return save_and_return.compose(event)
    request = RequestsRepository().get(event.data["reference"])
    if request is None:
        logger.warning("Event for an unknown request", extra={"event_id": event.id})
        return []
    if event.type in receipts.EVENT_TYPES:
        return receipts.compose(event, request)
    return logic.compose(event, request)


def _handle(record: SQSRecord, lambda_context: LambdaContext) -> None:
    adapter = adapters.from_environment()
    remaining = lambda_context.get_remaining_time_in_millis() / 1000
    if remaining < record_budget_seconds(adapter):
        metrics.add_metric(name="NotificationsNotAttempted", unit=MetricUnit.Count, value=1)
        raise NotAttempted(f"{remaining:.1f} s left")
    event = EventEnvelope.model_validate_json(record.body)
    logger.set_correlation_id(event.correlation_id)
    messages = _compose(event)
    store = MessageStore(settings.settings().notifications_table)
    created = store.record(messages, now_utc())
    metrics.add_metric(name="NotificationsRecorded", unit=MetricUnit.Count, value=created)
    logger.info("Notifications recorded", extra={"event_id": event.id, "event_type": event.type.value, "new": created})
    try:
        for message in messages:
            if _Batch.stopped is not None:
                raise _Batch.stopped
            try:
                delivery.deliver(message, store=store, adapter=adapter)
            except RateLimited as limited:
                _Batch.stopped = limited
                raise
            except ConfigurationRefused as refused:
                if refused.stops_batch:
                    _Batch.stopped = refused
                raise
    except RETRYABLE as error:
        metrics.add_metric(name="NotificationsRetried", unit=MetricUnit.Count, value=1)
        _back_off(record, error)
        raise


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    settings.load_for(settings.ConsumerSettings)
    _Batch.stopped = None
    return process_partial_response(event=event, record_handler=_handle, processor=processor, context=context)
