"""The status vocabulary of a request: richer than Open311's open/closed, so residents see what is happening."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class Status(StrEnum):
    RECEIVED = "received"
    FOR_TRIAGE = "for-triage"
    INVESTIGATING = "investigating"
    ACTION_SCHEDULED = "action-scheduled"
    IN_PROGRESS = "in-progress"
    FIXED = "fixed"
    DUPLICATE = "duplicate"
    NOT_COUNCIL_RESPONSIBILITY = "not-council-responsibility"
    NO_FURTHER_ACTION = "no-further-action"
    CLOSED = "closed"
    REOPENED = "reopened"
    AWAITING_PAYMENT = "awaiting-payment"


# The statuses that end a request: Open311 reports them as "closed".
CLOSED_STATUSES: frozenset[Status] = frozenset(
    {
        Status.FIXED,
        Status.DUPLICATE,
        Status.NOT_COUNCIL_RESPONSIBILITY,
        Status.NO_FURTHER_ACTION,
        Status.CLOSED,
    }
)

_LABELS: dict[Status, str] = {
    Status.RECEIVED: "Received",
    Status.FOR_TRIAGE: "Waiting to be assessed",
    Status.INVESTIGATING: "Investigating",
    Status.ACTION_SCHEDULED: "Action scheduled",
    Status.IN_PROGRESS: "In progress",
    Status.FIXED: "Fixed",
    Status.DUPLICATE: "Already reported",
    Status.NOT_COUNCIL_RESPONSIBILITY: "Not the council's responsibility",
    Status.NO_FURTHER_ACTION: "No further action",
    Status.CLOSED: "Closed",
    Status.REOPENED: "Reopened",
    Status.AWAITING_PAYMENT: "Awaiting payment",
}


def is_closed(status: Status) -> bool:
    """Whether the request has ended (it can only be reopened)."""
    return status in CLOSED_STATUSES


def open311_status(status: Status) -> Literal["open", "closed"]:
    """The Open311 GeoReport v2 status, which only knows open and closed."""
    return "closed" if status in CLOSED_STATUSES else "open"


def label(status: Status) -> str:
    """The words a resident sees for a status."""
    return _LABELS[status]


def can_change(current: Status, new: Status) -> bool:
    """Whether a request may move from ``current`` to ``new``.

    - A change must change something: ``current == new`` is refused, so history has no empty entries.
    - A closed request (fixed, duplicate, not the council's responsibility, no further action, closed)
      can only be reopened; to close it differently, reopen it first so the history shows why.
    - An open request can move to any other status except back to received: received only describes
      a request that nobody has looked at yet.
    """
    if current == new:
        return False
    if current in CLOSED_STATUSES:
        return new == Status.REOPENED
    return new != Status.RECEIVED
