"""The cases service's write path for staff: status changes (their history entry, any internal note, and the
status-changed event in the same write, shared/outbox.py), assignments and internal notes. Every write is
conditional on the item's `version` (shared/requests_repo.py), so a change made from a stale copy is refused with
what changed since, and nothing is overwritten.

The cases API's PATCH (functions/cases/logic.py) and the staff console (functions/console/casework.py) both call
these; neither builds a history entry, an event or a write condition of its own (docs/decisions/0008).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from shared.case_history import history_entry, staff_entry, update_id
from shared.errors import NotFound, ValidationFailed
from shared.events import EventType, derived_id, new_event
from shared.references import normalise_reference
from shared.requests_repo import DUE_DATE, VERSION, WAITING_SINCE, RequestsRepository, StaleVersion
from shared.sla import due_after_wait
from shared.statuses import CLOSED_STATUSES, Status, can_change, is_closed, staff_label

MAX_TEXT = 1000  # characters: the longest internal note or resident update
# The payments service alone moves a request into and out of awaiting payment (not a member of staff).
NOT_CHOSEN_BY_STAFF = frozenset({Status.AWAITING_PAYMENT})
REOPENING = "Reason for reopening: "
# One answer for every reference we will not show, whatever the reason: its detail never echoes what was typed; a
# request that exists but is not shown costs the same one read as one that does not exist.
NOT_FOUND = "We cannot find a request with that reference. Check the reference and try again."


@dataclass(frozen=True)
class Editor:
    """Who makes a change: their Cognito `sub` (kept with the change) and email (shown as an assignee)."""

    subject: str
    email: str = ""


class StaleCase(StaleVersion):
    """The case changed after the copy the change was made from: `changes` is what changed since (staff view)."""

    def __init__(self, item: dict[str, Any], since: int) -> None:
        super().__init__(
            f"Someone else changed case {item['reference']} while you were working on it. Nothing you sent was "
            "saved: check what changed, then make your change again."
        )
        self.item = item
        self.changes = changes_since(item, since)


def load(reference: str, repository: RequestsRepository | None = None) -> dict[str, Any]:
    """The request with this reference (typed loosely), or NotFound (also once it is past its retention)."""
    canonical = normalise_reference(reference)
    item = (repository or RequestsRepository()).get(canonical) if canonical else None
    if item is None or _past_retention(item):
        raise NotFound(NOT_FOUND)
    return item


def _past_retention(item: dict[str, Any]) -> bool:
    """DynamoDB's TTL deletes an expired request up to a few days late: until then it is treated as gone."""
    expires_at = item.get("expires_at")
    return expires_at is not None and int(expires_at) <= datetime.now(UTC).timestamp()


def version_of(item: dict[str, Any]) -> int:
    return int(item.get(VERSION, 0))


def changes_since(item: dict[str, Any], version: int) -> list[dict[str, Any]]:
    """The timeline entries and internal notes that made the item's versions after `version`, oldest first (a
    change that predates versioned entries shows as the case's current status)."""
    changes = [
        {"at": entry["at"], "what": describe(entry)}
        for entry in item.get("history", [])
        if int(entry.get(VERSION, 0)) > version
    ]
    changes += [
        {"at": note["at"], "what": "Internal note added"}
        for note in item.get("internal_notes", [])
        if int(note.get(VERSION, 0)) > version
    ]
    if not changes and version_of(item) != version:
        changes.append(
            {"at": str(item.get("updated_at", "")), "what": f"Status is now {staff_label(Status(item['status']))}"}
        )
    return sorted(changes, key=lambda change: str(change["at"]))


def describe(entry: dict[str, Any]) -> str:
    """A history entry in words, for staff (a staff-only entry says what was done; a status change its status)."""
    if entry.get("staff_only"):
        return str(entry.get("detail", ""))
    return staff_label(Status(entry["status"]))


def _check(item: dict[str, Any], expected_version: int | None) -> int:
    """The version to write against: the one the change was made from, refused if the item has moved on."""
    current = version_of(item)
    if expected_version is not None and expected_version != current:
        raise StaleCase(item, expected_version)
    return current


