"""The permits' scheduled steps (`permits.schedule`): on which London day each falls (month ends, leap years, the
clock changes), which one a late run does, and (Hypothesis) that runs on any days, twice or with gaps up to the
catch-up window, do each step at most once, never early, and always do the last one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permits.schedule import (
    CANCEL_AFTER_DAYS,
    CATCH_UP_DAYS,
    Action,
    Step,
    application_first_due,
    application_steps,
    days_to_look_at,
    due_step,
    first_due,
    london_day,
    made_on,
    permit_first_due,
    permit_steps,
)

pytestmark = pytest.mark.unit

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2040, 12, 31))


@pytest.mark.parametrize(
    ("made", "warn", "cancel"),
    [
        (date(2026, 1, 31), date(2026, 2, 25), date(2026, 3, 2)),  # across a short month
        (date(2028, 2, 1), date(2028, 2, 26), date(2028, 3, 2)),  # a leap February: 29 days
        (date(2027, 2, 1), date(2027, 2, 26), date(2027, 3, 3)),  # and a common one
        (date(2026, 12, 10), date(2027, 1, 4), date(2027, 1, 9)),  # across the year's end
    ],
)
def test_an_unpaid_application_is_warned_on_day_25_and_cancelled_on_day_30(made, warn, cancel):
    assert application_steps(made) == (Step(Action.WARN, warn), Step(Action.CANCEL, cancel))


@pytest.mark.parametrize(
    ("created_at", "made"),
    [
        ("2026-03-28T23:30:00+00:00", date(2026, 3, 28)),  # GMT: still the 28th in London
        ("2026-03-29T23:30:00+00:00", date(2026, 3, 30)),  # BST since 01:00 UTC: 00:30 on the 30th
        ("2026-10-24T23:30:00+00:00", date(2026, 10, 25)),  # BST until the 25th: 00:30 on the 25th
        ("2026-10-25T23:30:00+00:00", date(2026, 10, 25)),  # GMT again
        ("2026-06-30T23:30:00+00:00", date(2026, 7, 1)),  # a summer night: the next month in London
    ],
)
def test_the_day_an_application_was_made_is_the_london_one(created_at, made):
    assert made_on(created_at) == made
    assert application_first_due(created_at) == (made + timedelta(days=25)).isoformat()


def test_times_must_be_aware():
    with pytest.raises(ValueError, match="aware"):
        london_day(datetime(2026, 1, 1, 12))


@pytest.mark.parametrize(
    ("valid_to", "first", "second", "expires"),
    [
        (date(2028, 3, 28), date(2028, 2, 29), date(2028, 3, 21), date(2028, 3, 29)),  # 28 days before: 29 Feb
        (date(2027, 3, 28), date(2027, 2, 28), date(2027, 3, 21), date(2027, 3, 29)),
        (date(2027, 3, 31), date(2027, 3, 3), date(2027, 3, 24), date(2027, 4, 1)),  # expires in the next month
        (date(2026, 12, 31), date(2026, 12, 3), date(2026, 12, 24), date(2027, 1, 1)),  # and the next year
    ],
)
def test_a_permit_is_reminded_28_and_7_days_before_its_last_day_and_expires_the_day_after(
    valid_to, first, second, expires
):
    assert permit_steps(valid_to) == (
        Step(Action.REMIND, first, 28),
        Step(Action.REMIND, second, 7),
        Step(Action.EXPIRE, expires),
    )


def test_a_permit_issued_after_a_reminder_day_starts_at_the_next_step():
    valid_to = date(2027, 5, 31)
    assert permit_first_due(valid_to, date(2026, 6, 1)) == "2027-05-03"
    assert permit_first_due(valid_to, date(2027, 5, 3)) == "2027-05-03"  # on the day: still to come
    assert permit_first_due(valid_to, date(2027, 5, 4)) == "2027-05-24"
    assert permit_first_due(valid_to, date(2027, 5, 30)) == "2027-06-01"
    assert permit_first_due(valid_to, date(2027, 6, 2)) is None


def test_a_late_run_does_only_the_latest_step_due():
    steps = permit_steps(date(2027, 5, 31))
    assert due_step(steps, date(2027, 5, 3), date(2027, 5, 3)) == (steps[0], date(2027, 5, 24))
    assert due_step(steps, date(2027, 5, 3), date(2027, 5, 6)) == (steps[0], date(2027, 5, 24))  # late, still sent
    assert due_step(steps, date(2027, 5, 24), date(2027, 6, 2)) == (steps[2], None)  # no reminder after the end
    made = application_steps(date(2026, 6, 1))
    assert due_step(made, date(2026, 6, 26), date(2026, 7, 2)) == (made[1], None)  # cancelled, not warned first
    assert due_step(made, date(2026, 6, 20), date(2026, 6, 21)) == (None, date(2026, 6, 26))  # nothing on that day
    with pytest.raises(ValueError, match="not due"):
        due_step(made, date(2026, 6, 26), date(2026, 6, 25))


def test_a_run_looks_back_over_the_catch_up_window_oldest_first():
    looked = days_to_look_at(date(2026, 3, 2))
    assert looked[-1] == date(2026, 3, 2)
    assert looked[0] == date(2026, 3, 2) - timedelta(days=CATCH_UP_DAYS)
    assert looked == sorted(looked)
    assert len(looked) == CATCH_UP_DAYS + 1


def simulate(steps: tuple[Step, ...], first: date | None, runs: list[date]) -> list[tuple[Step, date]]:
    """What the job does to one item over `runs` (each run Queries its window, as PermitSchedule.run does)."""
    done: list[tuple[Step, date]] = []
    due_on = first
    for today in runs:
        for day in days_to_look_at(today):
            if due_on == day:
                step, due_on = due_step(steps, day, today)
                if step is not None:
                    done.append((step, today))
    return done


@given(days, st.integers(0, 60))
def test_daily_runs_do_each_step_on_its_day_once(made, extra):
    steps = application_steps(made)
    runs = [made + timedelta(days=n) for n in range(CANCEL_AFTER_DAYS + 1 + extra)]
    runs = sorted(runs + runs)  # every day twice: EventBridge's retry, or a rerun by hand
    assert simulate(steps, date.fromisoformat(application_first_due(f"{made}T12:00:00+00:00")), runs) == [
        (step, step.on) for step in steps
    ]


@given(days, st.sampled_from([3, 6, 12]), st.lists(st.integers(1, CATCH_UP_DAYS + 1), min_size=1, max_size=200))
def test_runs_with_gaps_within_the_window_never_repeat_a_step_nor_skip_the_end(start, months, gaps):
    valid_to = start + timedelta(days=30 * months)
    steps = permit_steps(valid_to)
    first = permit_first_due(valid_to, start)
    assert first is not None
    runs, day = [], start
    for gap in gaps:
        day += timedelta(days=gap)
        runs.append(day)
    while day <= valid_to + timedelta(days=1):
        day += timedelta(days=CATCH_UP_DAYS + 1)  # the slowest runs allowed, to the end
        runs.append(day)
    done = simulate(steps, date.fromisoformat(first), runs)
    actions = [step for step, _ in done]
    assert len(actions) == len(set(actions))  # no step twice
    assert actions[-1].action is Action.EXPIRE  # however late, the permit ends
    for step, ran in done:
        assert step.on <= ran <= step.on + timedelta(days=CATCH_UP_DAYS)  # never early, at most a window late
        later = [s for s in steps if s.on > step.on]
        assert not later or ran < later[0].on  # a reminder is not sent once the next step has come


@given(days)
def test_a_step_is_never_due_before_the_day_it_is_for(valid_to):
    steps = permit_steps(valid_to)
    assert [s.on for s in steps] == sorted(s.on for s in steps)
    for issued in (valid_to - timedelta(days=400), valid_to - timedelta(days=10), valid_to):
        due = first_due(steps, issued)
        assert due is not None
        assert due >= issued


def test_aware_moments_in_utc_give_london_days():
    assert london_day(datetime(2026, 7, 1, 23, 30, tzinfo=UTC)) == date(2026, 7, 2)
    assert london_day(datetime(2026, 1, 1, 23, 30, tzinfo=UTC)) == date(2026, 1, 1)
