"""Cases logic: a request's public status, staff status changes, and triage (team and due date)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.calendar import due_date
from shared.catalogue import load_catalogue
from shared.errors import DependencyFailed, Forbidden, NotFound, ValidationFailed
from shared.events import EventEnvelope, EventType, new_event
from shared.publisher import publish
from shared.references import normalise_reference
from shared.requests_repo import RequestsRepository
from shared.statuses import Status, can_change, label, open311_status

STAFF_GROUP = "caseworkers"
# Event ids derived from what happened, so a retried step announces the same event and consumers de-duplicate.
_EVENT_NAMESPACE = uuid.UUID("6f1c8e36-5d0e-4b7a-9a57-3b1f0c6f2d11")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    note: str = Field(default="", max_length=1000)  # shown to the resident in the history


def _load(reference: str) -> dict[str, Any]:
    canonical = normalise_reference(reference)
    item = RequestsRepository().get(canonical) if canonical else None
    if item is None:
        raise NotFound(f"We cannot find a request with reference {reference!r}. Check the reference and try again.")
    return item


def public_status(reference: str) -> dict[str, Any]:
    """What anyone holding the reference may see: no description, location or contact details."""
    item = _load(reference)
    status = Status(item["status"])
    return {
        "reference": item["reference"],
        "service_id": item["service_id"],
        "service_title": item["service_title"],
        "status": status.value,
        "status_label": label(status),
        "open311_status": open311_status(status),
        "submitted_at": item["submitted_at"],
        "team": item.get("team"),
        "expected_by": item.get("due_date"),
        "history": [
            {
                "status": h["status"],
                "status_label": label(Status(h["status"])),
                "at": h["at"],
                "note": h.get("note", ""),
            }
            for h in item.get("history", [])
        ],
    }


def change_status(
    reference: str,
    change: StatusChange,
    *,
    claims: dict[str, Any],
    correlation_id: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A caseworker moves a request on. The change and its event both happen, or neither does."""
    if STAFF_GROUP not in _groups(claims):
        raise Forbidden("Only caseworkers can change the status of a request.")
    item = _load(reference)
    current = Status(item["status"])
    if not can_change(current, change.status):
        raise ValidationFailed(
            f"A request that is {label(current).lower()} cannot become {label(change.status).lower()}."
        )
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    entry = {"status": change.status.value, "at": at, "note": change.note}
    repository = RequestsRepository()
    repository.set_status(item["reference"], expected=current.value, status=change.status.value, entry=entry)
    event = new_event(
        EventType.STATUS_CHANGED,
        source="cases",
        correlation_id=correlation_id,
        data={
            "reference": item["reference"],
            "service_id": item["service_id"],
            "status": change.status.value,
            "previous_status": current.value,
            "note": change.note,
        },
    )
    try:
        publish(event)
    except DependencyFailed:
        repository.set_status(
            item["reference"],
            expected=change.status.value,
            status=current.value,
            entry={"status": current.value, "at": at, "note": "Change undone: please try again"},
        )
        raise
    return public_status(item["reference"])


def _groups(claims: dict[str, Any]) -> set[str]:
    groups = claims.get("cognito:groups", [])
    if isinstance(groups, str):  # API Gateway passes list claims as "[a b]" strings
        groups = groups.strip("[]").replace(",", " ").split()
    return set(groups)


def assign(submitted: EventEnvelope, *, now: datetime | None = None) -> dict[str, Any]:
    """Triage task: route the request to its service's team and set the due date in UK working days.

    Safe to retry: the first assignment wins and a retry announces the same acknowledgement event.
    """
    reference = submitted.data["reference"]
    repository = RequestsRepository()
    item = repository.get(reference)
    if item is None:
        raise NotFound(f"Request {reference} does not exist.")
    definition = load_catalogue()[item["service_id"]]
    due: date = due_date(datetime.fromisoformat(item["submitted_at"]), definition.sla_working_days)
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    entry = {"status": item["status"], "at": at, "note": f"Sent to the {definition.team} team"}
    # The update returns the assigned item; only a retry (already assigned) needs to read what the first run set.
    assigned = repository.assign(reference, team=definition.team, due_date=due.isoformat(), entry=entry)
    if assigned is None:
        assigned = repository.get(reference) or item
    acknowledged = EventEnvelope(
        type=EventType.REQUEST_ACKNOWLEDGED,
        id=str(uuid.uuid5(_EVENT_NAMESPACE, f"{reference}:acknowledged")),
        source="cases.triage",
        correlation_id=submitted.correlation_id,
        data={
            "reference": reference,
            "service_id": item["service_id"],
            "team": assigned["team"],
            "expected_by": assigned["due_date"],
        },
    )
    return {
        "reference": reference,
        "team": assigned["team"],
        "due_date": assigned["due_date"],
        "event": acknowledged.model_dump(mode="json"),
    }
