from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.calendar import add_working_days, bank_holidays, due_date, is_working_day

pytestmark = pytest.mark.unit

ENGLAND_2026 = {
    date(2026, 1, 1),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 5, 4),
    date(2026, 5, 25),
    date(2026, 8, 31),
    date(2026, 12, 25),
    date(2026, 12, 28),
}

days_in_range = st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))


def test_bank_holidays_2026_england_and_wales():
    holidays = bank_holidays(2026)
    assert set(holidays) == ENGLAND_2026
    assert holidays[date(2026, 4, 3)] == "Good Friday"
    assert list(holidays) == sorted(holidays)


def test_weekend_date_of_a_substituted_holiday_is_left_out():
    # Boxing Day 2026 is a Saturday; the bank holiday is Monday 28 December.
    assert date(2026, 12, 26) not in bank_holidays(2026)
    assert "Boxing Day" in bank_holidays(2026)[date(2026, 12, 28)]


def test_one_off_bank_holidays_come_from_the_library():
    assert date(2022, 9, 19) in bank_holidays(2022)  # state funeral of Queen Elizabeth II
    assert date(2023, 5, 8) in bank_holidays(2023)  # coronation of King Charles III


def test_scottish_holidays_are_not_included():
    assert date(2026, 1, 2) not in bank_holidays(2026)  # 2 January is a holiday in Scotland only
    assert date(2026, 11, 30) not in bank_holidays(2026)  # St Andrew's Day
    assert is_working_day(date(2026, 1, 2))


def test_bank_holidays_returns_a_copy():
    bank_holidays(2026).clear()
    assert len(bank_holidays(2026)) == 8


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 4, 2), True),  # Thursday before Easter
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 4), False),  # Saturday
        (date(2026, 4, 5), False),  # Sunday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 4, 7), True),
        (date(2026, 12, 28), False),  # Boxing Day substitute
        (date(2026, 12, 29), True),
    ],
)
def test_is_working_day(day, expected):
    assert is_working_day(day) is expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 4, 1), 1, date(2026, 4, 2)),  # Wednesday + 1 = Thursday
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # over Easter
        (date(2026, 4, 2), 5, date(2026, 4, 13)),
        (date(2026, 4, 3), 0, date(2026, 4, 7)),  # zero days from a holiday: next working day
        (date(2026, 4, 7), 0, date(2026, 4, 7)),  # zero days from a working day: that day
        (date(2026, 4, 4), 1, date(2026, 4, 7)),  # from a Saturday
        (date(2026, 12, 23), 2, date(2026, 12, 29)),  # over Christmas and the substitute day
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # into the new year: 1 Jan 2027 is a Friday
        (date(2026, 1, 2), 20, date(2026, 1, 30)),  # a typical SLA: four whole weeks
    ],
)
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected


def test_add_working_days_rejects_negative():
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(date(2026, 4, 1), -1)


@given(days_in_range, st.integers(min_value=0, max_value=60))
def test_add_working_days_lands_on_a_working_day(start, days):
    result = add_working_days(start, days)
    assert is_working_day(result)
    assert result >= start
    if days > 0:
        assert result > start
        working_between = sum(is_working_day(start + timedelta(days=i)) for i in range(1, (result - start).days + 1))
        assert working_between == days


@given(days_in_range, st.integers(min_value=1, max_value=40))
def test_add_working_days_is_strictly_increasing_in_days(start, days):
    assert add_working_days(start, days) < add_working_days(start, days + 1)


@given(days_in_range)
def test_zero_days_is_never_later_than_one(start):
    # From a working day, 0 gives that day; from a weekend or holiday, 0 and 1 give the same day.
    zero, one = add_working_days(start, 0), add_working_days(start, 1)
    assert zero <= one
    assert (zero == one) is (not is_working_day(start))


@given(days_in_range, st.integers(min_value=0, max_value=40))
def test_add_working_days_is_monotonic_in_start(start, days):
    assert add_working_days(start, days) <= add_working_days(start + timedelta(days=1), days)


@pytest.mark.parametrize(
    ("submitted_at", "sla", "expected"),
    [
        # 23:30 UTC on Thursday 2 July 2026 is 00:30 BST on Friday 3 July in London.
        (datetime(2026, 7, 2, 23, 30, tzinfo=UTC), 1, date(2026, 7, 6)),
        (datetime(2026, 7, 2, 22, 30, tzinfo=UTC), 1, date(2026, 7, 3)),
        # In winter London is on UTC.
        (datetime(2026, 1, 15, 23, 30, tzinfo=UTC), 1, date(2026, 1, 16)),
        # Another offset: 01:00 in UTC+2 on Friday 3 April is 23:00 Thursday in London.
        (datetime(2026, 4, 3, 1, 0, tzinfo=timezone(timedelta(hours=2))), 1, date(2026, 4, 7)),
        # Submitted on Good Friday with a 10 working day SLA.
        (datetime(2026, 4, 3, 12, 0, tzinfo=UTC), 10, date(2026, 4, 20)),
        (datetime(2026, 4, 3, 12, 0, tzinfo=UTC), 0, date(2026, 4, 7)),
    ],
)
def test_due_date_counts_from_the_london_date(submitted_at, sla, expected):
    assert due_date(submitted_at, sla) == expected


def test_due_date_needs_an_aware_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        due_date(datetime(2026, 4, 1, 12, 0), 5)
