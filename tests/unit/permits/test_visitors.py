"""The visitor wallet: minutes counted only inside controlled hours (clock changes, bank holidays), day sessions
cancellable until midnight before, the balance; Hypothesis properties against a minute-by-minute count."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from permits.visitors import (
    NoAllowanceLeft,
    NotCancellable,
    OutsideControlledHours,
    VisitorError,
    Wallet,
    controlled_minutes,
)
from permits.zones import ControlledPeriod, Weekday, Zone, load_zones
from shared.calendar import LONDON, bank_holidays

pytestmark = pytest.mark.unit

ZONES = load_zones()
TOWN = ZONES.zone("A")  # hours: Monday-Saturday 08:00-18:30, 120 hours a year
HOPFIELD = ZONES.zone("B")  # days: Monday-Friday 09:00-17:00, 50 a year


def london(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def night_zone(start: time, end: time, zone: Zone = TOWN) -> Zone:
    every_day = tuple(Weekday)
    return zone.model_copy(update={"controlled_hours": (ControlledPeriod(days=every_day, start=start, end=end),)})


def test_only_minutes_inside_controlled_hours_count():
    # Friday 5 June 2026 17:00 to Saturday 09:30: 90 minutes on Friday, 90 on Saturday
    assert controlled_minutes(TOWN, london(2026, 6, 5, 17, 0), london(2026, 6, 6, 9, 30)) == 180
    assert controlled_minutes(TOWN, london(2026, 6, 7, 8, 0), london(2026, 6, 7, 20, 0)) == 0  # a Sunday
    assert controlled_minutes(TOWN, london(2026, 5, 25, 8, 0), london(2026, 5, 25, 20, 0)) == 0  # bank holiday
    station = ZONES.zone("D")  # controls bank holidays too
    assert controlled_minutes(station, london(2026, 5, 25, 8, 0), london(2026, 5, 25, 20, 0)) == 12 * 60


def test_the_autumn_night_has_an_extra_hour_and_the_spring_one_loses_one():
    nights = night_zone(time(0, 0), time(6, 0))
    autumn = controlled_minutes(nights, london(2025, 10, 25, 22, 0), london(2025, 10, 26, 8, 0))
    spring = controlled_minutes(nights, london(2025, 3, 29, 22, 0), london(2025, 3, 30, 8, 0))
    ordinary = controlled_minutes(nights, london(2025, 6, 14, 22, 0), london(2025, 6, 15, 8, 0))
    assert (autumn, spring, ordinary) == (7 * 60, 5 * 60, 6 * 60)


def test_overlapping_periods_are_counted_once():
    weekdays = tuple(Weekday)[:6]
    early = ControlledPeriod(days=weekdays, start=time(7, 0), end=time(8, 30))  # overlaps 08:00-18:30 by half an hour
    zone = TOWN.model_copy(update={"controlled_hours": (*TOWN.controlled_hours, early)})
    assert controlled_minutes(zone, london(2026, 6, 5, 0, 0), london(2026, 6, 6, 0, 0)) == 11 * 60 + 30


def test_times_in_any_zone_are_the_same_instants():
    start = datetime(2026, 6, 5, 16, 0, tzinfo=UTC)  # 17:00 in London
    assert controlled_minutes(TOWN, start, start + timedelta(hours=2)) == 90


def _oracle(zone: Zone, start: datetime, end: datetime) -> int:
    """Minute by minute: is this minute's London wall-clock time inside a period on a controlled day?"""
    count, minute = 0, start
    while minute < end:
        local = minute.astimezone(LONDON)
        day = local.date()
        free = not zone.bank_holidays_controlled and day in bank_holidays(day.year)
        clock = local.time().replace(tzinfo=None)
        inside = any(
            p.start <= clock < p.end and any(d.weekday == day.weekday() for d in p.days) for p in zone.controlled_hours
        )
        count += inside and not free
        minute += timedelta(minutes=1)
    return count


# Period edges on quarter hours, none strictly inside the hour a clock change repeats or skips (01:00-02:00), where a
# wall-clock time names two instants or none.
EDGES = [time(h, m) for h in range(24) for m in (0, 15, 30, 45) if not (h == 1 and m)]
CHANGES = [
    datetime(2025, 3, 29, 20, tzinfo=UTC),
    datetime(2025, 10, 25, 20, tzinfo=UTC),
    datetime(2026, 5, 23, tzinfo=UTC),
]


@st.composite
def sessions(draw: st.DrawFn) -> tuple[Zone, datetime, datetime]:
    a, b = sorted(draw(st.lists(st.sampled_from(EDGES), min_size=2, max_size=2, unique=True)))
    days = tuple(draw(st.sets(st.sampled_from(list(Weekday)), min_size=1)))
    zone = TOWN.model_copy(
        update={
            "controlled_hours": (ControlledPeriod(days=days, start=a, end=b), *TOWN.controlled_hours),
            "bank_holidays_controlled": draw(st.booleans()),
        }
    )
    near = draw(st.sampled_from(CHANGES)) + timedelta(minutes=draw(st.integers(0, 24 * 60)))
    length = timedelta(minutes=draw(st.integers(0, 36 * 60)))
    return zone, near, near + length


