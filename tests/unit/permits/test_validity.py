"""Validity dates, refunds, moves, expiry and reminders; Hypothesis properties for month ends, leap years, the last
day of a permit and zone end dates."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permits.validity import (
    MIN_COMMON_TERM_DAYS,
    Standing,
    Term,
    cancellation_refund,
    months_started,
    move,
    pro_rata,
    reminder_dates,
    standing,
    term,
    term_end,
    whole_months,
)
from permits.zones import Cancellation, EndDate

pytestmark = pytest.mark.unit

MARCH_31 = EndDate(month=3, day=31)
FEE = Cancellation(admin_fee=1000, refund="whole-months")
days = st.dates(date(2020, 1, 1), date(2040, 12, 31))
lengths = st.sampled_from([3, 6, 12])
end_dates = st.builds(EndDate, month=st.integers(1, 12), day=st.integers(1, 28)) | st.just(MARCH_31)


@pytest.mark.parametrize(
    ("start", "months", "last"),
    [
        (date(2026, 1, 1), 12, date(2026, 12, 31)),
        (date(2024, 3, 1), 12, date(2025, 2, 28)),
        (date(2023, 3, 1), 12, date(2024, 2, 29)),  # the leap day is inside the year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),  # no 29 February in 2025: to the end of February
        (date(2024, 2, 29), 3, date(2024, 5, 28)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),  # no 31 April
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 7, 15), 6, date(2027, 1, 14)),
    ],
)
def test_the_last_day_of_a_term(start, months, last):
    assert term_end(start, months) == last
    assert term(start, months) == Term(start, last, months)


@given(days, lengths)
def test_the_day_after_a_term_is_the_same_day_n_months_on_or_the_first_of_the_next_month(start, months):
    after = term_end(start, months) + timedelta(days=1)
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if start.day <= calendar.monthrange(year, month)[1]:
        assert after == date(year, month, start.day)
    else:
        assert (after.day, after.month) == (1, month % 12 + 1)


@given(days, lengths)
def test_a_term_is_exactly_its_months_long(start, months):
    last = term_end(start, months)
    assert whole_months(start, last) == months_started(start, last) == months
    assert whole_months(start, last - timedelta(days=1)) == months - 1
    assert months_started(start, last + timedelta(days=1)) == months + 1


@given(days, days)
def test_whole_months_is_never_more_than_months_started(first, last):
    assert whole_months(first, last) <= months_started(first, last) <= whole_months(first, last) + 1


@given(days, lengths, end_dates)
def test_in_a_zone_with_an_end_date_a_permit_ends_on_it_or_runs_its_length(start, months, end):
    permit = term(start, months, end)
    natural = term_end(start, months)
    on_end_date = (permit.valid_to.month, permit.valid_to.day) == (end.month, end.day)
    assert on_end_date or permit.valid_to == natural
    assert (permit.valid_to - start).days >= MIN_COMMON_TERM_DAYS - 1
    assert permit.valid_to <= natural + timedelta(days=MIN_COMMON_TERM_DAYS - 1)  # at most a few free days
    assert 1 <= permit.months <= months
    if months == 12:
        assert on_end_date  # a year's permit always reaches the zone's date


def test_a_year_bought_in_october_runs_to_the_end_of_march_for_six_months():
    assert term(date(2025, 10, 15), 12, MARCH_31) == Term(date(2025, 10, 15), date(2026, 3, 31), 6)
    assert term(date(2026, 3, 10), 12, MARCH_31) == Term(date(2026, 3, 10), date(2027, 3, 31), 12)


def test_a_cancelled_permit_refunds_whole_unused_months_less_the_fee():
    permit = Term(date(2026, 1, 1), date(2026, 12, 31), 12)
    refund = cancellation_refund(12000, permit, date(2026, 3, 15), FEE)  # April-December unused
    assert (refund.unused_months, refund.pence) == (9, 9000 - 1000)
    assert refund.reasons[-1] == "Refund: £80.00."
    none = cancellation_refund(12000, permit, date(2026, 3, 15), Cancellation(admin_fee=0, refund="none"))
    assert none.pence == 0


def test_a_refund_never_goes_below_zero():
    permit = Term(date(2026, 1, 1), date(2026, 3, 31), 3)
    refund = cancellation_refund(500, permit, date(2026, 1, 10), FEE)
    assert refund.pence == 0
    assert refund.reasons[-1] == "No refund is due."


@given(days, lengths, st.integers(0, 400), st.integers(0, 400), st.integers(0, 50_000), st.integers(0, 5000))
def test_cancelling_later_never_refunds_more_nor_more_than_paid_less_the_fee(start, months, a, b, paid, fee):
    permit = term(start, months)
    rule = Cancellation(admin_fee=fee, refund="whole-months")
    early = cancellation_refund(paid, permit, start + timedelta(days=min(a, b) - 1), rule)
    late = cancellation_refund(paid, permit, start + timedelta(days=max(a, b) - 1), rule)
    assert 0 <= late.pence <= early.pence <= max(0, paid - fee)
    before_it_starts = cancellation_refund(paid, permit, start - timedelta(days=1), rule)
    assert before_it_starts.pence == max(0, paid - fee)


def test_moving_zone_credits_the_unused_months_and_prices_the_rest():
    old = Term(date(2026, 1, 1), date(2026, 12, 31), 12)
    moved = move(12000, old, date(2026, 4, 10), new_annual_price=24000)
    assert moved.credit == 8000  # May-December: 8 whole months
    assert moved.new_permit == Term(date(2026, 4, 10), date(2026, 12, 31), 9)  # a part month counts whole
    assert moved.new_price == 18000
    assert (moved.to_pay, moved.to_refund) == (10000, 0)


@given(days, lengths, st.integers(0, 400), st.integers(0, 50_000), st.integers(0, 50_000))
def test_a_move_pays_or_refunds_the_difference_never_both(start, months, offset, paid, annual):
    old = term(start, months)
    moved = move(paid, old, start + timedelta(days=offset), annual)
    assert moved.to_pay == 0 or moved.to_refund == 0
    assert moved.new_price - moved.credit == moved.to_pay - moved.to_refund
    assert moved.credit <= paid


def test_pro_rata_rounds_to_the_nearest_penny():
    assert pro_rata(1000, 12, 7) == 583  # 583.33
    assert pro_rata(1000, 3, 2) == 667  # 666.67


LAST = date(2026, 7, 31)
SUMMER = Term(date(2025, 8, 1), LAST, 12)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 7, 31, 22, 59, tzinfo=UTC), Standing.NOT_YET_VALID),
        (datetime(2025, 7, 31, 23, 0, tzinfo=UTC), Standing.VALID),  # midnight in London (BST)
        (datetime(2026, 7, 31, 22, 59, tzinfo=UTC), Standing.VALID),  # 23:59 on the last day
        (datetime(2026, 7, 31, 23, 0, tzinfo=UTC), Standing.IN_GRACE),  # already 1 August in London
        (datetime(2026, 8, 14, 22, 59, tzinfo=UTC), Standing.IN_GRACE),  # the 14th day of grace
        (datetime(2026, 8, 14, 23, 0, tzinfo=UTC), Standing.EXPIRED),
    ],
)
def test_a_permit_is_valid_to_the_end_of_its_last_london_day_then_in_grace(moment, expected):
    assert standing(SUMMER, moment, grace_days=14) is expected


def test_without_grace_it_expires_at_midnight_and_naive_times_are_refused():
    assert standing(SUMMER, datetime(2026, 7, 31, 23, 0, tzinfo=UTC), grace_days=0) is Standing.EXPIRED
    with pytest.raises(ValueError, match="timezone-aware"):
        standing(SUMMER, datetime(2026, 7, 1), grace_days=0)


@given(days, lengths, st.integers(0, 30))
def test_a_permit_is_valid_on_every_day_of_its_term_and_not_after_its_grace(start, months, grace):
    permit = term(start, months)
    noon = datetime.combine(permit.valid_to, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    assert standing(permit, noon, grace) is Standing.VALID
    after = noon + timedelta(days=grace + 1)
    assert standing(permit, after, grace) is Standing.EXPIRED
    if grace:
        assert standing(permit, noon + timedelta(days=grace), grace) is Standing.IN_GRACE


def test_renewal_reminders_28_and_7_days_before_the_last_day():
    assert reminder_dates(SUMMER, SUMMER.valid_from) == [(28, date(2026, 7, 3)), (7, date(2026, 7, 24))]
    short = Term(date(2026, 7, 10), LAST, 1)
    assert reminder_dates(short, short.valid_from) == [(7, date(2026, 7, 24))]  # the 28-day one had passed


@given(days, lengths)
def test_reminders_fall_before_the_last_day_and_not_before_issue(start, months):
    permit = term(start, months)
    for days_before, on in reminder_dates(permit, start):
        assert start <= on == permit.valid_to - timedelta(days=days_before)
