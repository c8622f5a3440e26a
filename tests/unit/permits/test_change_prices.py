"""The price difference of a change of vehicle (`permits.change_prices`): examples, then Hypothesis properties over
month ends, leap years, zone end dates and every day of a permit's term."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permits.change_prices import months_left, vehicle_change_price
from permits.validity import pro_rata, term, whole_months
from permits.zones import EndDate

pytestmark = pytest.mark.unit

days = st.dates(date(2020, 1, 1), date(2040, 12, 31))
month_ends = st.builds(
    lambda year, month: (date(year, month % 12 + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1),
    st.integers(2020, 2040),
    st.integers(1, 12),
)  # the last day of a month, 29 February in leap years
starts = days | month_ends | st.sampled_from([date(2024, 2, 29), date(2028, 2, 29), date(2023, 3, 1)])
lengths = st.sampled_from([3, 6, 12])
end_dates = st.none() | st.builds(EndDate, month=st.integers(1, 12), day=st.integers(1, 28))
prices = st.integers(0, 100_000)


@pytest.mark.parametrize(
    ("changed_on", "left"),
    [
        (date(2026, 6, 1), 12),  # the first day: the whole term
        (date(2026, 5, 20), 12),  # before the permit starts: the whole term
        (date(2026, 6, 2), 12),  # June counted as a whole month
        (date(2026, 9, 15), 9),
        (date(2027, 5, 1), 1),
        (date(2027, 5, 31), 1),  # the last day: the month it falls in
    ],
)
def test_the_months_left(changed_on, left):
    assert months_left(date(2026, 6, 1), date(2027, 5, 31), 12, changed_on) == left


def test_a_change_after_the_last_day_is_refused():
    with pytest.raises(ValueError, match="past its last day"):
        months_left(date(2026, 6, 1), date(2027, 5, 31), 12, date(2027, 6, 1))


def test_a_difference_with_its_reasons():
    priced = vehicle_change_price(
        valid_from=date(2026, 6, 1), valid_to=date(2027, 5, 31), term_months=12, current_price=8000,
        new_price=10000, changed_on=date(2026, 9, 15),
    )  # fmt: skip
    assert (priced.months_left, priced.current_left, priced.new_left, priced.difference) == (9, 6000, 7500, 1500)
    assert (priced.to_pay, priced.to_refund) == (1500, 0)
    assert priced.reasons == (
        "Your permit runs to 31 May 2027: 9 of its 12 months are left, counting this month as a whole one.",
        "For its 12 months the permit costs £100.00 for the new vehicle and £80.00 for the current one.",
        "For the 9 months left that is £75.00 against £60.00.",
        "To pay: £15.00.",
    )


@given(starts, lengths, end_dates, st.integers(-40, 400), prices, prices)
def test_the_difference_for_any_day_of_any_term(start, months, end, offset, current, new):
    permit = term(start, months, end)
    changed_on = permit.valid_from + timedelta(days=offset)
    if changed_on > permit.valid_to:
        with pytest.raises(ValueError, match="past its last day"):
            vehicle_change_price(valid_from=permit.valid_from, valid_to=permit.valid_to, term_months=permit.months,
                                 current_price=current, new_price=new, changed_on=changed_on)  # fmt: skip
        return
    priced = vehicle_change_price(
        valid_from=permit.valid_from, valid_to=permit.valid_to, term_months=permit.months, current_price=current,
        new_price=new, changed_on=changed_on,
    )  # fmt: skip
    assert 1 <= priced.months_left <= permit.months
    # the months left count the change's month as whole: never fewer than the whole months after it
    assert priced.months_left >= min(whole_months(changed_on, permit.valid_to), permit.months)
    assert priced.new_left == pro_rata(new, permit.months, priced.months_left)
    assert priced.difference == priced.new_left - priced.current_left
    # the sign follows the prices (pro rata is monotonic), and a difference to pay is never a refund
    assert priced.difference >= 0 if new >= current else priced.difference <= 0
    assert abs(priced.difference) <= abs(new - current) + 1  # each side rounded to the penny once
    assert priced.to_pay * priced.to_refund == 0
    if changed_on <= permit.valid_from:
        assert priced.months_left == permit.months
        assert priced.difference == new - current
    if new == current:
        assert priced.difference == 0
        assert priced.reasons[-1] == "Nothing to pay or refund."


@given(starts, lengths, end_dates, st.integers(0, 400))
def test_the_months_left_never_grow_as_the_days_pass(start, months, end, offset):
    permit = term(start, months, end)
    today = min(permit.valid_from + timedelta(days=offset), permit.valid_to)
    later = min(today + timedelta(days=1), permit.valid_to)
    here = months_left(permit.valid_from, permit.valid_to, permit.months, today)
    assert months_left(permit.valid_from, permit.valid_to, permit.months, later) <= here
    # on the last day of the permit one month (the one it falls in) is left
    assert months_left(permit.valid_from, permit.valid_to, permit.months, permit.valid_to) == 1
