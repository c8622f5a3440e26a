"""EventBridge schedules fire locally: cron and rate expressions, and a helper to fire a rule now."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from local.schedules import UnsupportedSchedule, next_time

pytestmark = pytest.mark.local

MONDAY_0830 = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("cron(0 9 * * ? *)", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        ("cron(15 8 * * ? *)", datetime(2026, 11, 24, 8, 15, tzinfo=UTC)),
        ("cron(0/20 * * * ? *)", datetime(2026, 11, 23, 8, 40, tzinfo=UTC)),
        ("cron(0 12 ? * SAT-SUN *)", datetime(2026, 11, 28, 12, 0, tzinfo=UTC)),
        ("cron(0 0 1 JAN ? 2027)", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("cron(0 10 ? * 2 *)", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),  # 2 = Monday
        ("rate(5 minutes)", datetime(2026, 11, 23, 8, 35, tzinfo=UTC)),
        ("rate(1 day)", datetime(2026, 11, 24, 8, 30, tzinfo=UTC)),
    ],
)
def test_next_time(expression, expected):
    assert next_time(expression, MONDAY_0830) == expected


@pytest.mark.parametrize("expression", ["cron(0 9 L * ? *)", "cron(0 9 ? * 2#1 *)", "at(2026-01-01T00:00:00)"])
def test_expressions_the_local_cloud_cannot_time_are_reported(expression):
    with pytest.raises(UnsupportedSchedule):
        next_time(expression, MONDAY_0830)


def test_daily_reminders_rule_is_scheduled_and_can_be_fired_now(local_cloud):
    rule = local_cloud.scheduler.find(local_cloud.resource("Borough-dev-Web/DailyDraftReminders").logical_id)
    assert rule is not None
    assert local_cloud.scheduler.next_runs(MONDAY_0830)[rule.name] == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    reminders = local_cloud.physical_id("Borough-dev-Web/DraftReminders/Function")
    before = len(local_cloud.runtime.invocations_of(reminders))
    response = local_cloud.handle("POST", f"/sandbox/schedules/{rule.name}")
    assert (response.status, response.json()["targets_invoked"]) == (202, 1)
    invocations = local_cloud.runtime.invocations_of(reminders)
    assert len(invocations) == before + 1
    assert invocations[-1].event["detail-type"] == "Scheduled Event"
    assert local_cloud.handle("POST", "/sandbox/schedules/no-such-rule").status == 404