@settings(max_examples=60, deadline=None)
@given(sessions())
def test_controlled_minutes_agree_with_a_minute_by_minute_count(session):
    zone, start, end = session
    assert controlled_minutes(zone, start, end) == _oracle(zone, start, end)


@given(sessions(), st.integers(0, 36 * 60))
def test_a_session_split_in_two_uses_the_same_minutes_and_never_more_than_it_lasts(session, cut):
    zone, start, end = session
    middle = min(end, start + timedelta(minutes=cut))
    whole = controlled_minutes(zone, start, end)
    assert whole == controlled_minutes(zone, start, middle) + controlled_minutes(zone, middle, end)
    assert 0 <= whole <= (end - start).total_seconds() // 60


def test_an_hours_session_spends_its_controlled_minutes_and_can_end_early():
    wallet = Wallet.for_zone(TOWN)
    now = london(2026, 6, 5, 17, 0)
    wallet, session = wallet.start_hours("AB51CDE", now, london(2026, 6, 6, 9, 30), now=now)
    assert (session.used, wallet.balance) == (180, 120 * 60 - 180)
    assert wallet.active_at("AB51CDE", london(2026, 6, 5, 23, 0)) == session  # covered all night
    assert wallet.active_at("XY51CDE", london(2026, 6, 5, 23, 0)) is None
    ended = wallet.end_early(session.id, now=london(2026, 6, 5, 18, 0))
    assert ended.balance == 120 * 60 - 60
    assert ended.active_at("AB51CDE", london(2026, 6, 5, 23, 0)) is None
    assert ended.describe_balance() == "119 hours 0 minutes of 120 visitor hours left"


def test_an_hours_session_outside_controlled_hours_or_over_the_balance_is_refused():
    wallet = Wallet.for_zone(TOWN)
    sunday = london(2026, 6, 7, 10, 0)
    with pytest.raises(OutsideControlledHours, match="does not need a permit"):
        wallet.start_hours("AB51CDE", sunday, sunday + timedelta(hours=3), now=sunday)
    monday = london(2026, 6, 8, 8, 0)
    with pytest.raises(NoAllowanceLeft, match="you have 120 hours left"):
        wallet.start_hours("AB51CDE", monday, monday + timedelta(days=14), now=monday)
    with pytest.raises(VisitorError, match="starts now or later"):
        wallet.start_hours("AB51CDE", monday - timedelta(hours=1), monday, now=monday)
    with pytest.raises(VisitorError, match="whole days"):
        Wallet.for_zone(HOPFIELD).start_hours("AB51CDE", monday, monday + timedelta(hours=1), now=monday)
    with pytest.raises(VisitorError, match="does not have visitor permits"):
        Wallet.for_zone(ZONES.zone("D"))


def test_a_day_session_can_be_cancelled_until_midnight_before():
    wallet = Wallet.for_zone(HOPFIELD)
    wallet, session = wallet.start_day("AB51CDE", date(2026, 6, 10), now=london(2026, 6, 1, 12, 0))
    assert wallet.balance == 49
    assert wallet.active_at("AB51CDE", london(2026, 6, 10, 23, 59)) == session
    assert wallet.active_at("AB51CDE", london(2026, 6, 11, 0, 0)) is None
    with pytest.raises(NotCancellable, match="until midnight before it"):
        wallet.cancel_day(session.id, now=london(2026, 6, 10, 0, 0))
    cancelled = wallet.cancel_day(session.id, now=london(2026, 6, 9, 23, 59))
    assert cancelled.balance == 50
    assert cancelled.describe_balance() == "50 of 50 visitor days left"


def test_a_day_without_controlled_hours_or_in_the_past_or_beyond_the_allowance_is_refused():
    wallet = Wallet.for_zone(HOPFIELD)
    now = london(2026, 6, 1, 12, 0)
    with pytest.raises(OutsideControlledHours, match="Saturday 6 June"):
        wallet.start_day("AB51CDE", date(2026, 6, 6), now=now)
    with pytest.raises(OutsideControlledHours):
        wallet.start_day("AB51CDE", date(2026, 8, 31), now=now)  # the summer bank holiday
    with pytest.raises(VisitorError, match="today or later"):
        wallet.start_day("AB51CDE", date(2026, 5, 29), now=now)
    day = date(2026, 6, 2)
    for _ in range(50):
        wallet, _ = wallet.start_day("AB51CDE", day, now=now)
    with pytest.raises(NoAllowanceLeft):
        wallet.start_day("AB51CDE", day, now=now)
    with pytest.raises(VisitorError, match="by the hour"):
        Wallet.for_zone(TOWN).start_day("AB51CDE", day, now=now)


@given(st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=60))
def test_the_balance_is_the_allowance_less_every_day_not_cancelled(plan):
    wallet = Wallet.for_zone(HOPFIELD)
    now = london(2026, 6, 1, 12, 0)
    kept = 0
    for offset, cancel in plan:
        day = date(2026, 6, 2) + timedelta(days=offset)
        try:
            wallet, session = wallet.start_day("AB51CDE", day, now=now)
        except (OutsideControlledHours, NoAllowanceLeft):
            continue
        if cancel:
            wallet = wallet.cancel_day(session.id, now=now)
        else:
            kept += 1
    assert wallet.balance == 50 - kept >= 0
