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


def test_a_stopped_clock_is_never_late():
    reading = clock(date(2026, 12, 1), date(2026, 12, 16), stopped=True)
    assert reading.working_days < 0
    assert not reading.late
    assert reading.words == "clock stopped: waiting for the resident"


@given(days_in_range, st.integers(min_value=1, max_value=30))
def test_the_clock_counts_back_what_was_added(today, days):
    assert clock(add_working_days(today, days), today).working_days == days
    assert clock(today, add_working_days(today, days)).working_days == -days
