"""Permit messages (the permits service's events): tell the resident, by email, what happened to their parking permit
or their application for one.

The events carry ids and dates only (shared/events.py): the resident's email address and the permit's mark stay in the
permits service. For every event this consumer invokes the PermitApplications function (`PERMIT_APPLICATIONS_FUNCTION`,
`{"action": "contact", "reference"}`), which answers `{email, reference, vrm, zone, kind, valid_from, valid_to,
permit_id, status}` (for an issued permit `manage_path`, its signed manage link, which the permit-issued email carries
as `manage_url`: a bearer link, kept out of the message record; and `renew_path`, the link's renewal page: the
renewal-due email's `how_to_renew` then holds it, so the record keeps neither), or 404 when there is no such application
(nothing is sent). A failed invoke raises `PermitContactFailed`: the record fails and SQS delivers it again. Email only
(an application always has an address); each message at most once, through the delivery path every message takes (its id
from event, recipient and template). Logs name the event, never the address or mark.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from notifications import logic, settings
from shared import aws
from shared.contact import normalise_email
from shared.events import EventEnvelope, EventType
from shared.fees import format_pounds
from shared.observability import logger

TEMPLATE_FOR: dict[EventType, str] = {
    EventType.PERMIT_ISSUED: "permit-issued",
    EventType.PERMIT_RENEWAL_DUE: "permit-renewal-due",
    EventType.PERMIT_APPLICATION_EXPIRING: "permit-application-expiring",
    EventType.PERMIT_APPLICATION_CANCELLED: "permit-application-cancelled",
    EventType.PERMIT_VEHICLE_CHANGED: "permit-vehicle-changed",
    EventType.PERMIT_ENDED: "permit-ended",
    EventType.PERMIT_REPRICED: "permit-repriced",
}
EVENT_TYPES = tuple(TEMPLATE_FOR)
APPLY_PATH = "/permits"  # where a resident applies (again): how to renew until renewing is built


class PermitContactFailed(RuntimeError):
    """The permits service did not answer the `contact` action: the event is retried (a batch item failure)."""


CARER_VEHICLE = "your carer's vehicle"  # what a carer permit's messages say in place of a mark


def invoke_permits(request: dict[str, Any]) -> dict[str, Any]:
    """The PermitApplications function's answer (`{"status", "body"}`), or `{}` when the invoke failed."""
    function = settings.settings().permit_applications_function
    if not function:
        raise PermitContactFailed("PERMIT_APPLICATIONS_FUNCTION is not set")
    response = aws.client("lambda").invoke(FunctionName=function, Payload=json.dumps(request).encode())
    answer = json.loads(response["Payload"].read() or b"{}")
    return answer if not response.get("FunctionError") and isinstance(answer, dict) else {}


def _contact(event: EventEnvelope) -> dict[str, Any] | None:
    answer = invoke_permits(
        {"action": "contact", "reference": str(event.data["reference"]), "correlation_id": event.correlation_id}
    )
    if answer.get("status") == 404:
        return None
    body = answer.get("body")
    if answer.get("status") != 200 or not isinstance(body, dict):
        raise PermitContactFailed(f"The permits service answered {answer.get('status', 'nothing')}")
    return body


def _day(value: Any) -> str:
    """`2026-06-01` as a resident reads it: `1 June 2026`."""
    day = date.fromisoformat(str(value))
    return f"{day.day} {day:%B %Y}"


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _issued(event: EventEnvelope, contact: dict[str, Any]) -> dict[str, str]:
    path = str(contact.get("manage_path") or "")  # a bearer link: never logged, not kept in the message record
    base = settings.settings().public_base_url.rstrip("/")
    manage = f"{base}{path}" if path.startswith("/permits/manage/") else "this permit can no longer be changed online"
    return {
        "manage_url": manage,
        "zone": str(event.data.get("zone") or contact["zone"]),
        "valid_from": _day(event.data.get("valid_from") or contact["valid_from"]),
        "valid_to": _day(event.data.get("valid_to") or contact["valid_to"]),
    }


