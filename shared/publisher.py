"""Publishing events to the one SNS topic, with `type` as a message attribute for subscription filters."""

from __future__ import annotations

from shared import aws
from shared.errors import DependencyFailed
from shared.events import EventEnvelope
from shared.observability import logger
from shared.settings import FunctionSettings, current


class EventsSettings(FunctionSettings):
    """What a function that publishes needs: its settings model derives from this one."""

    events_topic_arn: str


def publish(event: EventEnvelope, topic_arn: str | None = None) -> str:
    """Publish `event` to `topic_arn` (from the calling function's settings); return SNS's message id. Raises
    DependencyFailed if SNS does not take it. A caller that passes no topic has it from `EventsSettings`."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = aws.client("sns").publish(
            TopicArn=topic_arn or current(EventsSettings).events_topic_arn,
            Message=event.to_message(),
            MessageAttributes={"type": {"DataType": "String", "StringValue": event.type.value}},
        )
    except (BotoCoreError, ClientError) as error:
        logger.exception("Event not published", extra={"event_type": event.type.value, "event_id": event.id})
        raise DependencyFailed("We could not pass your request on. Nothing was saved; please try again.") from error
    logger.info("Event published", extra={"event_type": event.type.value, "event_id": event.id})
    return str(response["MessageId"])
