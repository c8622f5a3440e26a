"""Save and return (the resident web's `draft-saved` and `draft-expiring` events): email the link to a saved draft.

The events carry identifiers only (`save_id`, `service_id`, `expires_at`, and `days_left` for reminders): no
address, no link, no draft id. The address and the link come from the web, which owns the drafts: this consumer
invokes the web's return links function (`RETURN_LINKS_FUNCTION`, web/return_links.py) with the event's save id
and id, and reads no table of the web's. The web answers with nothing when the draft is gone, was submitted, or
was saved again since the event (a newer event speaks for it); asked again for the same event it gives the same
link. A message is still sent at most once per (event, recipient, template). The link is a bearer value (it
opens the answers, once): it is neither logged nor stored in the message record, whose body says "[return link]"
where the sent email has the link (`store.stored_form`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from notifications import logic, settings
from shared import aws
from shared.contact import normalise_email
from shared.events import EventEnvelope, EventType
from shared.observability import logger

EVENT_TYPES = (EventType.DRAFT_SAVED, EventType.DRAFT_EXPIRING)
TEMPLATE_FOR = {EventType.DRAFT_SAVED: "draft-saved", EventType.DRAFT_EXPIRING: "draft-expiring"}


class ReturnLinksFailed(RuntimeError):
    """The web's return links function did not answer: the event is retried (a batch item failure)."""


def invoke_return_links(request: dict[str, Any]) -> dict[str, Any]:
    """The web's return links function's answer (None when it failed)."""
    response = aws.client("lambda").invoke(
        FunctionName=settings.settings().return_links_function, Payload=json.dumps(request).encode()
    )
    answer = json.loads(response["Payload"].read() or b"{}")
    return answer if not response.get("FunctionError") and isinstance(answer, dict) else {}


def _return_link(event: EventEnvelope) -> dict[str, Any]:
    """The web's answer: `{"link": {"email", "path", "service_id", "expires_at"} | None, "reason": ...}`."""
    request = {"save_id": event.data.get("save_id"), "event_id": event.id, "expires_at": event.data.get("expires_at")}
    answer = invoke_return_links(request)
    if "link" not in answer:
        raise ReturnLinksFailed("The web's return links function failed")
    return answer


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
    answer = _return_link(event)
    link = answer["link"]
    if link is None:
        logger.info("No return link to send", extra={**log, "reason": str(answer.get("reason", ""))})
        return []
    email = normalise_email(str(link.get("email") or ""))
    path = str(link.get("path") or "")
    if email is None or not path.startswith("/services/"):
        logger.warning("The web's return link has no usable email address or path; nothing to send", extra=log)
        return []
    days_left = int(event.data.get("days_left") or 0)
    values = {
        "service_title": _service_title(str(event.data["service_id"])),
        "return_url": f"{settings.settings().public_base_url.rstrip('/')}{path}",
        "expires_on": expiry_date(int(link["expires_at"])),
        "days_left": f"{days_left} day" if days_left == 1 else f"{days_left} days",
    }
    return [
        logic.email_about(
            event,
            template_name=template,
            recipient=email,
            values=values,
            service_id=str(event.data["service_id"]),
        )
    ]
