"""Cases logic: a request's public status, staff status changes, and triage (team and due date)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared import case_changes
from shared.calendar import due_date
from shared.case_history import history_entry, public_history
from shared.catalogue import load_catalogue
from shared.errors import BadRequest, Forbidden, NotFound
from shared.events import EventEnvelope, EventType, derived_id
from shared.requests_repo import RequestsRepository
from shared.statuses import Status, label, open311_status

STAFF_GROUP = "caseworkers"


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    # Staff only: kept apart from the history, never in the public status, an event or a resident's message.
    internal_note: str = Field(default="", max_length=1000)
    # What the resident reads in their request's history and in the message telling them of the change: required
    # to resolve a request (shared/case_changes.py check_status_change, the console's guards).
    resident_update: str = Field(default="", max_length=1000)
    # Why a closed request is reopened (required then): kept first in its internal note.
    reason: str = Field(default="", max_length=1000)
    # The request's version the change was made from (the `version` of a previous answer): given, a change made
    # from a stale copy is refused (409) and nothing is written; left out, the write is conditional on the version
    # this function reads.
    version: int | None = Field(default=None, ge=0)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> StatusChange:
        """The change a caseworker asked for. The old `note` is refused: it was published to the resident, and a
        caller still sending it must choose which of the two it meant rather than publish internal text."""
        if "note" in body:
            raise BadRequest(
                "`note` is no longer accepted. Put what the resident may read in `resident_update`, and notes for "
                "staff only in `internal_note`."
            )
        return cls.model_validate(body)


NOT_FOUND = case_changes.NOT_FOUND


def _load(reference: str) -> dict[str, Any]:
    return case_changes.load(reference)


def public_status(reference: str, *, item: dict[str, Any] | None = None) -> dict[str, Any]:
    """What anyone holding the reference may see: status, dates and resident-facing updates; no description,
    location, contact details or internal notes."""
    item = item or _load(reference)
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
        "history": public_history(item),
    }


def staff_view(item: dict[str, Any]) -> dict[str, Any]:
    """What a caseworker sees: the public status, the version (to send with the next change) and the internal notes
    (staff routes only)."""
    return {
        **public_status(item["reference"], item=item),
        "version": case_changes.version_of(item),
        "internal_notes": [
            {"status": n["status"], "at": n["at"], "note": n["note"], "by": n.get("by", "")}
            for n in item.get("internal_notes", [])
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
    """A caseworker moves a request on, through the cases service's write path (shared/case_changes.py): the
    console's guards (the workflow's moves, a resolution with an update for the resident, a reopening with a
    reason, a closed request only reopened), and one write of the change and its event, conditional on the request
    being at the version the caller sent, else as it was read."""
    if STAFF_GROUP not in _groups(claims):
        raise Forbidden("Only caseworkers can change the status of a request.")
    updated = case_changes.change_status(
        _load(reference),
        change.status,
        by=case_changes.Editor(str(claims.get("sub", "")), str(claims.get("email", ""))),
        correlation_id=correlation_id,
        internal_note=change.internal_note,
        resident_update=change.resident_update,
        reason=change.reason,
        expected_version=change.version,
        now=now,
    )
    return staff_view(updated)


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
    if item["status"] == Status.AWAITING_PAYMENT.value:
        # A fee request goes to its team once paid: triage runs again on payment-succeeded (docs/decisions/0005).
        return {"reference": reference, "waiting_for_payment": True}
    definition = load_catalogue()[item["service_id"]]
    due: date = due_date(datetime.fromisoformat(item["submitted_at"]), definition.sla_working_days)
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    entry = history_entry(item["status"], at, update=f"Sent to the {definition.team} team")
    # The update returns the assigned item; only a retry (already assigned) needs to read what the first run set.
    assigned = repository.assign(reference, team=definition.team, due_date=due.isoformat(), entry=entry)
    if assigned is None:
        assigned = repository.get(reference) or item
    acknowledged = EventEnvelope(
        type=EventType.REQUEST_ACKNOWLEDGED,
        id=derived_id(f"{reference}:acknowledged"),
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
        "waiting_for_payment": False,
        "team": assigned["team"],
        "due_date": assigned["due_date"],
        "event": acknowledged.model_dump(mode="json"),
    }