def _text(value: str, what: str) -> str:
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"The {what} is too long: it must be {MAX_TEXT} characters or fewer.")
    return text


def check_status_change(current: Status, new: Status, *, resident_update: str, reason: str) -> None:
    """The workflow's guards on a staff status change, the console's and the API's alike (ValidationFailed says
    why): a closed case is only reopened, with a reason; only the moves the workflow allows, never into awaiting
    payment; a resolution tells the resident what was done, and so does a wait for them (what we need from them)."""
    if is_closed(current) and new is not Status.REOPENED:
        raise ValidationFailed("This case is closed. It can only be reopened, with a reason.")
    if new in NOT_CHOSEN_BY_STAFF or not can_change(current, new):
        was, to = staff_label(current).lower(), staff_label(new).lower()
        raise ValidationFailed(f"A case that is {was} cannot become {to}.")
    if new in CLOSED_STATUSES and not resident_update.strip():
        raise ValidationFailed("To resolve a case, write the update the resident will be sent.")
    if new is Status.WAITING_FOR_RESIDENT and not resident_update.strip():
        raise ValidationFailed("To wait for the resident, write the update that tells them what we need.")
    if new is Status.REOPENED and not reason.strip():
        raise ValidationFailed("Give the reason for reopening the case.")


def reopening_note(reason: str, note: str) -> str:
    """The internal note a reopening keeps: its reason first, then any note (refused if too long together)."""
    text = REOPENING + reason.strip() + (f"\n{note.strip()}" if note.strip() else "")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"The reason and the note together must be {MAX_TEXT} characters or fewer.")
    return text


