"""Payment receipts: the payments service's `payment-succeeded` event becomes one email to the resident.

The event carries identifiers only (`reference`, `service_id`, `attempt`, `payment_id`, `outcome`); the rest comes
from the resident's request (the Requests table, which this consumer already reads for every message about a
request): the amount is the request's `amount_due_pence`, the amount the payments service asked Pay for (computed
by the catalogue from the service definition). The date is the event's time (when the payments service recorded
Pay's success), as a London date. Pay's payment id is the resident's "GOV.UK Pay payment reference": the one Pay
shows on its own confirmation page. No card data exists to include: Pay's hosted pages keep it.

Once only: the event's id is derived from the attempt and outcome (a repeat is the same event) and the message id
from (event id, recipient, template), written under a condition, so a redelivered event sends nothing again.
Receipts go by email only: a resident who gave only a phone number, or asked not to be contacted, gets none (the
confirmation page shows the amount paid and the reference).
"""

from __future__ import annotations

from typing import Any

from notifications import logic
from shared.calendar import LONDON
from shared.catalogue import load_catalogue
from shared.contact import normalise_email
from shared.events import EventEnvelope, EventType
from shared.fees import format_pounds
from shared.observability import logger

EVENT_TYPES = (EventType.PAYMENT_SUCCEEDED,)
TEMPLATE = "payment-receipt"


def _service_title(service_id: str) -> str:
    definition = load_catalogue().get(service_id)
    return definition.title if definition is not None else service_id


def paid_on(event: EventEnvelope) -> str:
    """The event's time as a London date: `2 December 2026`."""
    day = event.time.astimezone(LONDON).date()
    return f"{day.day} {day:%B %Y}"


def compose(event: EventEnvelope, request: dict[str, Any]) -> list[dict[str, Any]]:
    """The receipt for a successful payment of `request`: one email, or nothing without an address to send it to."""
    log = {"event_id": event.id, "event_type": event.type.value}
    contact = request.get("contact") or {}
    email = normalise_email(str(contact.get("email") or ""))
    if contact.get("preference") == "none" or email is None:
        logger.info("No email address for a receipt; none sent", extra=log)
        return []
    amount = int(request.get("amount_due_pence") or 0)
    payment_id = str(event.data.get("payment_id") or "")
    if amount <= 0 or not payment_id:
        logger.warning("A payment-succeeded event without an amount or a payment id; no receipt", extra=log)
        return []
    service_id = str(event.data.get("service_id") or request.get("service_id") or "")
    values = {
        "service_title": _service_title(service_id),
        "reference": str(request["reference"]),
        "amount": format_pounds(amount),
        "paid_on": paid_on(event),
        "payment_id": payment_id,
    }
    reference = str(request["reference"])
    return [
        logic.email_about(
            event, template_name=TEMPLATE, recipient=email, values=values, reference=reference, service_id=service_id
        )
    ]
