"""The service-level clock of a request, in working days of England and Wales.

A request is due `sla_working_days` working days after the UK date it arrived (`shared.calendar.due_date`). While
the council waits on the resident (status `waiting-for-resident`) the clock stops: the working days spent waiting
are added to the due date when the request leaves the wait, so the queue (sorted by the stored due date), the case
page and the resident's tracking page all show the same date. How far a request is from its due date is counted
in working days too, in the words the queue and the case page show. While the clock is stopped, the stored date
has not moved yet and does not hold: what is shown instead is how many working days were left (or how late it
was) on the UK date the wait began, which is what the request has left when the wait ends (`due_after_wait`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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

    due: date  # the stored due date (while stopped, the one before the wait: not the date it will be)
    working_days: int  # left (positive), 0 due today (or past due with no working day since), late (negative);
    # while stopped, as they were on the UK date the wait began (0 with `past_due` unknown if that is not known)
    stopped: bool  # waiting on the resident: the clock is not running
    past_due: bool = False  # today (or the day the clock stopped) is after the due date
    stopped_on: date | None = None  # the UK date the wait began, when known

    @property
    def late(self) -> bool:
        return (self.working_days < 0 or self.past_due) and not self.stopped

    @property
    def shows_date(self) -> bool:
        """Whether the due date holds: not while the clock is stopped (it moves on by the days waited)."""
        return not self.stopped

    @property
    def words(self) -> str:
        if self.stopped:
            return "clock stopped: waiting for the resident" + (f", {self._standing()}" if self.stopped_on else "")
        if self.working_days == 0 and self.past_due:
            # The Saturday after a Friday due date: late, as the queue's "Overdue" view says, though no working
            # day has passed since.
            return f"late: was due {self.due:%A} {self.due.day} {self.due:%B}"
        if self.working_days == 0:
            return "due today"
        return f"due in {_days(self.working_days)}" if self.working_days > 0 else f"{_days(self.working_days)} late"

    def _standing(self) -> str:
        """Where the request stood the day its clock stopped."""
        if self.working_days > 0:
            return f"{_days(self.working_days)} left"
        if self.working_days < 0:
            return f"{_days(self.working_days)} late when it stopped"
        return "late when it stopped" if self.past_due else "stopped on its due date"


def _days(count: int) -> str:
    count = abs(count)
    return f"{count} working day" if count == 1 else f"{count} working days"


def clock(due: date, today: date, *, stopped: bool = False, waiting_since: datetime | None = None) -> Clock:
    """How many working days `today` is before (positive) or after (negative) `due`; for a stopped clock, how many
    the UK date of `waiting_since` was (none known without it: an unknown start says only that it is stopped)."""
    if stopped:
        if waiting_since is None:
            return Clock(due, 0, True)
        began = uk_date(waiting_since)
        standing = clock(due, began)
        return Clock(due, standing.working_days, True, standing.past_due, stopped_on=began)
    if today <= due:
        return Clock(due, working_days_between(today, due), stopped)
    return Clock(due, -working_days_between(due, today), stopped, past_due=True)


def waiting_since_of(item: Mapping[str, Any]) -> datetime | None:
    """When a stored request's wait on the resident began (`waiting_since`, shared/case_changes.py), if it says."""
    stamp = item.get("waiting_since")
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return moment if moment.tzinfo else None
