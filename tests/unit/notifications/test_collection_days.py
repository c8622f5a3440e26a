"""Collection days after bank holidays: the shift rule, published changes, and the rounds file's checks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from notifications import collection_days, reminders
from notifications.collection_days import BankHolidayRule, Change, InvalidRoundsFile, Round, Schedule, actual_date

pytestmark = pytest.mark.unit

SHIFT = BankHolidayRule(rule="shift-rest-of-week", by_days=1)
NO_CHANGES: dict[date, Change] = {}
CHRISTMAS_2026 = {date(2026, 12, 25): Change(date(2026, 12, 25), date(2026, 12, 28), "Christmas Day")}


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("nominal", "actual"),
    [
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
        ("2027-03-25", "2027-03-25"),  # Thursday before Good Friday: unchanged
        ("2027-03-26", "2027-03-27"),  # Good Friday's collections on Saturday
        ("2027-03-29", "2027-03-30"),  # Easter Monday's on Tuesday
        ("2027-03-30", "2027-03-31"),
        ("2027-03-31", "2027-04-01"),
        ("2027-04-01", "2027-04-02"),
        ("2027-04-02", "2027-04-03"),  # Friday's on Saturday
        ("2027-04-05", "2027-04-05"),  # the week after: back to normal
        # Early May bank holiday 2027 (Monday 3 May).
        ("2027-05-03", "2027-05-04"),
        ("2027-05-07", "2027-05-08"),
        ("2027-04-30", "2027-04-30"),  # the Friday before is another week
        # A week without holidays.
        ("2026-11-23", "2026-11-23"),
        ("2026-11-27", "2026-11-27"),
        # A week spanning New Year: Monday 28 December 2026 (Boxing Day's substitute) shifts Friday 1 January too.
        ("2027-01-01", "2027-01-02"),
    ],
)
def test_the_rule_moves_collections_from_the_bank_holiday_to_the_end_of_the_week(nominal, actual):
    assert actual_date(d(nominal), SHIFT, NO_CHANGES) == d(actual)


def test_no_rule_moves_nothing_and_a_larger_shift_moves_further():
    assert actual_date(d("2027-03-29"), BankHolidayRule(), NO_CHANGES) == d("2027-03-29")
    two = BankHolidayRule(rule="shift-rest-of-week", by_days=2)
    assert actual_date(d("2027-03-29"), two, NO_CHANGES) == d("2027-03-31")
    assert actual_date(d("2027-03-25"), two, NO_CHANGES) == d("2027-03-25")


def test_a_published_change_wins_over_the_rule():
    # Christmas Day 2026 is a Friday: the rule would say Saturday 26th; the council said Monday 28th.
    assert actual_date(d("2026-12-25"), SHIFT, NO_CHANGES) == d("2026-12-26")
    assert actual_date(d("2026-12-25"), SHIFT, CHRISTMAS_2026) == d("2026-12-28")
    assert actual_date(d("2026-12-25"), BankHolidayRule(), CHRISTMAS_2026) == d("2026-12-28")  # with rule none too
    assert actual_date(d("2026-12-24"), SHIFT, CHRISTMAS_2026) == d("2026-12-24")  # Thursday: no holiday before it


def test_a_fortnightly_round_keeps_its_fortnight_across_a_shifted_week():
    # Collects every other Monday from 15 March 2027, so on Easter Monday 29 March (on Tuesday) and 12 April.
    plan = Schedule(rounds={"ME17 1": Round("monday", "fortnightly", d("2027-03-15"))}, bank_holidays=SHIFT)
    the_round = plan.rounds["ME17 1"]
    assert plan.collections_on(the_round, d("2027-03-29")) == []  # moved away from the holiday
    assert plan.collections_on(the_round, d("2027-03-30")) == [d("2027-03-29")]
    assert plan.collections_on(the_round, d("2027-04-05")) == []  # not its week: a shift does not move the fortnight
    assert plan.collections_on(the_round, d("2027-04-06")) == []
    assert plan.collections_on(the_round, d("2027-04-12")) == [d("2027-04-12")]


def test_nominal_dates_for_a_day_include_the_ones_moved_onto_it_and_not_the_ones_moved_away():
    plan = Schedule(rounds={}, bank_holidays=SHIFT, changes=CHRISTMAS_2026)
    assert plan.nominal_dates(d("2027-03-29")) == []  # Easter Monday: Monday's moved to Tuesday
    assert plan.nominal_dates(d("2027-03-30")) == [d("2027-03-29")]  # Tuesday's moved away too
    assert plan.nominal_dates(d("2027-04-03")) == [d("2027-04-02")]  # Saturday
    assert plan.nominal_dates(d("2026-11-24")) == [d("2026-11-24")]
    assert plan.nominal_dates(d("2026-12-26")) == []  # the change overrides the rule's Saturday
    assert plan.nominal_dates(d("2026-12-28")) == [d("2026-12-25")]  # Monday 28th is Friday's, its own moved on


def test_the_reminder_says_why_the_day_moved():
    plan = Schedule(rounds={}, bank_holidays=SHIFT, changes=CHRISTMAS_2026)
    assert plan.moved_because(d("2026-11-23")) == ""
    assert plan.moved_because(d("2027-03-31")) == (
        "This is a day later than usual because of the bank holiday on Monday 29 March."
    )
    assert plan.moved_because(d("2026-12-25")) == "This is instead of Friday 25 December, because of Christmas Day."


def test_the_councils_file_loads_and_plans_every_clash_it_covers():
    plan = collection_days.load()
    assert plan.rounds == reminders.rounds()
    assert plan.bank_holidays == SHIFT
    assert plan.actual_date(d("2026-12-25")) == d("2026-12-28")
    # No collection this Christmas is moved by the rule onto a bank holiday or a Sunday without a published change.
    assert list(plan.unplanned_clashes(d("2026-11-01"), d("2027-01-31"))) == []
    without_changes = Schedule(rounds=plan.rounds, bank_holidays=plan.bank_holidays)
    clashes = list(without_changes.unplanned_clashes(d("2026-12-01"), d("2027-01-31")))
    assert (d("2026-12-31"), d("2027-01-01")) in clashes  # Thursday's, by the rule on New Year's Day


# --- the file's checks ----------------------------------------------------------------------------------------
GOOD = {
    "rounds": {"ME14 1": {"day": "tuesday", "frequency": "weekly"}},
    "bank_holidays": {"rule": "shift-rest-of-week", "by_days": 1},
    "changes": [{"from": d("2026-12-25"), "to": d("2026-12-28")}],
}


def with_(path: str, value: object) -> dict:
    """GOOD with one field set (`a.b.c`; a list index as a number) or removed (value `...`)."""
    raw = yaml.safe_load(yaml.safe_dump(GOOD))
    *parents, last = path.split(".")
    node = raw
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return raw


def test_a_good_file_parses():
    plan = collection_days.parse(GOOD, Path("collection_rounds.yaml"))
    assert plan.rounds["ME14 1"] == Round("tuesday", "weekly")
    assert plan.changes[d("2026-12-25")].because == "the bank holidays"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("rounds", ..., r"collection_rounds\.yaml: \(top level\)\.rounds: is missing"),
        ("bank_holidays", ..., r"collection_rounds\.yaml: \(top level\)\.bank_holidays: is missing"),
        ("colour", "green", r"\(top level\)\.colour: is not a known field"),
        ("rounds", {}, r"collection_rounds\.yaml: rounds: must map postcode sectors"),
        ("rounds.ME14", {"day": "monday", "frequency": "weekly"}, r"rounds\.ME14: is not a postcode sector"),
        ("rounds.ME14 1.day", "sunday", r"rounds\.ME14 1\.day: must be one of monday, .*saturday, not 'sunday'"),
        ("rounds.ME14 1.frequency", "monthly", r"rounds\.ME14 1\.frequency: must be weekly or fortnightly"),
        ("rounds.ME14 1.frequency", "fortnightly", r"rounds\.ME14 1\.first: is missing"),
        ("rounds.ME14 1.first", d("2026-01-06"), r"rounds\.ME14 1\.first: is only for fortnightly rounds"),
        ("rounds.ME14 1.colour", "blue", r"rounds\.ME14 1\.colour: is not a known field"),
        ("bank_holidays.rule", "shift", r"bank_holidays\.rule: must be one of shift-rest-of-week, none, not 'shift'"),
        ("bank_holidays.by_days", 0, r"bank_holidays\.by_days: must be a whole number of days from 1 to 6, not 0"),
        ("bank_holidays.by_days", "one", r"bank_holidays\.by_days: must be a whole number"),
        ("bank_holidays.by_days", True, r"bank_holidays\.by_days: must be a whole number"),
        ("bank_holidays.by_days", ..., r"bank_holidays\.by_days: must be a whole number of days from 1 to 6, not None"),
        ("bank_holidays", {"rule": "none", "by_days": 1}, r"bank_holidays\.by_days: is only for the rule"),
        ("bank_holidays", "none", r"bank_holidays: must be a mapping"),
        ("changes", {"from": "2026-12-25"}, r"changes: must be a list"),
        ("changes.0.from", "25/12/2026", r"changes\[0\]\.from: must be a date like 2026-12-25, not '25/12/2026'"),
        ("changes.0.to", ..., r"changes\[0\]\.to: is missing"),
        ("changes.0.to", d("2026-12-25"), r"changes\[0\]\.to: is the same date as from"),
        ("changes.0.to", d("2027-12-28"), r"changes\[0\]\.to: is more than 14 days from 2026-12-25"),
        ("changes.0.to", d("2026-12-27"), r"changes\[0\]\.to: 2026-12-27 is a Sunday"),
        ("changes.0.because", "", r"changes\[0\]\.because: must be words"),
    ],
)
def test_a_mistake_in_the_file_is_refused_naming_the_file_and_the_field(path, value, message):
    with pytest.raises(InvalidRoundsFile, match=message):
        collection_days.parse(with_(path, value), Path("collection_rounds.yaml"))


def test_a_fortnightly_rounds_first_date_must_be_on_its_day_and_a_date_is_moved_once():
    raw = with_("rounds.ME14 1", {"day": "tuesday", "frequency": "fortnightly", "first": "2026-01-07"})
    with pytest.raises(InvalidRoundsFile, match=r"rounds\.ME14 1\.first: 2026-01-07 is a Wednesday, not .*tuesday"):
        collection_days.parse(raw, Path("collection_rounds.yaml"))
    raw = with_("changes", [{"from": "2026-12-25", "to": "2026-12-28"}, {"from": "2026-12-25", "to": "2026-12-29"}])
    with pytest.raises(InvalidRoundsFile, match=r"changes\[1\]\.from: 2026-12-25 is moved twice"):
        collection_days.parse(raw, Path("collection_rounds.yaml"))


def test_loading_a_broken_file_names_it(tmp_path):
    broken = tmp_path / "collection_rounds.yaml"
    broken.write_text("rounds: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidRoundsFile, match=r"collection_rounds\.yaml: is not valid YAML"):
        collection_days.load(broken)
    broken.write_text("ME14 1: {day: tuesday, frequency: weekly}\n", encoding="utf-8")  # the old, flat format
    with pytest.raises(InvalidRoundsFile, match=r"collection_rounds\.yaml: \(top level\)\.ME14 1: is not a known"):
        collection_days.load(broken)


def test_every_nominal_date_in_two_years_lands_within_a_week_and_is_found_again():
    """The daily job looks at most a week back: every collection it must remind is found from its actual date."""
    plan = collection_days.load()
    day = d("2026-01-01")
    while day < d("2028-01-01"):
        actual = plan.actual_date(day)
        assert day in plan.nominal_dates(actual)
        assert abs((actual - day).days) <= 14
        day += timedelta(days=1)
