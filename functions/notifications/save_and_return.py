"""Save and return (the resident web's `draft-saved` and `draft-expiring` events): email the link to a saved draft.

The events carry ids only (`draft_id`, `service_id`, `expires_at`, and `days_left` for reminders); the email
address and the return link stay in the draft, read here with one GetItem on the Drafts table (docs/web.md).
Nothing is sent when the draft is gone, was submitted, or was saved again since the event (its `expires_at`
moved on: a newer event speaks for it). A message is still sent at most once per (event, recipient, template).
The draft id is a bearer value (it restores the answers): it is neither logged nor stored in the message record,
whose body says "[return link]" where the sent email has the link (`store.stored_form`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from notifications import logic, settings
from shared import aws
from shared.contact import normalise_email
from shared.events import EventEnvelope, EventType
from shared.observability import logger

EVENT_TYPES = (EventType.DRAFT_SAVED, EventType.DRAFT_EXPIRING)
TEMPLATE_FOR = {EventType.DRAFT_SAVED: "draft-saved", EventType.DRAFT_EXPIRING: "draft-expiring"}


def _draft(draft_id: str) -> dict[str, Any] | None:
    table = aws.table(settings.settings().drafts_table)
    item = table.get_item(Key={"draft_id": draft_id}, ConsistentRead=True).get("Item")
    return dict(item) if item else None


def _service_title(service_id: str) -> str:
    from shared.catalogue import load_catalogue

    definition = load_catalogue().get(service_id)
    return definition.title if definition is not None else service_id


def expiry_date(expires_at: int) -> str:
    """As the web shows it on the save page (web.drafts.Draft.expiry_date): `27 March 2026`."""
    day = datetime.fromtimestamp(expires_at, UTC)
    return f"{day.day} {day:%B %Y}"


def compose(event: EventEnvelope) -> list[dict[str, Any]]:
    template = TEMPLATE_FOR[event.type]
    log = {"event_id": event.id, "event_type": event.type.value}
    draft = _draft(str(event.data["draft_id"]))
    if draft is None:
        logger.info("Saved draft gone (expired or deleted); nothing to send", extra=log)
        return []
    if draft.get("reference"):
        logger.info("Saved draft already submitted; nothing to send", extra=log)
        return []
    if int(draft.get("expires_at", 0)) != int(event.data["expires_at"]):
        logger.info("Draft saved again since this event; the newer event speaks for it", extra=log)
        return []
    email = normalise_email(str(draft.get("email") or ""))
    return_path = str(draft.get("return_path") or "")
    if email is None or not return_path.startswith("/"):
        logger.warning("Saved draft has no usable email address or return link; nothing to send", extra=log)
        return []
    days_left = int(event.data.get("days_left") or 0)
    values = {
        "service_title": _service_title(str(event.data["service_id"])),
        "return_url": f"{settings.settings().public_base_url.rstrip('/')}{return_path}",
        "expires_on": expiry_date(int(draft["expires_at"])),
        "days_left": f"{days_left} day" if days_left == 1 else f"{days_left} days",
    }
    return [
        logic.build_message(
            template_name=template,
            channel="email",
            recipient=email,
            values=values,
            event_id=event.id,
            extra={
                "service_id": str(event.data["service_id"]),
                "event_type": event.type.value,
                "correlation_id": event.correlation_id,
            },
        )
    ]
