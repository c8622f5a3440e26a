"""The daily job after bank holidays (moto DynamoDB and SQS): reminders the day before the *actual* collection."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from notifications import collection_days, reminders, subscriptions
from tests.helpers import FakeContext
from tests.unit.notifications.test_reminders_and_preferences import consume, drain

pytestmark = pytest.mark.unit

# The council's file could change any year; these tests bring their own rounds, rule and Christmas.
ROUNDS_FILE = """
rounds:
  ME17 1: {day: monday, frequency: weekly}
  ME14 1: {day: tuesday, frequency: weekly}
  ME14 5: {day: wednesday, frequency: weekly}
  ME15 7: {day: thursday, frequency: fortnightly, first: 2027-01-14}
  ME16 8: {day: friday, frequency: weekly}
bank_holidays: {rule: shift-rest-of-week, by_days: 1}
changes:
  - {from: 2026-12-25, to: 2026-12-28, because: Christmas Day}
"""
SECTORS = ("ME17 1", "ME14 1", "ME14 5", "ME15 7", "ME16 8")


@pytest.fixture
def plan(monkeypatch):
    schedule = collection_days.parse(yaml.safe_load(ROUNDS_FILE), Path("collection_rounds.yaml"))
    monkeypatch.setattr(reminders, "schedule", lambda: schedule)
    return schedule


@pytest.fixture
def subscribed(cloud, plan) -> dict[str, str]:
    """One active subscription in every sector: sector → subscription id."""
    now = datetime.now(UTC)
    out = {}
    for sector in SECTORS:
        subscription_id, _ = reminders.subscribe(
            f"{sector}AB", {"email": f"{sector.replace(' ', '').lower()}@example.org"}, now
        )
        reminders.confirm(reminders.sign("confirm", subscription_id, 1, now + timedelta(days=1)), now)
        out[sector] = subscription_id
    return out


def reminded(subscribed: dict[str, str], today: date) -> dict[str, tuple[str, str]]:
    """sector → (collection date, usual date) of the reminders the job would queue on the evening of `today`."""
    by_id = {v: k for k, v in subscribed.items()}
    return {
        by_id[e.data["subscription_id"]]: (e.data["collection_date"], e.data["usual_date"])
        for e in reminders.due_events(today)
    }


def test_an_ordinary_week_reminds_each_round_the_evening_before_its_day(subscribed):
    assert reminded(subscribed, date(2026, 11, 22)) == {"ME17 1": ("2026-11-23", "2026-11-23")}
    assert reminded(subscribed, date(2026, 11, 23)) == {"ME14 1": ("2026-11-24", "2026-11-24")}
    assert reminded(subscribed, date(2026, 11, 26)) == {"ME16 8": ("2026-11-27", "2026-11-27")}
    assert reminded(subscribed, date(2026, 11, 27)) == {}  # nobody collects on Saturday


def test_easter_2027_moves_the_rest_of_each_holiday_week_a_day_later(subscribed):
    # Good Friday 26 March: Friday's collections on Saturday 27th, nothing on the Friday itself.
    assert reminded(subscribed, date(2027, 3, 24)) == {"ME15 7": ("2027-03-25", "2027-03-25")}  # Thursday as usual
    assert reminded(subscribed, date(2027, 3, 25)) == {}
    assert reminded(subscribed, date(2027, 3, 26)) == {"ME16 8": ("2027-03-27", "2027-03-26")}
    # Easter Monday 29 March: Monday's on Tuesday, Tuesday's on Wednesday ... Friday's on Saturday.
    assert reminded(subscribed, date(2027, 3, 28)) == {}
    assert reminded(subscribed, date(2027, 3, 29)) == {"ME17 1": ("2027-03-30", "2027-03-29")}
    assert reminded(subscribed, date(2027, 3, 30)) == {"ME14 1": ("2027-03-31", "2027-03-30")}
    assert reminded(subscribed, date(2027, 3, 31)) == {"ME14 5": ("2027-04-01", "2027-03-31")}
    assert reminded(subscribed, date(2027, 4, 1)) == {}  # ME15 7 is fortnightly: not its week
    assert reminded(subscribed, date(2027, 4, 2)) == {"ME16 8": ("2027-04-03", "2027-04-02")}
    # The week after: back to normal.
    assert reminded(subscribed, date(2027, 4, 4)) == {"ME17 1": ("2027-04-05", "2027-04-05")}


def test_a_fortnightly_round_in_its_week_moves_with_the_rest(subscribed):
    # Early May bank holiday, Monday 3 May 2027: ME15 7 collects every other Thursday, 6 May among them.
    assert reminded(subscribed, date(2027, 5, 5)) == {"ME14 5": ("2027-05-06", "2027-05-05")}
    assert reminded(subscribed, date(2027, 5, 6)) == {"ME15 7": ("2027-05-07", "2027-05-06")}
    assert reminded(subscribed, date(2027, 5, 12)) == {}  # not its week; its next is without a holiday, 20 May
    assert reminded(subscribed, date(2027, 5, 19)) == {"ME15 7": ("2027-05-20", "2027-05-20")}


def test_christmas_follows_the_published_change_over_the_rule(subscribed):
    assert reminded(subscribed, date(2026, 12, 24)) == {}  # no collection on Christmas Day
    assert reminded(subscribed, date(2026, 12, 25)) == {}  # nor on Saturday, where the rule alone would put it
    # Monday 28th (Boxing Day's substitute): Friday's collections, by the change; Monday's go to Tuesday by the rule.
    assert reminded(subscribed, date(2026, 12, 27)) == {"ME16 8": ("2026-12-28", "2026-12-25")}
    assert reminded(subscribed, date(2026, 12, 28)) == {"ME17 1": ("2026-12-29", "2026-12-28")}


def test_one_reminder_when_two_of_a_rounds_dates_land_on_the_same_day(cloud, monkeypatch):
    schedule = collection_days.parse(
        {
            "rounds": {"ME16 8": {"day": "friday", "frequency": "weekly"}},
            "bank_holidays": {"rule": "shift-rest-of-week", "by_days": 1},
            "changes": [{"from": "2026-12-25", "to": "2027-01-02"}],  # and 1 January goes there by the rule
        }
    )
    monkeypatch.setattr(reminders, "schedule", lambda: schedule)
    now = datetime.now(UTC)
    subscription_id, _ = reminders.subscribe("ME16 8AB", {"email": "r@example.org"}, now)
    reminders.confirm(reminders.sign("confirm", subscription_id, 1, now + timedelta(days=1)), now)
    [event] = reminders.due_events(date(2027, 1, 1))
    assert event.data["collection_date"] == "2027-01-02"
    assert reminders.due_events(date(2026, 12, 31)) == []


def test_a_rerun_on_the_same_day_queues_the_same_events_and_sends_nothing_twice(use_notify, cloud, subscribed):
    evening = {"time": "2027-03-29T17:00:00Z"}  # Easter Monday: Monday's round is collected tomorrow
    first = subscriptions.scheduled_handler(evening, FakeContext())
    ids = [json.loads(body)["id"] for body in drain(cloud)]
    assert first == {"day": "2027-03-29", "queued": 1}
    assert ids == [reminders.due_event_id(subscribed["ME17 1"], date(2027, 3, 30))]
    assert subscriptions.scheduled_handler(evening, FakeContext()) == first
    again = drain(cloud)
    assert [json.loads(body)["id"] for body in again] == ids  # the same event: the same message id
    consume(again)
    reminders_sent = [m for m in use_notify.sandbox.messages if m.subject.startswith("Bin collection tomorrow")]
    assert len(reminders_sent) == 1
    consume(again)  # the consumer sees the rerun's event again
    assert len([m for m in use_notify.sandbox.messages if m.subject.startswith("Bin collection tomorrow")]) == 1


def test_the_reminder_gives_the_actual_date_and_says_why_it_moved(use_notify, cloud, subscribed):
    for day in ("2027-03-29", "2026-12-27", "2026-11-23"):  # Easter Monday; Christmas's change; an ordinary Monday
        subscriptions.scheduled_handler({"time": f"{day}T17:00:00Z"}, FakeContext())
        consume(drain(cloud))
    easter, christmas, ordinary = use_notify.sandbox.messages
    assert easter.subject == "Bin collection tomorrow, Tuesday 30 March"
    assert easter.body.startswith(
        "Your bins are collected tomorrow, Tuesday 30 March. This is a day later than usual because of the bank "
        "holiday on Monday 29 March. Put them out by 7am. To stop these reminders: https://borough.example/"
    )
    assert christmas.subject == "Bin collection tomorrow, Monday 28 December"
    assert christmas.body.startswith(
        "Your bins are collected tomorrow, Monday 28 December. This is instead of Friday 25 December, because of "
        "Christmas Day. Put them out by 7am."
    )
    assert ordinary.body.startswith("Your bins are collected tomorrow, Tuesday 24 November. Put them out by 7am.")
    records = {r["personalisation"]["collection_date"]: r for r in cloud.items("NOTIFICATIONS_TABLE")}
    assert records["Tuesday 24 November"]["personalisation"]["changed_because"] == ""
    assert records["Tuesday 30 March"]["personalisation"]["changed_because"].startswith(" This is a day later")


def test_an_event_queued_before_the_change_was_known_is_sent_without_a_reason(cloud, subscribed):
    [event] = reminders.due_events(date(2026, 11, 23))
    del event.data["usual_date"]
    [message] = reminders.compose(event)
    assert message["body"].startswith("Your bins are collected tomorrow, Tuesday 24 November. Put them out")
