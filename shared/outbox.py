"""The transactional outbox: a write and the event announcing it are one DynamoDB write, never two steps.

The writer stores the event's envelope in the item it writes (`outbox`), in the same PutItem or UpdateItem. The
table's stream (new and old images) runs the outbox publisher (`functions/outbox`), which forwards the envelope to
the events topic when a write put a new one there: a crash after the write loses nothing (the stream still has
it) and a retried publish sends the same event id again, which consumers de-duplicate. Writes that announce
nothing (triage's assignment, TTL's deletion) leave `outbox` as it was, so nothing is published for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.events import EventEnvelope

ATTRIBUTE = "outbox"  # the item attribute holding the envelope (JSON) of the event its last announcing write made


def stored(event: EventEnvelope) -> str:
    """The envelope as the item keeps it: exactly the message the publisher will send."""
    return event.to_message()


def to_forward(new_image: dict[str, Any] | None, old_image: dict[str, Any] | None) -> EventEnvelope | None:
    """The event a stream record asks to publish: the new image's envelope, unless the write left it unchanged."""
    new = (new_image or {}).get(ATTRIBUTE)
    if not new or new == (old_image or {}).get(ATTRIBUTE):
        return None
    return EventEnvelope.model_validate_json(str(new))


def from_stream_record(record: Mapping[str, Any]) -> EventEnvelope | None:
    """The event a stream record (as Lambda or GetRecords gives it) asks to publish. Only the outbox attribute of
    each image is read: the rest of the item, residents' data, is not."""
    images = record.get("dynamodb", {})

    def stored(image: str) -> dict[str, Any]:
        value = images.get(image, {}).get(ATTRIBUTE, {}).get("S")
        return {ATTRIBUTE: value} if value else {}

    return to_forward(stored("NewImage"), stored("OldImage"))
