"""When bins are actually collected: the rounds, the bank holiday rule and the council's published changes.

`data/collection_rounds.yaml` holds three things:

- `rounds`: postcode sector (`ME14 1`) → the round's usual weekday and `weekly` / `fortnightly` (+ `first`, a date
  the round collected). These give the *nominal* collection dates.
- `bank_holidays`: the rule a council applies in a week with a bank holiday. `{rule: shift-rest-of-week, by_days: 1}`:
  in a Monday-Saturday week with a bank holiday (England and Wales, weekday holidays, from `shared.calendar`),
  collections from the bank holiday onwards are `by_days` later (Friday's on Saturday). `{rule: none}`: no shift.
- `changes`: dates the council publishes itself (Christmas and New Year): `{from: 2026-12-25, to: 2026-12-28}`
  moves every collection due on `from` to `to`, whatever the rule says. `because` (optional) says why, in words
  that follow "because of" in the reminder ("Christmas Day").

A fortnightly round keeps its fortnight from the nominal date: it collects in the weeks it always does, a day
late in a holiday week. Everything here is pure (no AWS); the file is validated when loaded, and a mistake names
the file and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml

from shared.calendar import bank_holidays

ROUNDS_FILE = Path(__file__).resolve().parent / "data" / "collection_rounds.yaml"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ROUND_DAYS = WEEKDAYS[:6]  # Monday to Saturday
RULES = ("shift-rest-of-week", "none")
MAX_SHIFT_DAYS = 6  # a shift stays within a week, so the daily job looks at most a week back
MAX_CHANGE_DAYS = 14  # a published change further than this is almost certainly a typing mistake (the year)
SECTOR = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9]")
_SUNDAY = 6

Rule = Literal["shift-rest-of-week", "none"]


class InvalidRoundsFile(ValueError):
    """The rounds data file is wrong; the message names the file and the field."""


@dataclass(frozen=True)
class Round:
    day: str
    frequency: Literal["weekly", "fortnightly"]
    first: date | None = None

    def collects_on(self, day: date) -> bool:
        """Whether `day` is one of this round's nominal collection dates (before any bank holiday change)."""
        if WEEKDAYS[day.weekday()] != self.day:
            return False
        if self.frequency == "weekly":
            return True
        return self.first is not None and (day - self.first).days % 14 == 0


@dataclass(frozen=True)
class BankHolidayRule:
    rule: Rule = "none"
    by_days: int = 0


@dataclass(frozen=True)
class Change:
    """A collection date the council moved itself (Christmas): every collection due `moved_from` is on `moved_to`."""

    moved_from: date
    moved_to: date
    because: str = "the bank holidays"


def holidays_shifting(nominal: date, rule: BankHolidayRule) -> list[date]:
    """The bank holidays that move a collection due on `nominal` under `rule`: those on a weekday of the same
    Monday-Saturday week, on or before `nominal`. Empty when the rule is `none` or the day is a Sunday."""
    if rule.rule == "none" or nominal.weekday() == _SUNDAY:
        return []
    monday = nominal - timedelta(days=nominal.weekday())
    found = {**bank_holidays(monday.year), **bank_holidays(nominal.year)}  # a week can span New Year
    return sorted(day for day in found if monday <= day <= nominal)


def actual_date(nominal: date, rule: BankHolidayRule, changes: Mapping[date, Change]) -> date:
    """The date a collection due on `nominal` actually happens: a published change wins; otherwise, with a bank
    holiday earlier in the week (or that day), `rule.by_days` later; otherwise `nominal`."""
    change = changes.get(nominal)
    if change is not None:
        return change.moved_to
    if holidays_shifting(nominal, rule):
        return nominal + timedelta(days=rule.by_days)
    return nominal


@dataclass(frozen=True)
class Schedule:
    rounds: Mapping[str, Round]
    bank_holidays: BankHolidayRule = BankHolidayRule()
    changes: Mapping[date, Change] = field(default_factory=dict)

    def actual_date(self, nominal: date) -> date:
        return actual_date(nominal, self.bank_holidays, self.changes)

    def nominal_dates(self, actual: date) -> list[date]:
        """Every nominal date whose collections happen on `actual` (in date order): `actual` itself unless it
        moved away, days up to a week before that the rule moves onto it, and published changes onto it."""
        candidates = {actual - timedelta(days=back) for back in range(MAX_SHIFT_DAYS + 1)}
        candidates |= {change.moved_from for change in self.changes.values() if change.moved_to == actual}
        return sorted(day for day in candidates if self.actual_date(day) == actual)

    def collections_on(self, the_round: Round, actual: date) -> list[date]:
        """The round's nominal collection dates that are collected on `actual` (usually none or one)."""
        return [day for day in self.nominal_dates(actual) if the_round.collects_on(day)]

    def moved_because(self, nominal: date) -> str:
        """Why a collection due on `nominal` is on another day, as a sentence for the resident ("" if it is not)."""
        actual = self.actual_date(nominal)
        if actual == nominal:
            return ""
        usual = f"{nominal:%A} {nominal.day} {nominal:%B}"
        change = self.changes.get(nominal)
        if change is not None:
            return f"This is instead of {usual}, because of {change.because}."
        holiday = holidays_shifting(nominal, self.bank_holidays)[-1]
        days = actual - nominal
        later = "a day" if days.days == 1 else f"{days.days} days"
        return (
            f"This is {later} later than usual because of the bank holiday on {holiday:%A} {holiday.day} {holiday:%B}."
        )

    def unplanned_clashes(self, start: date, end: date) -> Iterator[tuple[date, date]]:
        """(nominal, actual) for collections from `start` to `end` that the rule moves onto a bank holiday or a
        Sunday and no published change covers: what a council should publish a change for (Christmas)."""
        day = start
        while day <= end:
            if day not in self.changes and any(r.collects_on(day) for r in self.rounds.values()):
                actual = self.actual_date(day)
                if actual != day and (actual.weekday() == _SUNDAY or actual in bank_holidays(actual.year)):
                    yield day, actual
            day += timedelta(days=1)


