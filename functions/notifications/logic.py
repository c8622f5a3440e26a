"""Notifications logic: who is told what about their request, rendered, and recorded exactly once.

A message's id is derived from (event id, recipient, template), so a redelivered event can never create a
second message. Sending through GOV.UK Notify plugs in behind `record_messages` without changing this.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from shared import aws
from shared.events import EventEnvelope, EventType
from shared.statuses import Status, label

MESSAGE_NAMESPACE = uuid.UUID("0b7f5f8e-2f7e-4c55-8d1b-6a7f0e9b4c21")
MESSAGE_RETENTION = timedelta(days=365)  # how long a message record (and its recipient) is kept

TEMPLATES: dict[EventType, tuple[str, str, str]] = {
    # event type: (template id, subject, body) — bodies use only what the resident needs to know
    EventType.REQUEST_ACKNOWLEDGED: (
        "acknowledgement",
        "We have received your report: {reference}",
        "Thank you. Your reference is {reference}. The {team} team will deal with it by {expected_by}.",
    ),
    EventType.STATUS_CHANGED: (
        "status-update",
        "Update on your report {reference}",
        "Your report {reference} is now: {status_label}.{note}",
    ),
}


def compose(event: EventEnvelope, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages an event causes: one per contact channel the resident gave (email before SMS)."""
    if event.type not in TEMPLATES:
        return []
    template, subject, body = TEMPLATES[event.type]
    contact = request.get("contact") or {}
    if contact.get("email"):
        channel, recipient = "email", contact["email"]
    elif contact.get("phone"):
        channel, recipient = "sms", contact["phone"]
    else:
        return []  # the resident asked not to be contacted
    values = {
        "reference": request["reference"],
        "team": event.data.get("team", ""),
        "expected_by": _friendly_date(event.data.get("expected_by")),
        "status_label": label(Status(event.data["status"])) if "status" in event.data else "",
        "note": f" {event.data['note']}" if event.data.get("note") else "",
    }
    message_id = str(uuid.uuid5(MESSAGE_NAMESPACE, f"{event.id}|{recipient}|{template}"))
    return [
        {
            "message_id": message_id,
            "reference": request["reference"],
            "event_id": event.id,
            "event_type": event.type.value,
            "template": template,
            "channel": channel,
            "recipient": recipient,
            "subject": subject.format(**values),
            "body": body.format(**values),
            "status": "recorded",
            "correlation_id": event.correlation_id,
        }
    ]


def _friendly_date(value: str | None) -> str:
    if not value:
        return "soon"
    day = datetime.fromisoformat(value).date()
    return f"{day:%A} {day.day} {day:%B %Y}"


def record_messages(messages: list[dict[str, Any]], table_name: str, now: datetime | None = None) -> int:
    """Write each message once; returns how many were new. A duplicate (same id) is skipped, not overwritten."""
    from botocore.exceptions import ClientError

    now = now or datetime.now(UTC)
    created = 0
    for message in messages:
        item = {
            **message,
            "created_at": now.isoformat(timespec="seconds"),
            "expires_at": int((now + MESSAGE_RETENTION).timestamp()),
        }
        try:
            aws.table(table_name).put_item(Item=item, ConditionExpression="attribute_not_exists(message_id)")
            created += 1
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
    return created
