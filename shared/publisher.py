"""Publishing events to the one SNS topic, with `type` as a message attribute for subscription filters."""

from __future__ import annotations

import os

from shared import aws
from shared.errors import DependencyFailed
from shared.events import EventEnvelope
from shared.observability import logger


def publish(event: EventEnvelope, topic_arn: str | None = None) -> str:
    """Publish `event`; return SNS's message id. Raises DependencyFailed if SNS does not take it."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = aws.client("sns").publish(
            TopicArn=topic_arn or os.environ["EVENTS_TOPIC_ARN"],
            Message=event.to_message(),
            MessageAttributes={"type": {"DataType": "String", "StringValue": event.type.value}},
        )
    except (BotoCoreError, ClientError) as error:
        logger.exception("Event not published", extra={"event_type": event.type.value, "event_id": event.id})
        raise DependencyFailed("We could not pass your request on. Nothing was saved; please try again.") from error
    logger.info("Event published", extra={"event_type": event.type.value, "event_id": event.id})
    return str(response["MessageId"])