# --- loading and validating the file ------------------------------------------------------------------------
def _fail(path: Path, where: str, problem: str) -> InvalidRoundsFile:
    return InvalidRoundsFile(f"{path.name}: {where}: {problem}")


def _date(value: Any, path: Path, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(path, where, f"must be a date like 2026-12-25, not {value!r}")


def _mapping(value: Any, path: Path, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, where, f"must be a mapping, not {value!r}")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise _fail(path, f"{where}.{unknown[0]}", f"is not a known field (known: {', '.join(sorted(allowed))})")
    missing = sorted(required - set(value))
    if missing:
        raise _fail(path, f"{where}.{missing[0]}", "is missing")
    return value


def _round(value: Any, path: Path, where: str) -> Round:
    entry = _mapping(value, path, where, {"day", "frequency", "first"}, {"day", "frequency"})
    day = entry["day"]
    if day not in ROUND_DAYS:
        raise _fail(path, f"{where}.day", f"must be one of {', '.join(ROUND_DAYS)}, not {day!r}")
    frequency = entry["frequency"]
    if frequency == "weekly":
        if "first" in entry:
            raise _fail(path, f"{where}.first", "is only for fortnightly rounds")
        return Round(day=day, frequency="weekly")
    if frequency != "fortnightly":
        raise _fail(path, f"{where}.frequency", f"must be weekly or fortnightly, not {frequency!r}")
    if "first" not in entry:
        raise _fail(path, f"{where}.first", "is missing (a fortnightly round needs a date it collected)")
    first = _date(entry["first"], path, f"{where}.first")
    if WEEKDAYS[first.weekday()] != day:
        raise _fail(path, f"{where}.first", f"{first.isoformat()} is a {first:%A}, not the round's day ({day})")
    return Round(day=day, frequency="fortnightly", first=first)


def _rule(value: Any, path: Path) -> BankHolidayRule:
    entry = _mapping(value, path, "bank_holidays", {"rule", "by_days"}, {"rule"})
    rule = entry["rule"]
    if rule == "none":
        if "by_days" in entry:
            raise _fail(path, "bank_holidays.by_days", "is only for the rule shift-rest-of-week")
        return BankHolidayRule()
    if rule != "shift-rest-of-week":
        raise _fail(path, "bank_holidays.rule", f"must be one of {', '.join(RULES)}, not {rule!r}")
    by_days = entry.get("by_days")
    if isinstance(by_days, bool) or not isinstance(by_days, int) or not 1 <= by_days <= MAX_SHIFT_DAYS:
        raise _fail(
            path, "bank_holidays.by_days", f"must be a whole number of days from 1 to {MAX_SHIFT_DAYS}, not {by_days!r}"
        )
    return BankHolidayRule(rule="shift-rest-of-week", by_days=by_days)


def _changes(value: Any, path: Path) -> dict[date, Change]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise _fail(path, "changes", f"must be a list of {{from: <date>, to: <date>}}, not {value!r}")
    out: dict[date, Change] = {}
    for index, raw in enumerate(value):
        where = f"changes[{index}]"
        entry = _mapping(raw, path, where, {"from", "to", "because"}, {"from", "to"})
        moved_from = _date(entry["from"], path, f"{where}.from")
        moved_to = _date(entry["to"], path, f"{where}.to")
        if moved_from in out:
            raise _fail(path, f"{where}.from", f"{moved_from.isoformat()} is moved twice")
        if moved_to == moved_from:
            raise _fail(path, f"{where}.to", "is the same date as from")
        if abs((moved_to - moved_from).days) > MAX_CHANGE_DAYS:
            raise _fail(path, f"{where}.to", f"is more than {MAX_CHANGE_DAYS} days from {moved_from.isoformat()}")
        if moved_to.weekday() == _SUNDAY:
            raise _fail(path, f"{where}.to", f"{moved_to.isoformat()} is a Sunday")
        because = entry.get("because", "the bank holidays")
        if not isinstance(because, str) or not because.strip():
            raise _fail(path, f"{where}.because", f"must be words, not {because!r}")
        out[moved_from] = Change(moved_from, moved_to, because.strip())
    return out


def parse(raw: Any, path: Path = ROUNDS_FILE) -> Schedule:
    """A schedule from the file's parsed YAML; `InvalidRoundsFile` names the file and the field that is wrong."""
    document = _mapping(raw, path, "(top level)", {"rounds", "bank_holidays", "changes"}, {"rounds", "bank_holidays"})
    raw_rounds = document["rounds"]
    if not isinstance(raw_rounds, dict) or not raw_rounds:
        raise _fail(path, "rounds", "must map postcode sectors (ME14 1) to rounds")
    rounds: dict[str, Round] = {}
    for sector, entry in raw_rounds.items():
        if not isinstance(sector, str) or not SECTOR.fullmatch(sector):
            raise _fail(path, f"rounds.{sector}", "is not a postcode sector like ME14 1")
        rounds[sector] = _round(entry, path, f"rounds.{sector}")
    return Schedule(
        rounds=rounds,
        bank_holidays=_rule(document["bank_holidays"], path),
        changes=_changes(document.get("changes"), path),
    )


def load(path: Path = ROUNDS_FILE) -> Schedule:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise InvalidRoundsFile(f"{path.name}: is not valid YAML: {error}") from None
    return parse(raw, path)
