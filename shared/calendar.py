"""UK working days for England and Wales, for service-level due dates.

Bank holidays come from the ``holidays`` library (England; Wales has the same bank holidays), so one-off
days such as a coronation arrive with a library upgrade rather than a hand-typed list.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
_SATURDAY = 5


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> MappingProxyType[date, str]:
    """Weekday bank holidays of one year, read-only so the cached value cannot be changed by a caller.

    The library also lists the nominal date of a holiday that falls at a weekend (e.g. Boxing Day on a
    Saturday) beside its weekday substitute "(observed)"; only the weekday is a day off, and the GOV.UK
    list of bank holidays shows only that one, so weekend dates are left out.
    """
    found = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return MappingProxyType({day: str(name) for day, name in sorted(found.items()) if day.weekday() < _SATURDAY})


def bank_holidays(year: int) -> dict[date, str]:
    """The bank holidays of England and Wales in ``year`` that fall on weekdays, by date, in date order."""
    return dict(_bank_holidays(year))


def bank_holidays_in(start: date, end: date) -> int:
    """How many (weekday) bank holidays fall after ``start`` up to and including ``end``."""
    years = range(start.year, end.year + 1)
    return sum(1 for year in years for day in _bank_holidays(year) if start < day <= end)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday of England and Wales."""
    return day.weekday() < _SATURDAY and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself never counts).

    ``days == 0`` gives the next working day on or after ``start``.
    """
    if days < 0:
        raise ValueError(f"days must be zero or more, not {days}")
    day = start
    if days == 0:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def due_date(submitted_at: datetime, sla_days: int) -> date:
    """When a request submitted at ``submitted_at`` is due: ``sla_days`` working days after its UK date.

    The UK date matters: 23:30 UTC on a summer evening is already the next day in London.
    """
    if submitted_at.tzinfo is None or submitted_at.utcoffset() is None:
        raise ValueError("submitted_at must be timezone-aware")
    return add_working_days(submitted_at.astimezone(LONDON).date(), sla_days)
