"""The case page's timeline: the case's own history (status changes with their resident updates, staff-only
changes such as assignments, internal notes) merged with its audit trail (who read or changed it, and when), in
time order, newest first, for the MoJ Frontend timeline component.

The audit entries are read by a Query of the case's partition (console/audit.py `AuditLog.trail`). What an audit
entry shows is said here in the console's own words, from its action and the fields the console itself wrote (a
status, a channel): never free text a member of staff typed (a reason for acting for a resident may name the
resident) and never a search key. Staff are shown by their email where the console knows them (the staff pool's
members, console/team_members.py), otherwise as "a member of staff".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.requests_repo import VERSION
from shared.statuses import Status, staff_label

UNKNOWN_STAFF = "a member of staff"

# What each audited action was, in words (the actions the console writes against a case's record).
ACTIONS = {
    "read-case": "Viewed the case",
    "search-reference": "Found the case by its reference",
    "assign": "Changed who the case is assigned to",
    "change-status": "Changed the status",
    "reopen": "Reopened the case",
    "internal-note": "Added an internal note",
    "refund": "Asked for a refund",
    "take-payment": "Took the payment by phone",
    "act-for-resident": "Submitted the request for the resident",
    "export-subject-access": "Included the case in a subject access export",
    "download-attachment": "Downloaded a file the resident sent",
}
_OUTCOMES = {"refused": "refused", "failed": "failed"}
_CHANNELS = {"phone": "by phone", "face-to-face": "face to face", "email": "by email", "letter": "by letter"}


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    title: str
    by: str = ""  # who did it, in words ("" for the resident or the system)
    text: str = ""  # a resident update, or what an audited action was about
    note: str = ""  # the internal note made with the change
    audit: bool = False  # from the audit trail rather than the case's history
    staff_only: bool = False  # never shown to the resident (an internal note, an assignment, an audit entry)
    subject: str = field(default="", repr=False)  # who, as a Cognito sub (for pairing a change with its audit)
    action: str = field(default="", repr=False)  # the audited action that made this change, or the audit's own
    id: str = field(default="", repr=False)  # the audit entry's key, or the history entry's place (h<n>, n<n>)
    key: tuple[datetime, int, str] | None = field(default=None, repr=False)  # its place in the timeline (merge)

    @property
    def timestamp(self) -> str:
        return self.at.isoformat(timespec="seconds")

    @property
    def when(self) -> str:
        moment = self.at.astimezone(UTC)
        return f"{moment.day} {moment:%B %Y}, {moment:%H:%M:%S} UTC"


def merge(case: Mapping[str, Any], trail: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> list[TimelineItem]:
    """Every history entry, internal note and audit entry of the case, newest first.

    History keeps whole seconds, the audit milliseconds: a change is placed just after the audit entry that
    accounts for it (same member of staff, same action, within a second: the entry is written first), anything
    else at its own time."""
    audits = [_audited(entry, names) for entry in trail]
    keyed = [(item.at, 0, item) for item in audits]
    paired: set[int] = set()
    for item in _history(case, names):
        key = item.at
        found = [
            (audit.at, index)
            for index, audit in enumerate(audits)
            if index not in paired
            and item.action
            and (audit.subject, audit.action) == (item.subject, item.action)
            and abs(audit.at - item.at) < _SECOND
        ]
        if found:
            key, index = max(found)
            paired.add(index)
        keyed.append((key, 1, item))
    placed = [replace(item, key=(at, tier, item.id)) for at, tier, item in keyed]
    return sorted(placed, key=lambda item: item.key or (item.at, 0, ""), reverse=True)


_SECOND = timedelta(seconds=1)


def _history(case: Mapping[str, Any], names: Mapping[str, str]) -> Iterable[TimelineItem]:
    notes = {int(note[VERSION]): note for note in case.get("internal_notes", []) if note.get(VERSION) is not None}
    shown: set[int] = set()
    for place, entry in enumerate(case.get("history", [])):
        subject = str(entry.get("by", ""))
        version = entry.get(VERSION)
        note = notes.get(int(version)) if version is not None else None
        if note is not None:
            shown.add(int(version))
        common: dict[str, Any] = {"by": _who(subject, names), "subject": subject, "id": f"h{place:05d}"}
        common["note"] = str(note["note"]) if note else ""
        if entry.get("staff_only"):
            title, action = str(entry.get("detail", "")), str(entry.get("action", ""))
            yield TimelineItem(_moment(entry["at"]), title, staff_only=True, action=action, **common)
        else:
            action = "reopen" if entry["status"] == Status.REOPENED.value else "change-status"
            update = str(entry.get("update", ""))
            yield TimelineItem(_moment(entry["at"]), _status(entry), text=update, action=action, **common)
    for place, note in enumerate(case.get("internal_notes", [])):  # notes no history entry names (older cases)
        if note.get(VERSION) is None or int(note[VERSION]) not in shown:
            by, text = _who(note.get("by"), names), str(note["note"])
            yield TimelineItem(_moment(note["at"]), "Internal note", by, note=text, staff_only=True, id=f"n{place:05d}")


def _audited(entry: Mapping[str, Any], names: Mapping[str, str]) -> TimelineItem:
    base, outcome = str(entry.get("action", "")), ""
    head, _, tail = base.rpartition("-")
    if head and tail in _OUTCOMES:
        base, outcome = head, tail
    title = ACTIONS.get(base, base.replace("-", " ").capitalize() or "Audited")
    if outcome:
        title += f" ({_OUTCOMES[outcome]})"
    subject = str(entry.get("staff", ""))
    return TimelineItem(
        _moment(entry["at"]),
        title,
        _who(subject, names),
        _what(base, entry),
        audit=True,
        staff_only=True,
        subject=subject,
        action=str(entry.get("action", "")),
        id=str(entry.get("entry", "")),
    )


def _what(action: str, entry: Mapping[str, Any]) -> str:
    """The words the console itself wrote about the entry: never what a member of staff typed."""
    details = entry.get("details") or {}
    if action in ("change-status", "reopen"):
        status = str(entry.get("detail", "")).removeprefix("to ").split(" ", 1)[0]
        return f"To {staff_label(Status(status)).lower()}" if status in {s.value for s in Status} else ""
    if action == "act-for-resident":
        return _CHANNELS.get(str(details.get("channel", "")), "").capitalize()
    if action == "download-attachment":
        question = str(details.get("question", ""))
        return f"The answer to “{question}”" if question else ""
    return ""


def _status(entry: Mapping[str, Any]) -> str:
    try:
        return staff_label(Status(entry["status"]))
    except ValueError:
        return str(entry["status"])


def _who(subject: Any, names: Mapping[str, str]) -> str:
    if not subject:
        return ""
    return names.get(str(subject)) or UNKNOWN_STAFF


def _moment(text: Any) -> datetime:
    """A history time (seconds) or an audit time (milliseconds) as an aware datetime; naive ones are UTC."""
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
