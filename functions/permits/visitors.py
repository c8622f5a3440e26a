"""A household's visitor permits as a wallet: an allowance of hours or of day sessions per year, spent by sessions a
resident starts for a visitor's vehicle.

- Hours: a session uses only the minutes inside the zone's controlled hours (Europe/London wall clock, so a session
  across a clock change is counted in real minutes: the autumn night has an extra hour, the spring one loses one;
  bank holidays are free unless the zone controls them). A session with no controlled minutes is refused (no permit
  is needed then), as is one needing more than the balance. Ending a session early gives back the minutes not used.
- Days: a session is one London date with controlled hours; it can be cancelled until midnight before that day.
- The balance is the allowance less every session not cancelled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

from permits.zones import VisitorAllowance, Zone
from shared.calendar import LONDON, bank_holidays

ONE_DAY = timedelta(days=1)


class VisitorError(ValueError):
    """A visitor session cannot be started or changed; the message says why, for the resident."""


class OutsideControlledHours(VisitorError):
    pass


class NoAllowanceLeft(VisitorError):
    pass


class NotCancellable(VisitorError):
    pass


def _aware(moment: datetime) -> datetime:
    """In UTC: Python compares and subtracts two times of one zone by their wall clocks, not as instants."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    return moment.astimezone(UTC)


def _controlled_day(zone: Zone, day: date) -> bool:
    return zone.bank_holidays_controlled or day not in bank_holidays(day.year)


def _wall_clock(day: date, at: clock_time) -> datetime:
    """`at` on `day` in London, as a UTC instant (a time the spring change skips has the offset before the change)."""
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def controlled_periods(zone: Zone, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The zone's controlled periods on a London date, as instants, in order, overlapping ones merged."""
    if not _controlled_day(zone, day):
        return
    found = sorted(
        (_wall_clock(day, period.start), _wall_clock(day, period.end))
        for period in zone.controlled_hours
        if any(d.weekday == day.weekday() for d in period.days)
    )
    merged: list[tuple[datetime, datetime]] = []
    for begins, ends in found:
        if merged and begins <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ends))
        else:
            merged.append((begins, ends))
    yield from merged