def _now(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds")


def change_status(
    item: dict[str, Any],
    status: Status,
    *,
    by: Editor,
    correlation_id: str,
    internal_note: str = "",
    resident_update: str = "",
    reason: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
    repository: RequestsRepository | None = None,
    return_values: str = "ALL_NEW",
) -> dict[str, Any]:
    """Move a request on, if the workflow's guards allow it (`check_status_change`; a reopening's `reason` is kept
    first in its internal note). The change, its history entry (with any resident update, which notifications send
    by its `update_id`), any internal note and the status-changed event are one write: all happen, or none does."""
    version = _check(item, expected_version)
    note, update = _text(internal_note, "internal note"), _text(resident_update, "update for the resident")
    why = _text(reason, "reason for reopening")
    current = Status(item["status"])
    check_status_change(current, status, resident_update=update, reason=why)
    if status is Status.REOPENED:
        note = reopening_note(why, note)
    moment = now or datetime.now(UTC)
    at = _now(moment)
    clock = _clock_change(item, current, status, moment)
    position = len(item.get("history", []))
    update_ref = update_id(item["reference"], position) if update else None
    entry = {**history_entry(status.value, at, update=update, update_ref=update_ref), "by": by.subject}
    entry[VERSION] = version + 1
    stored_note = (
        {"status": status.value, "at": at, "note": note, "by": by.subject, VERSION: version + 1} if note else None
    )
    data = {"reference": item["reference"], "service_id": item["service_id"], "status": status.value}
    data["previous_status"] = current.value
    if clock.due:
        data["expected_by"] = clock.due  # the due date after the change (moved when a wait ends): the KPIs count by it
    if update_ref:
        data["update_id"] = update_ref  # the notifications consumer reads the text from the request, by this id
    event = new_event(
        EventType.STATUS_CHANGED,
        id_=derived_id(f"{item['reference']}:status-changed:{position}"),
        source="cases",
        correlation_id=correlation_id,
        data=data,
    )
    return _write(
        item,
        version,
        lambda repo: repo.set_status(
            item["reference"],
            expected=current.value,
            status=status.value,
            entry=entry,
            position=position,
            event=event,
            internal_note=stored_note,
            version=version,
            return_values=return_values,
            waiting_since=at if clock.starts else None,
            end_wait=clock.ends,
            move_due=clock.move,
        ),
        repository,
    )


@dataclass(frozen=True)
class _ClockChange:
    """What a status change does to the service-level clock: start a wait, end one (moving the due date)."""

    due: str | None  # the due date after the change
    starts: bool = False
    ends: bool = False
    move: tuple[str, str] | None = None  # (stored due date, moved due date)


def _clock_change(item: dict[str, Any], current: Status, new: Status, moment: datetime) -> _ClockChange:
    """Entering waiting for the resident starts the wait (its time is stored); leaving it moves the stored due date
    on by the working days waited (shared/sla.py), so the queue, the case page and the resident's tracking page,
    which all read the stored date, agree."""
    due = str(item[DUE_DATE]) if item.get(DUE_DATE) else None
    if new is Status.WAITING_FOR_RESIDENT:
        return _ClockChange(due, starts=True)
    if current is not Status.WAITING_FOR_RESIDENT:
        return _ClockChange(due)
    since = item.get(WAITING_SINCE)
    if not since or not due:
        return _ClockChange(due, ends=bool(since))
    moved = due_after_wait(date.fromisoformat(due), datetime.fromisoformat(str(since)), moment).isoformat()
    return _ClockChange(moved, ends=True, move=(due, moved) if moved != due else None)


def assign(
    item: dict[str, Any],
    assignee: Editor | None,
    *,
    by: Editor,
    expected_version: int | None = None,
    now: datetime | None = None,
    repository: RequestsRepository | None = None,
    return_values: str = "ALL_NEW",
) -> dict[str, Any]:
    """Assign the case to `assignee`, or unassign it (None). Staff only: the resident's view does not change."""
    version = _check(item, expected_version)
    _refuse_closed(item)
    if assignee is None and not item.get("assignee"):
        raise ValidationFailed("The case is not assigned to anyone.")
    if assignee is not None and item.get("assignee") == assignee.subject:
        raise ValidationFailed("The case is already assigned to them.")
    detail = f"Assigned to {assignee.email or 'a member of staff'}" if assignee else "Unassigned"
    entry = staff_entry(item["status"], _now(now), action="assign", by=by.subject, detail=detail, version=version + 1)
    who = (assignee.subject, assignee.email) if assignee else None
    return _staff_change(item, version, entry, repository, return_values, assignee=who, unassign=assignee is None)


def add_internal_note(
    item: dict[str, Any],
    note: str,
    *,
    by: Editor,
    expected_version: int | None = None,
    now: datetime | None = None,
    repository: RequestsRepository | None = None,
    return_values: str = "ALL_NEW",
) -> dict[str, Any]:
    """An internal note on an open case, without changing its status (never shown to the resident)."""
    version = _check(item, expected_version)
    _refuse_closed(item)
    text = _text(note, "internal note")
    if not text:
        raise ValidationFailed("Enter the internal note.")
    at = _now(now)
    entry = staff_entry(
        item["status"], at, action="internal-note", by=by.subject, detail="Internal note added", version=version + 1
    )
    stored = {"status": item["status"], "at": at, "note": text, "by": by.subject, VERSION: version + 1}
    return _staff_change(item, version, entry, repository, return_values, internal_note=stored)


def _staff_change(
    item: dict[str, Any],
    version: int,
    entry: dict[str, Any],
    repository: RequestsRepository | None,
    return_values: str,
    **change: Any,
) -> dict[str, Any]:
    def write(repo: RequestsRepository) -> dict[str, Any]:
        return repo.staff_change(item["reference"], version=version, entry=entry, return_values=return_values, **change)

    return _write(item, version, write, repository)


def _refuse_closed(item: dict[str, Any]) -> None:
    if is_closed(Status(item["status"])):
        raise ValidationFailed("This case is closed: reopen it (with a reason) before changing anything else.")


def _write(item: dict[str, Any], version: int, write: Any, repository: RequestsRepository | None) -> dict[str, Any]:
    """Run the conditional write; if the item moved on in between, re-read it to say what changed."""
    repo = repository or RequestsRepository()
    try:
        written: dict[str, Any] = write(repo)
    except StaleVersion:
        latest = repo.get(item["reference"])
        if latest is None:
            raise NotFound(NOT_FOUND) from None
        raise StaleCase(latest, version) from None
    return written
