"""The daily job's look ahead: collections the bank holiday rule would put on a bank holiday or a Sunday, without a
published change, are logged (dates and sectors only) and counted in `CollectionClashesAhead`, which alarms.

Christmas 2027: Saturday 25 and Sunday 26 December are replaced by Monday 27 and Tuesday 28, both bank holidays.
With `by_days: 1` a Monday round would be collected (and residents reminded) on Tuesday 28 December."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from notifications import collection_days, reminders, subscriptions
from shared.observability import logger, metrics
from tests.helpers import FakeContext
from tests.unit.notifications.test_reminders_and_preferences import drain

pytestmark = pytest.mark.unit

ROUNDS_FILE = """
rounds:
  ME17 1: {day: monday, frequency: weekly}
  ME14 1: {day: tuesday, frequency: weekly}
bank_holidays: {rule: shift-rest-of-week, by_days: 1}
changes:
  - {from: 2026-12-25, to: 2026-12-28, because: Christmas Day}
"""
CHRISTMAS_2027 = "  - {from: 2027-12-27, to: 2027-12-29, because: Christmas Day}\n"
EMAIL = "private.person@example.org"


def _plan(extra_changes: str = "") -> collection_days.Schedule:
    return collection_days.parse(yaml.safe_load(ROUNDS_FILE + extra_changes), Path("collection_rounds.yaml"))


@pytest.fixture
def counted():
    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


@pytest.fixture
def logs():
    """What the functions' logger writes, as JSON lines (as in Lambda)."""
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)
    logger.addHandler(capture)
    yield stream
    logger.removeHandler(capture)


def test_christmas_2027_without_a_published_change_is_found_and_counted(counted, logs):
    found = reminders.clashes_ahead(date(2027, 12, 1), _plan())
    assert found == [reminders.Clash(date(2027, 12, 27), date(2027, 12, 28), ("ME17 1",))]
    assert counted.metric_set[reminders.CLASHES_METRIC]["Value"] == [1.0]
    assert counted.metric_set[reminders.CLASHES_METRIC]["Unit"] == "Count"
    [line] = [json.loads(line) for line in logs.getvalue().splitlines()]
    assert line["level"] == "WARNING"
    assert "changes in collection_rounds.yaml" in line["message"]
    assert line["clashes"] == [{"usual": "2027-12-27", "actual": "2027-12-28", "sectors": ["ME17 1"]}]
    assert line["checked_to"] == "2028-01-30"


def test_with_the_councils_published_change_there_is_nothing_to_say(counted, logs):
    assert reminders.clashes_ahead(date(2027, 12, 1), _plan(CHRISTMAS_2027)) == []
    assert reminders.CLASHES_METRIC not in counted.metric_set
    assert logs.getvalue() == ""


def test_the_look_ahead_is_sixty_days_from_tomorrow(counted):
    assert reminders.CLASH_LOOKAHEAD_DAYS == 60
    clash = date(2027, 12, 27)
    assert reminders.clashes_ahead(clash - timedelta(days=61), _plan()) == []  # not yet in sight
    assert [c.usual for c in reminders.clashes_ahead(clash - timedelta(days=60), _plan())] == [clash]
    assert reminders.clashes_ahead(clash, _plan()) == []  # today's collections were reminded of yesterday


def test_the_shipped_rounds_file_is_checked_when_no_plan_is_given(monkeypatch, counted):
    plan = _plan()
    monkeypatch.setattr(reminders, "schedule", lambda: plan)
    assert [c.actual for c in reminders.clashes_ahead(date(2027, 12, 1))] == [date(2027, 12, 28)]


def test_the_daily_job_still_queues_the_days_reminders_and_emits_the_metric(cloud, monkeypatch, capsys, logs):
    plan = _plan()
    monkeypatch.setattr(reminders, "schedule", lambda: plan)
    now = datetime.now(UTC)
    subscription_id, _ = reminders.subscribe("ME17 1AB", {"email": EMAIL}, now)
    reminders.confirm(reminders.sign("confirm", subscription_id, 1, now + timedelta(days=1)), now)
    capsys.readouterr()

    # Sunday 5 December 2027: Monday's round is collected tomorrow, and Christmas is 22 days away.
    result = subscriptions.scheduled_handler({"time": "2027-12-05T17:00:00Z"}, FakeContext())

    assert result == {"day": "2027-12-05", "queued": 1}
    [body] = drain(cloud)
    assert json.loads(body)["data"]["collection_date"] == "2027-12-06"
    flushed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [emf] = [m for m in flushed if reminders.CLASHES_METRIC in m]
    assert emf[reminders.CLASHES_METRIC] == [1.0]
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Borough"
    assert emf["RemindersQueued"] == [1.0]
    warnings = [json.loads(line) for line in logs.getvalue().splitlines() if '"WARNING"' in line]
    assert [w["clashes"] for w in warnings] == [
        [{"usual": "2027-12-27", "actual": "2027-12-28", "sectors": ["ME17 1"]}]
    ]
    assert EMAIL not in logs.getvalue()
    assert subscription_id not in json.dumps(warnings)


def test_a_failing_look_ahead_fails_the_job_only_after_the_reminders_are_queued(cloud, monkeypatch):
    plan = _plan(CHRISTMAS_2027)
    monkeypatch.setattr(reminders, "schedule", lambda: plan)
    now = datetime.now(UTC)
    subscription_id, _ = reminders.subscribe("ME17 1AB", {"email": EMAIL}, now)
    reminders.confirm(reminders.sign("confirm", subscription_id, 1, now + timedelta(days=1)), now)

    def broken(*_args: object) -> list[reminders.Clash]:
        raise RuntimeError("the look ahead broke")

    monkeypatch.setattr(reminders, "clashes_ahead", broken)
    with pytest.raises(RuntimeError):  # the function's error alarm says so; the retry queues the same event
        subscriptions.scheduled_handler({"time": "2027-12-05T17:00:00Z"}, FakeContext())
    [body] = drain(cloud)
    assert json.loads(body)["id"] == reminders.due_event_id(subscription_id, date(2027, 12, 6))
