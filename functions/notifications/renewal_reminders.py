"""Renewal reminders (the renewals service's `renewal-due`): tell the resident their subscription ends soon, with a
signed, expiring link to renew it.

The event carries identifiers only (`reference`, `service_id`, `ends_on`). The contact details are read from the
request (the Requests table, by reference, as for every message about a request); the link comes from the renewals
links function (`RENEWAL_LINKS_FUNCTION`, renewals/links.py), which owns the subscriptions and the key that signs the
links, and answers with no link when the subscription was renewed meanwhile. The link is a bearer value: neither
logged nor kept in the message record, whose body says "[renewal link]" (`store.stored_form`). The resident's
channel is the one they chose for the request (`logic.choose_channel`); one who asked not to be contacted is not.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from notifications import logic, settings
from shared import aws
from shared.events import EventEnvelope, EventType
from shared.observability import logger
from shared.requests_repo import RequestsRepository

EVENT_TYPES = (EventType.RENEWAL_DUE,)
TEMPLATE = "renewal-reminder"


class RenewalLinksFailed(RuntimeError):
    """The renewal links function did not answer: the event is retried (a batch item failure)."""


def invoke_renewal_links(request: dict[str, Any]) -> dict[str, Any]:
    response = aws.client("lambda").invoke(
        FunctionName=settings.settings().renewal_links_function, Payload=json.dumps(request).encode()
    )
    answer = json.loads(response["Payload"].read() or b"{}")
    return answer if not response.get("FunctionError") and isinstance(answer, dict) else {}


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _service_title(service_id: str) -> str:
    from shared.catalogue import load_catalogue

    definition = load_catalogue().get(service_id)
    return definition.title.removeprefix("Subscribe to ") if definition is not None else service_id


def compose(event: EventEnvelope) -> list[dict[str, Any]]:
    log = {"event_id": event.id, "event_type": event.type.value}
    reference = str(event.data["reference"])
    request = RequestsRepository().get(reference)
    if request is None:
        logger.warning("Renewal due for an unknown request", extra=log)
        return []
    chosen = logic.choose_channel(request.get("contact"))
    if chosen is None:
        logger.info("No renewal reminder: no usable contact details or none wanted", extra=log)
        return []
    answer = invoke_renewal_links({"action": "mint", "reference": reference})
    if "link" not in answer:
        raise RenewalLinksFailed("The renewal links function failed")
    link = answer["link"]
    path = str((link or {}).get("path") or "")
    if not path.startswith("/services/"):
        logger.info("No renewal link to send", extra={**log, "reason": str(answer.get("reason", ""))})
        return []
    channel, recipient = chosen
    values = {
        "service_title": _service_title(str(event.data["service_id"])),
        "reference": reference,
        "ends_on": _day(date.fromisoformat(str(event.data["ends_on"]))),
        "renew_url": f"{settings.settings().public_base_url.rstrip('/')}{path}",
        "link_expires_on": _day(datetime.fromtimestamp(int(link["expires_at"]), UTC).date()),
    }
    return [
        logic.build_message(
            template_name=TEMPLATE,
            channel=channel,
            recipient=recipient,
            values=values,
            event_id=event.id,
            extra={"reference": reference, "event_type": event.type.value, "correlation_id": event.correlation_id},
        )
    ]
