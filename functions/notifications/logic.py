"""Notifications logic: who is told what about their request, in the channel they chose, rendered from templates.

A message's id is derived from (event id, recipient, template), so a redelivered event can never create a
second message; `delivery.deliver` then sends each message at most once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from notifications import templates
from notifications.store import MessageStore
from shared.case_history import resident_update
from shared.contact import is_uk_mobile, normalise_email, normalise_uk_phone
from shared.events import EventEnvelope, EventType
from shared.statuses import Status, label

MESSAGE_NAMESPACE = uuid.UUID("0b7f5f8e-2f7e-4c55-8d1b-6a7f0e9b4c21")

# Which template each event sends. Events with no entry tell nobody anything.
TEMPLATE_FOR: dict[EventType, str] = {
    EventType.REQUEST_ACKNOWLEDGED: "acknowledgement",
    EventType.STATUS_CHANGED: "status-update",
}


def message_id(event_id: str, recipient: str, template: str) -> str:
    return str(uuid.uuid5(MESSAGE_NAMESPACE, f"{event_id}|{recipient}|{template}"))


def choose_channel(contact: dict[str, Any] | None) -> tuple[str, str] | None:
    """(channel, recipient) for a resident's contact details and preference, or None to tell them nothing.

    `preference` is "email", "sms" or "none"; without one, email comes before SMS. The preferred channel is
    used when its details are valid, else the other one the resident gave. Text messages go to UK mobiles only.
    """
    contact = contact or {}
    preference = contact.get("preference")
    if preference == "none":
        return None
    email = normalise_email(str(contact.get("email") or ""))
    phone = normalise_uk_phone(str(contact.get("phone") or ""))
    mobile = phone if phone and is_uk_mobile(phone) else None
    options = {"email": email, "sms": mobile}
    for channel in ("sms", "email") if preference == "sms" else ("email", "sms"):
        recipient = options[channel]
        if recipient:
            return channel, recipient
    return None


def build_message(
    *,
    template_name: str,
    channel: str,
    recipient: str,
    values: dict[str, str],
    event_id: str,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """A message record: only the personalisation its template uses (no more personal data than needed)."""
    template = templates.get(template_name)
    personalisation = {name: values[name] for name in template.placeholders}
    return {
        "message_id": message_id(event_id, recipient, template_name),
        "event_id": event_id,
        "template": template_name,
        "channel": channel,
        "recipient": recipient,
        "personalisation": personalisation,
        "subject": templates.render(template.subject, personalisation) if channel != "sms" else "",
        "body": templates.render(template.body, personalisation),
        **extra,
    }


def email_about(
    event: EventEnvelope, *, template_name: str, recipient: str, values: dict[str, str], **extra: Any
) -> dict[str, Any]:
    """An email message caused by `event` (save and return, receipts): its type and correlation id recorded."""
    return build_message(
        template_name=template_name,
        channel="email",
        recipient=recipient,
        values=values,
        event_id=event.id,
        extra={**extra, "event_type": event.type.value, "correlation_id": event.correlation_id},
    )


def compose(event: EventEnvelope, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages an event about a resident's request causes: at most one, in the channel they chose."""
    template_name = TEMPLATE_FOR.get(event.type)
    if template_name is None:
        return []
    chosen = choose_channel(request.get("contact"))
    if chosen is None:
        return []  # the resident asked not to be contacted, or gave no usable contact details
    channel, recipient = chosen
    # Events carry ids only: the resident-facing update's text is read from the request, by its id.
    update = resident_update(request, event.data.get("update_id"))
    values = {
        "reference": request["reference"],
        "team": str(event.data.get("team", "")),
        "expected_by": _friendly_date(event.data.get("expected_by")),
        "status_label": label(Status(event.data["status"])) if "status" in event.data else "",
        "note": f" {update}" if update else "",
    }
    return [
        build_message(
            template_name=template_name,
            channel=channel,
            recipient=recipient,
            values=values,
            event_id=event.id,
            extra={
                "reference": request["reference"],
                "event_type": event.type.value,
                "correlation_id": event.correlation_id,
            },
        )
    ]


def _friendly_date(value: str | None) -> str:
    if not value:
        return "soon"
    day = datetime.fromisoformat(value).date()
    return f"{day:%A} {day.day} {day:%B %Y}"


def record_messages(messages: list[dict[str, Any]], table_name: str, now: datetime | None = None) -> int:
    """Write each message once; returns how many were new. A duplicate (same id) is skipped, not overwritten."""
    from notifications.store import now_utc

    return MessageStore(table_name).record(messages, now or now_utc())
