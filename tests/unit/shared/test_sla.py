from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.calendar import add_working_days, is_working_day
from shared.sla import clock, due_after_wait, uk_date, working_days_between

pytestmark = pytest.mark.unit

days_in_range = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_working_days_between_skips_weekends_and_bank_holidays():
    # Thursday 24 December 2026 to Tuesday 29 December: Christmas (Fri) and Boxing Day's substitute (Mon 28) are off.
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 29)) == 1
    assert working_days_between(date(2026, 12, 7), date(2026, 12, 11)) == 4  # Monday to Friday
    assert working_days_between(date(2026, 12, 11), date(2026, 12, 11)) == 0
    assert working_days_between(date(2026, 12, 11), date(2026, 12, 7)) == 0


@given(days_in_range, st.integers(min_value=1, max_value=60))
def test_working_days_between_is_the_inverse_of_adding_them(start, days):
    assert working_days_between(start, add_working_days(start, days)) == days


@given(days_in_range, st.integers(min_value=0, max_value=3000))
def test_working_days_between_counts_what_a_walk_day_by_day_counts(start, span):
    end = start + timedelta(days=span)
    walked = sum(1 for i in range(1, span + 1) if is_working_day(start + timedelta(days=i)))
    assert working_days_between(start, end) == walked


def test_a_wait_moves_the_due_date_by_the_working_days_waited():
    due = date(2026, 12, 16)  # Wednesday
    # Waiting from Monday 7 to Wednesday 9 December: two working days.
    assert due_after_wait(due, at(date(2026, 12, 7)), at(date(2026, 12, 9))) == date(2026, 12, 18)
    # Over Christmas: Thursday 24 to Tuesday 29 is one working day (the 29th).
    assert due_after_wait(date(2027, 1, 4), at(date(2026, 12, 24)), at(date(2026, 12, 29))) == date(2027, 1, 5)


def test_a_wait_within_one_day_or_over_a_weekend_stops_nothing():
    due = date(2026, 12, 16)
    assert due_after_wait(due, at(date(2026, 12, 7), 9), at(date(2026, 12, 7), 16)) == due
    assert due_after_wait(due, at(date(2026, 12, 4), 17), at(date(2026, 12, 6), 9)) == due  # Friday evening to Sunday


def test_the_wait_is_counted_in_london_dates():
    # 23:30 UTC on 7 July is already 8 July in London (BST): waited from the 8th, not the 7th.
    waiting_since = datetime(2026, 7, 7, 23, 30, tzinfo=UTC)
    assert uk_date(waiting_since) == date(2026, 7, 8)
    assert due_after_wait(date(2026, 7, 20), waiting_since, at(date(2026, 7, 9))) == date(2026, 7, 21)
    with pytest.raises(ValueError, match="timezone-aware"):
        uk_date(datetime(2026, 7, 7))


@pytest.mark.parametrize(
    ("today", "words", "late"),
    [
        (date(2026, 12, 14), "due in 2 working days", False),  # Monday, due Wednesday
        (date(2026, 12, 15), "due in 1 working day", False),
        (date(2026, 12, 16), "due today", False),
        (date(2026, 12, 17), "1 working day late", True),
        (date(2026, 12, 21), "3 working days late", True),  # the weekend does not count
        (date(2026, 12, 12), "due in 3 working days", False),  # a Saturday: Monday, Tuesday, then Wednesday
    ],
)
def test_the_clock_in_words(today, words, late):
    reading = clock(date(2026, 12, 16), today)
    assert reading.words == words
    assert reading.late is late


