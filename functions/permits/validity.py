"""When a permit is valid, and what is owed when it ends early: plain date arithmetic, Europe/London dates.

- A permit of n months from day d is valid to the day before the same day n months on, both days inclusive
  (1 March to 28 or 29 February); where that day does not exist it runs to the end of that month (31 January for 3
  months: to 30 April). In a zone where every permit ends on one date (`common_end_date`) a permit ends on the next
  such date at least `MIN_COMMON_TERM_DAYS` away if that comes before its natural end (it is then charged for the
  months it runs, a part month counting as whole: `Term.months`) or less than `MIN_COMMON_TERM_DAYS` after it (the
  few days more are free); a short permit that ends well before the date keeps its natural end.
- A cancelled permit is refunded its whole unused months, pro rata to what was paid, less the zone's admin fee (never
  below zero); a move to another zone credits the whole unused months without the fee and prices the new permit,
  which ends when the old one would have, for the months left (a part month counting as whole).
- A permit is valid to the end of its last day; then, for the zone's grace days, expired but within grace.
- Renewal reminders go 28 and 7 days before the last day (only those on or after the day it was issued).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from permits.pricing import pounds, round_pence
from permits.zones import Cancellation, EndDate
from shared.calendar import LONDON

MIN_COMMON_TERM_DAYS = 28  # a permit bought just before the common end date runs to the one after
REMINDER_DAYS = (28, 7)


def add_months(day: date, months: int) -> date | None:
    """The same day of the month `months` later, or None where that month has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, day.day) if day.day <= calendar.monthrange(year, month)[1] else None


def term_end(start: date, months: int) -> date:
    """The last day (inclusive) of a term of `months` months from `start`."""
    same_day = add_months(start, months)
    if same_day is not None:
        return same_day - timedelta(days=1)
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


def whole_months(first: date, last: date) -> int:
    """How many whole months run from `first` to `last`, both inclusive (0 if not even one)."""
    if last < first:
        return 0
    n = (last.year - first.year) * 12 + last.month - first.month + 1
    while n > 0 and term_end(first, n) > last:
        n -= 1
    return n


def months_started(first: date, last: date) -> int:
    """Months from `first` to `last` inclusive, a part month counting as whole."""
    n = whole_months(first, last)
    return n if n and term_end(first, n) == last else n + 1


@dataclass(frozen=True)
class Term:
    valid_from: date
    valid_to: date  # inclusive: the permit is valid until the end of this day
    months: int  # the months charged for


def _next_common_end(after: date, end: EndDate) -> date:
    year = after.year
    while (candidate := date(year, end.month, end.day)) < after:
        year += 1
    return candidate


def term(start: date, months: int, common_end: EndDate | None = None) -> Term:
    """The validity of a permit of `months` bought to start on `start`, in a zone with `common_end` or none."""
    natural = term_end(start, months)
    if common_end is None:
        return Term(start, natural, months)
    window = timedelta(days=MIN_COMMON_TERM_DAYS - 1)
    end = _next_common_end(start + window, common_end)
    if end > natural + window:
        return Term(start, natural, months)  # a short permit that does not reach the zone's end date
    return Term(start, end, min(months_started(start, end), months))


def pro_rata(pence: int, of_months: int, months: int) -> int:
    """`months` of a price of `pence` for `of_months`, to the nearest penny."""
    return round_pence(Fraction(pence * months, of_months))


@dataclass(frozen=True)
class Refund:
    pence: int
    unused_months: int
    reasons: tuple[str, ...]


def cancellation_refund(paid: int, permit: Term, last_day_used: date, rule: Cancellation) -> Refund:
    """The refund for a permit of `permit`, paid `paid`, cancelled so that `last_day_used` is its last valid day."""
    unused = whole_months(max(last_day_used + timedelta(days=1), permit.valid_from), permit.valid_to)
    if rule.refund == "none":
        return Refund(0, unused, ("Permits in this zone are not refunded when they are cancelled.",))
    value = pro_rata(paid, permit.months, min(unused, permit.months))
    reasons = [f"{unused} whole months of the {permit.months} paid for are unused: {pounds(value)}."]
    if value and rule.admin_fee:
        reasons.append(f"Less the admin fee of {pounds(rule.admin_fee)}.")
    refund = max(0, value - rule.admin_fee)
    reasons.append(f"Refund: {pounds(refund)}." if refund else "No refund is due.")
    return Refund(refund, unused, tuple(reasons))


@dataclass(frozen=True)
class Move:
    credit: int  # the old permit's whole unused months
    new_permit: Term  # from the move to the old permit's last day
    new_price: int
    to_pay: int
    to_refund: int


def move(paid: int, old: Term, moving_on: date, new_annual_price: int, *, of_months: int = 12) -> Move:
    """Moving into another zone on `moving_on`: the old permit surrendered, the new one priced pro rata
    (`new_annual_price` is the new zone's price for `of_months` months, 12 unless given)."""
    credit = pro_rata(paid, old.months, min(whole_months(moving_on, old.valid_to), old.months))
    months_left = months_started(moving_on, old.valid_to) if moving_on <= old.valid_to else 0
    new = Term(moving_on, old.valid_to, months_left)
    price = pro_rata(new_annual_price, of_months, min(months_left, of_months))
    return Move(credit, new, price, max(0, price - credit), max(0, credit - price))


class Standing(StrEnum):
    NOT_YET_VALID = "not-yet-valid"
    VALID = "valid"
    IN_GRACE = "expired-in-grace"
    EXPIRED = "expired"


def standing(permit: Term, moment: datetime, grace_days: int) -> Standing:
    """Where a permit stands at `moment` (aware), by its London date."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    today = moment.astimezone(LONDON).date()
    if today < permit.valid_from:
        return Standing.NOT_YET_VALID
    if today <= permit.valid_to:
        return Standing.VALID
    return Standing.IN_GRACE if today <= permit.valid_to + timedelta(days=grace_days) else Standing.EXPIRED


def reminder_dates(permit: Term, issued_on: date) -> list[tuple[int, date]]:
    """(days before the last day, the date) of each renewal reminder still to come when the permit is issued."""
    due = [(days, permit.valid_to - timedelta(days=days)) for days in REMINDER_DAYS]
    return [(days, on) for days, on in due if on >= issued_on]
