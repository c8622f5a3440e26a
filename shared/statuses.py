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
    # The council has asked the resident for something (a photo, a document, access) and cannot go on without it:
    # the service-level clock stops until the request leaves this status (shared/sla.py, shared/case_changes.py).
    WAITING_FOR_RESIDENT = "waiting-for-resident"


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
    Status.WAITING_FOR_RESIDENT: "We are waiting for information from you",
}
# Where staff need other words than the resident's for the same status (the resident reads "you").
_STAFF_LABELS: dict[Status, str] = {Status.WAITING_FOR_RESIDENT: "Waiting for the resident"}
# The statuses a request cannot move to waiting for the resident from: nobody has looked at a received request yet,
# and a request awaiting payment is the payments service's to move on (it waits on the payment, not on information).
_NOT_WAITING_FROM: frozenset[Status] = frozenset({Status.RECEIVED, Status.AWAITING_PAYMENT})


def is_closed(status: Status) -> bool:
    """Whether the request has ended (it can only be reopened)."""
    return status in CLOSED_STATUSES


def open311_status(status: Status) -> Literal["open", "closed"]:
    """The Open311 GeoReport v2 status, which only knows open and closed."""
    return "closed" if status in CLOSED_STATUSES else "open"


def label(status: Status) -> str:
    """The words a resident sees for a status."""
    return _LABELS[status]


def staff_label(status: Status) -> str:
    """The words staff see for a status (the resident's, except where those speak to the resident)."""
    return _STAFF_LABELS.get(status, _LABELS[status])


def can_change(current: Status, new: Status) -> bool:
    """Whether a request may move from ``current`` to ``new``.

    - A change must change something: ``current == new`` is refused, so history has no empty entries.
    - A closed request (fixed, duplicate, not the council's responsibility, no further action, closed)
      can only be reopened; to close it differently, reopen it first so the history shows why.
    - An open request can move to any other status except back to received: received only describes
      a request that nobody has looked at yet.
    - Waiting for the resident follows a look at the request: not from received, nor from awaiting payment.
    """
    if current == new:
        return False
    if current in CLOSED_STATUSES:
        return new == Status.REOPENED
    if new == Status.WAITING_FOR_RESIDENT and current in _NOT_WAITING_FROM:
        return False
    return new != Status.RECEIVED