@pytest.mark.parametrize(
    ("today", "words", "late"),
    [
        (date(2026, 12, 18), "due today", False),  # the Friday it is due
        (date(2026, 12, 19), "late: was due Friday 18 December", True),  # Saturday: no working day since, yet late
        (date(2026, 12, 20), "late: was due Friday 18 December", True),
        (date(2026, 12, 21), "1 working day late", True),  # Monday
        (date(2026, 12, 25), "4 working days late", True),  # Christmas Day: Mon to Thu counted
    ],
)
def test_a_due_date_passed_over_a_weekend_or_bank_holiday_is_late(today, words, late):
    reading = clock(date(2026, 12, 18), today)
    assert reading.words == words
    assert reading.late is late


def test_a_stopped_clock_is_never_late_and_shows_no_date():
    reading = clock(date(2026, 12, 1), date(2026, 12, 16), stopped=True, waiting_since=at(date(2026, 12, 7)))
    assert reading.working_days == -4  # late by Wed 2nd to Mon 7th when it stopped
    assert not reading.late
    assert not reading.shows_date
    assert reading.words == "clock stopped: waiting for the resident, 4 working days late when it stopped"
    unknown = clock(date(2026, 12, 1), date(2026, 12, 16), stopped=True)  # no start recorded
    assert (unknown.words, unknown.late, unknown.shows_date) == (
        "clock stopped: waiting for the resident",
        False,
        False,
    )


@pytest.mark.parametrize(
    ("since", "words"),
    [
        (datetime(2026, 12, 7, 10, tzinfo=UTC), "clock stopped: waiting for the resident, 7 working days left"),
        (datetime(2026, 12, 15, 10, tzinfo=UTC), "clock stopped: waiting for the resident, 1 working day left"),
        (datetime(2026, 12, 16, 9, tzinfo=UTC), "clock stopped: waiting for the resident, stopped on its due date"),
        (
            datetime(2026, 12, 17, 9, tzinfo=UTC),
            "clock stopped: waiting for the resident, 1 working day late when it stopped",
        ),
    ],
)
def test_a_stopped_clock_says_what_was_left_on_the_uk_date_it_stopped(since, words):
    due = date(2026, 12, 16)  # Wednesday
    for today in (date(2026, 12, 21), date(2027, 1, 20)):  # however long it has waited since
        assert clock(due, today, stopped=True, waiting_since=since).words == words


def test_a_clock_stopped_after_its_due_date_with_no_working_day_since_was_late():
    # due Friday 18th, stopped on Saturday 19th; 23:30 UTC on 28 June is Monday 29th in London
    saturday = clock(date(2026, 12, 18), date(2027, 1, 4), stopped=True, waiting_since=at(date(2026, 12, 19)))
    assert saturday.words == "clock stopped: waiting for the resident, late when it stopped"
    summer = clock(
        date(2026, 6, 30), date(2026, 7, 6), stopped=True, waiting_since=datetime(2026, 6, 28, 23, 30, tzinfo=UTC)
    )
    assert summer.words == "clock stopped: waiting for the resident, 1 working day left"


@given(days_in_range, st.integers(min_value=-20, max_value=40), st.integers(min_value=0, max_value=30))
def test_what_a_stopped_clock_has_left_is_what_the_request_has_when_the_wait_ends(began, left, waited):
    """The days a stopped clock shows are the ones the request has when it moves on (due_after_wait), the wait
    having started and ended on working days."""
    while not is_working_day(began):
        began += timedelta(days=1)
    due = add_working_days(began, left) if left >= 0 else _working_days_before(began, -left)
    resumed = add_working_days(began, waited)
    stopped = clock(due, resumed, stopped=True, waiting_since=at(began))
    moved = due_after_wait(due, at(began), at(resumed))
    assert clock(moved, resumed).working_days == stopped.working_days == left


def _working_days_before(day: date, count: int) -> date:
    while count:
        day -= timedelta(days=1)
        count -= is_working_day(day)
    return day


@given(days_in_range, st.integers(min_value=1, max_value=30))
def test_the_clock_counts_back_what_was_added(today, days):
    assert clock(add_working_days(today, days), today).working_days == days
    assert clock(today, add_working_days(today, days)).working_days == -days
