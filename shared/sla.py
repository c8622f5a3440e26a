"""The service-level clock of a request, in working days of England and Wales.

A request is due `sla_working_days` working days after the UK date it arrived (`shared.calendar.due_date`). While
the council waits on the resident (status `waiting-for-resident`) the clock stops: the working days spent waiting
are added to the due date when the request leaves the wait, so the queue (sorted by the stored due date), the case
page and the resident's tracking page all show the same date. How far a request is from its due date is counted
in working days too, in the words the queue and the case page show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from shared.calendar import LONDON, add_working_days, bank_holidays_in

_SATURDAY = 5


def uk_date(moment: datetime) -> date:
    """The date in London at `moment` (which must be timezone-aware)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(LONDON).date()


def working_days_between(start: date, end: date) -> int:
    """The working days after `start` up to and including `end` (0 when `end` is not after `start`).

    Counted, not walked: the weekdays of the span less its bank holidays (which fall on weekdays only), so a case
    years late costs the queue no more than one due tomorrow."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    weekdays = 5 * weeks + sum(1 for i in range(1, rest + 1) if (start.weekday() + i) % 7 < _SATURDAY)
    return weekdays - bank_holidays_in(start, end)


def due_after_wait(due: date, waiting_since: datetime, resumed_at: datetime) -> date:
    """The due date once a wait on the resident from `waiting_since` to `resumed_at` has ended.

    Every working day the request waited moves the due date on by one working day: a wait that starts and ends
    on the same day stops nothing; one from Monday to Wednesday gives the case two more working days.
    """
    waited = working_days_between(uk_date(waiting_since), uk_date(resumed_at))
    return add_working_days(due, waited) if waited else due


@dataclass(frozen=True)
class Clock:
    """Where a request stands against its due date, as staff read it."""

    due: date
    working_days: int  # left (positive), 0 due today (or past due with no working day since), late (negative)
    stopped: bool  # waiting on the resident: the clock is not running
    past_due: bool = False  # today is after the due date (a weekend or bank holiday after it counts no day yet)

    @property
    def late(self) -> bool:
        return (self.working_days < 0 or self.past_due) and not self.stopped

    @property
    def words(self) -> str:
        if self.stopped:
            return "clock stopped: waiting for the resident"
        if self.working_days == 0 and self.past_due:
            # The Saturday after a Friday due date: late, as the queue's "Overdue" view says, though no working
            # day has passed since.
            return f"late: was due {self.due:%A} {self.due.day} {self.due:%B}"
        if self.working_days == 0:
            return "due today"
        count = abs(self.working_days)
        unit = "working day" if count == 1 else "working days"
        return f"due in {count} {unit}" if self.working_days > 0 else f"{count} {unit} late"


def clock(due: date, today: date, *, stopped: bool = False) -> Clock:
    """How many working days `today` is before (positive) or after (negative) `due`."""
    if today <= due:
        return Clock(due, working_days_between(today, due), stopped)
    return Clock(due, -working_days_between(due, today), stopped, past_due=True)
