"""The permits' scheduled steps: which London day each one falls on, and which is due when the daily job runs.

An item of the Permits table with `due_on` (a London date, `YYYY-MM-DD`) has a step on that day; the sparse
`by-due` index (partition `due_on`, sort `pk`, keys only) is how the daily job (`permits.schedule_job`) finds them:

- an application left `pending-payment`: warned on day 25 from the London day it was made (5 days before it is
  cancelled), cancelled on day 30;
- an issued permit: a renewal reminder 28 days before its last day, another 7 days before, and on the day after
  its last day it ends as `expired`.

Plain date arithmetic (no clock here): the job passes the day it runs for. A step whose day has passed is still
done when the job runs late, unless a later step of the same item is due too: then only the later one is (a
reminder is not sent on the day a permit ends; an application about to be cancelled is not warned first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from permits.validity import REMINDER_DAYS
from shared.calendar import LONDON

BY_DUE = "by-due"  # stacks/permits_stack.py
WARN_AFTER_DAYS = 25  # an unpaid application is warned on this day from the day it was made ...
CANCEL_AFTER_DAYS = 30  # ... and cancelled on this one
CATCH_UP_DAYS = 7  # each run also looks this many days back: steps of missed runs are done late, not lost


class Action(StrEnum):
    WARN = "warn"  # PERMIT_APPLICATION_EXPIRING
    CANCEL = "cancel"  # PERMIT_APPLICATION_CANCELLED
    REMIND = "remind"  # PERMIT_RENEWAL_DUE
    EXPIRE = "expire"  # the permit ends as expired (store.end)


@dataclass(frozen=True)
class Step:
    action: Action
    on: date
    days_before: int = 0  # a reminder's: 28 or 7 days before the last day


def london_day(moment: datetime) -> date:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(LONDON).date()


def made_on(created_at: str) -> date:
    """The London day an application was made, from its `created_at` (ISO, with its offset)."""
    moment = datetime.fromisoformat(created_at)
    return london_day(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def application_steps(made: date) -> tuple[Step, ...]:
    return (
        Step(Action.WARN, made + timedelta(days=WARN_AFTER_DAYS)),
        Step(Action.CANCEL, made + timedelta(days=CANCEL_AFTER_DAYS)),
    )


def permit_steps(valid_to: date) -> tuple[Step, ...]:
    reminders = tuple(Step(Action.REMIND, valid_to - timedelta(days=d), d) for d in sorted(REMINDER_DAYS, reverse=True))
    return (*reminders, Step(Action.EXPIRE, valid_to + timedelta(days=1)))


def first_due(steps: tuple[Step, ...], today: date) -> date | None:
    """The day of the first step still to come on `today` (a step on `today` included): the item's first `due_on`."""
    return next((step.on for step in steps if step.on >= today), None)


def application_first_due(created_at: str) -> str:
    """An application's first `due_on`, when it is stored: its warning day."""
    return application_steps(made_on(created_at))[0].on.isoformat()


def permit_first_due(valid_to: date, issued_on: date) -> str | None:
    """A permit's first `due_on`, when it is issued: the first reminder not already past, else its expiry."""
    due = first_due(permit_steps(valid_to), issued_on)
    return due.isoformat() if due else None


def due_step(steps: tuple[Step, ...], due_on: date, today: date) -> tuple[Step | None, date | None]:
    """The step to do when the job runs for `today` on an item whose `due_on` has come, and the item's next
    `due_on` (None: no step left). Of the steps from `due_on` to `today`, only the latest is done; None when none
    falls there (the item's dates changed since it was scheduled: it is moved to its next step)."""
    if due_on > today:
        raise ValueError("That step is not due yet.")
    come = [step for step in steps if due_on <= step.on <= today]
    later = next((step.on for step in steps if step.on > today), None)
    return (come[-1] if come else None), later


def days_to_look_at(today: date) -> list[date]:
    """The `due_on` days one run Queries: the oldest first, today last."""
    return [today - timedelta(days=back) for back in range(CATCH_UP_DAYS, -1, -1)]