def controlled_minutes(zone: Zone, start: datetime, end: datetime) -> int:
    """Whole minutes of [start, end) inside the zone's controlled hours (real minutes, across clock changes)."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0
    seconds = 0.0
    first, last = start.astimezone(LONDON).date(), end.astimezone(LONDON).date()
    day = first
    while day <= last:
        for begins, ends in controlled_periods(zone, day):
            overlap = (min(end, ends) - max(start, begins)).total_seconds()
            seconds += max(0.0, overlap)
        day += timedelta(days=1)
    return int(seconds // 60)


def controlled_on(zone: Zone, day: date) -> bool:
    return any(True for _ in controlled_periods(zone, day))


@dataclass(frozen=True)
class Session:
    id: str
    vrm: str
    start: datetime
    end: datetime
    used: int  # minutes (an hours wallet) or 1 (a day wallet)
    day: date | None = None  # the London date of a day session
    cancelled: bool = False


@dataclass(frozen=True)
class Wallet:
    """One household's visitor allowance for one year in one zone, and the sessions spent from it."""

    zone: Zone
    allowance: VisitorAllowance
    sessions: tuple[Session, ...] = ()

    @classmethod
    def for_zone(cls, zone: Zone) -> Wallet:
        if zone.visitor_allowance is None:
            raise VisitorError(f"{zone.name} does not have visitor permits")
        return cls(zone, zone.visitor_allowance)

    @property
    def total(self) -> int:
        """The allowance in the wallet's units: minutes for hours, sessions for days."""
        return self.allowance.per_year * (60 if self.allowance.unit == "hours" else 1)

    @property
    def balance(self) -> int:
        return self.total - sum(s.used for s in self.sessions if not s.cancelled)

    def describe_balance(self) -> str:
        left = self.balance
        if self.allowance.unit == "days":
            return f"{left} of {self.total} visitor days left"
        hours, minutes = divmod(left, 60)
        return f"{hours} hours {minutes} minutes of {self.allowance.per_year} visitor hours left"

    def _next_id(self) -> str:
        return f"V{len(self.sessions) + 1:04d}"

    def start_hours(self, vrm: str, start: datetime, end: datetime, *, now: datetime) -> tuple[Wallet, Session]:
        """A session for `vrm` from `start` (not before `now`) to `end`, using its controlled minutes."""
        if self.allowance.unit != "hours":
            raise VisitorError("This zone's visitor permits are whole days: start a day session")
        start, end, now = _aware(start), _aware(end), _aware(now)
        if end <= start or start < now - timedelta(minutes=1):
            raise VisitorError("A session starts now or later and ends after it starts")
        minutes = controlled_minutes(self.zone, start, end)
        if minutes == 0:
            raise OutsideControlledHours(
                f"Parking in {self.zone.name} is not controlled at that time, so your visitor does not need a permit"
            )
        if minutes > self.balance:
            raise NoAllowanceLeft(f"That needs {_hours(minutes)} but you have {_hours(self.balance)} left this year")
        session = Session(self._next_id(), vrm, start, end, minutes)
        return replace(self, sessions=(*self.sessions, session)), session

    def end_early(self, session_id: str, *, now: datetime) -> Wallet:
        """End an hours session at `now`: only the controlled minutes up to then are used."""
        session = self._session(session_id)
        now = _aware(now)
        if session.day is not None or now >= session.end:
            return self
        ended = replace(session, end=max(now, session.start))
        ended = replace(ended, used=controlled_minutes(self.zone, ended.start, ended.end))
        return self._with(ended)

    def start_day(self, vrm: str, day: date, *, now: datetime) -> tuple[Wallet, Session]:
        """A day session for `vrm` on London date `day` (today or later)."""
        if self.allowance.unit != "days":
            raise VisitorError("This zone's visitor permits are by the hour: start an hours session")
        if day < _aware(now).astimezone(LONDON).date():
            raise VisitorError("A visitor day is today or later")
        if not controlled_on(self.zone, day):
            raise OutsideControlledHours(
                f"Parking in {self.zone.name} is not controlled on {day:%A %-d %B}, so no visitor permit is needed"
            )
        if self.balance < 1:
            raise NoAllowanceLeft("You have no visitor days left this year")
        start = _wall_clock(day, clock_time(0))
        session = Session(self._next_id(), vrm, start, _wall_clock(day + ONE_DAY, clock_time(0)), 1, day=day)
        return replace(self, sessions=(*self.sessions, session)), session

    def cancel_day(self, session_id: str, *, now: datetime) -> Wallet:
        """Cancel a day session, giving the day back: only until midnight before it (London)."""
        session = self._session(session_id)
        if session.day is None:
            raise NotCancellable("An hours session is ended, not cancelled")
        if _aware(now) >= _wall_clock(session.day, clock_time(0)):
            raise NotCancellable(f"A visitor day can be cancelled until midnight before it ({session.day:%-d %B})")
        return self._with(replace(session, cancelled=True))

    def active_at(self, vrm: str, moment: datetime) -> Session | None:
        """The session covering `vrm` at `moment`, for enforcement."""
        moment = _aware(moment)
        return next((s for s in self.sessions if s.vrm == vrm and not s.cancelled and s.start <= moment < s.end), None)

    def _session(self, session_id: str) -> Session:
        found = next((s for s in self.sessions if s.id == session_id), None)
        if found is None:
            raise VisitorError(f"No visitor session {session_id}")
        return found

    def _with(self, changed: Session) -> Wallet:
        return replace(self, sessions=tuple(changed if s.id == changed.id else s for s in self.sessions))


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} hours {rest} minutes" if rest else f"{hours} hours"