def _renewal_due(event: EventEnvelope, contact: dict[str, Any]) -> dict[str, str]:
    path = str(contact.get("renew_path") or "")
    base = settings.settings().public_base_url.rstrip("/")
    if path.startswith("/") and not path.startswith("//"):
        how = f"To renew it, check your details and pay here: {base}{path}"
    else:
        how = f"To renew it, apply for a new permit at {base}{APPLY_PATH} before then."
    return {
        "zone": str(contact["zone"]),
        "valid_to": _day(event.data.get("valid_to") or contact["valid_to"]),
        "days_left": _days(int(event.data.get("days_left") or 0)),
        "how_to_renew": how,
    }


def _expiring(event: EventEnvelope, contact: dict[str, Any]) -> dict[str, str]:
    return {
        "cancels_on": _day(event.data["cancels_on"]),
        "apply_url": f"{settings.settings().public_base_url.rstrip('/')}{APPLY_PATH}",
    }


def _cancelled(event: EventEnvelope, contact: dict[str, Any]) -> dict[str, str]:
    return {"apply_url": f"{settings.settings().public_base_url.rstrip('/')}{APPLY_PATH}"}


def _vehicle_changed(event: EventEnvelope, contact: dict[str, Any]) -> dict[str, str]:
    pence = int(event.data.get("amount_pence") or 0)
    if pence > 0:
        money = f"We charged you {format_pounds(pence)} for the change."
    elif pence < 0:
        money = f"We are refunding {format_pounds(-pence)} to the card you paid with."
    else:
        money = "There was nothing to pay and nothing to refund."
    return {"zone": str(contact["zone"]), "valid_to": _day(contact["valid_to"]), "money": money}


def _ended(event: EventEnvelope, contact: dict[str, Any]) -> dict[str, str]:
    pence = int(event.data.get("refund_pence") or 0)
    refund = (
        f"We are refunding {format_pounds(pence)} to the card you paid with." if pence > 0 else "There is no refund."
    )
    return {"zone": str(contact["zone"]), "ended_on": _day(event.data["ended_on"]), "refund": refund}


def _repriced(event: EventEnvelope, contact: dict[str, Any]) -> dict[str, str]:
    pence = int(event.data.get("amount_pence") or 0)
    if pence > 0:
        money = f"There is {format_pounds(pence)} to pay: pay it from your permit's page, at the link below."
    elif pence < 0:
        money = f"We are refunding {format_pounds(-pence)} to the card you paid with."
    else:
        money = "The price is the same: there is nothing to pay and nothing to refund."
    # the manage link (a bearer link: kept out of the message record) as the permit-issued email gives it
    return {"manage_url": _issued(event, contact)["manage_url"], "zone": str(contact["zone"]),
            "valid_to": _day(contact["valid_to"]), "money": money}  # fmt: skip


VALUES: dict[EventType, Callable[[EventEnvelope, dict[str, Any]], dict[str, str]]] = {
    EventType.PERMIT_ISSUED: _issued,
    EventType.PERMIT_RENEWAL_DUE: _renewal_due,
    EventType.PERMIT_APPLICATION_EXPIRING: _expiring,
    EventType.PERMIT_APPLICATION_CANCELLED: _cancelled,
    EventType.PERMIT_VEHICLE_CHANGED: _vehicle_changed,
    EventType.PERMIT_ENDED: _ended,
    EventType.PERMIT_REPRICED: _repriced,
}


def compose(event: EventEnvelope) -> list[dict[str, Any]]:
    """The one email a permit event causes, or nothing when the permits service has no such application."""
    log = {"event_id": event.id, "event_type": event.type.value}
    contact = _contact(event)
    if contact is None:
        logger.warning("A permit event for an application the permits service does not have", extra=log)
        return []
    email = normalise_email(str(contact.get("email") or ""))
    if email is None:
        logger.warning("The permits service gave no usable email address; nothing to send", extra=log)
        return []
    reference = str(contact.get("reference") or event.data["reference"])
    # A carer permit has no mark: its sessions cover the carer's vehicle (permits.carer_sessions)
    vrm = CARER_VEHICLE if contact.get("kind") == "carer" else str(contact.get("vrm") or "")
    values = {"reference": reference, "vrm": vrm, **VALUES[event.type](event, contact)}
    return [
        logic.email_about(
            event, template_name=TEMPLATE_FOR[event.type], recipient=email, values=values, reference=reference
        )
    ]
