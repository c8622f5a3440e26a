"""EventBridge scheduled rules, fired locally at their times (moto records rules but never fires them).

`rate(...)` and `cron(...)` expressions are understood (cron without `L`, `W` and `#`); each target function gets
EventBridge's "Scheduled Event" asynchronously. Any rule can also be fired at once: `POST /sandbox/schedules/<rule>`
(the rule's name or logical id) — how a developer tries a daily job without waiting for 09:00.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from local.background import BackgroundThread
from local.model import Inventory
from local.moto_session import ACCOUNT_ID, LOCK, REGION, MotoSession

SCHEDULES_PATH = "/sandbox/schedules/"
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_DAYS = {name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}


class UnsupportedSchedule(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    name: str
    logical_id: str
    expression: str
    targets: tuple[dict[str, Any], ...]

    def next_after(self, moment: datetime) -> datetime:
        return next_time(self.expression, moment)


def schedules(inventory: Inventory) -> list[Schedule]:
    return [
        Schedule(
            name=rule.physical_id,
            logical_id=rule.logical_id,
            expression=str(rule.properties["ScheduleExpression"]),
            targets=tuple(rule.properties.get("Targets", [])),
        )
        for rule in inventory.of_type("AWS::Events::Rule")
        if "ScheduleExpression" in rule.properties and rule.properties.get("State", "ENABLED") == "ENABLED"
    ]


class Scheduler(BackgroundThread):
    thread_name = "local-scheduler"

    def __init__(self, session: MotoSession, rules: list[Schedule]) -> None:
        super().__init__()
        self._session = session
        self.rules = rules
        self.unsupported: list[str] = []

    def find(self, name: str) -> Schedule | None:
        return next((rule for rule in self.rules if name in (rule.name, rule.logical_id)), None)

    def fire(self, rule: Schedule, when: datetime | None = None) -> int:
        """Send the rule's event to each of its function targets; return how many were invoked."""
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule.name}"],
            "detail": {},
        }
        invoked = 0
        for target in rule.targets:
            if ":lambda:" not in str(target.get("Arn", "")):
                continue
            payload = target["Input"] if "Input" in target else json.dumps(event)
            with LOCK:
                self._session.client("lambda").invoke(
                    FunctionName=target["Arn"], InvocationType="Event", Payload=payload
                )
            invoked += 1
        return invoked

    def next_runs(self, now: datetime) -> dict[str, datetime | None]:
        runs: dict[str, datetime | None] = {}
        for rule in self.rules:
            try:
                runs[rule.name] = rule.next_after(now)
            except UnsupportedSchedule:
                runs[rule.name] = None
        return runs

    def _run(self) -> None:
        while not self._stopping.is_set():
            now = datetime.now(UTC)
            due = {name: when for name, when in self.next_runs(now).items() if when is not None}
            if not due:
                return
            name, when = min(due.items(), key=lambda item: item[1])
            if self._stopping.wait(max(0.0, (when - datetime.now(UTC)).total_seconds())):
                return
            rule = self.find(name)
            if rule is not None:
                self.fire(rule, when)


def next_time(expression: str, moment: datetime) -> datetime:
    """The first time after `moment` (UTC) that `rate(...)` or `cron(...)` fires."""
    expression = expression.strip()
    if expression.startswith("rate(") and expression.endswith(")"):
        value, unit = expression[5:-1].split()
        seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
        return moment + timedelta(seconds=int(value) * seconds)
    if expression.startswith("cron(") and expression.endswith(")"):
        return _next_cron(expression[5:-1].split(), moment)
    raise UnsupportedSchedule(expression)


def _next_cron(fields: list[str], moment: datetime) -> datetime:
    if len(fields) != 6:
        raise UnsupportedSchedule(" ".join(fields))
    minutes, hours = _values(fields[0], 0, 59), _values(fields[1], 0, 23)
    days, months = _values(fields[2], 1, 31), _values(fields[3], 1, 12, _MONTHS)
    weekdays, years = _values(fields[4], 1, 7, _DAYS), _values(fields[5], 1970, 2199)
    start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = start.replace(hour=0, minute=0)
    for _ in range(366 * 5):
        aws_weekday = (day.isoweekday() % 7) + 1  # Sunday 1 ... Saturday 7
        if day.month in months and day.year in years and day.day in days and aws_weekday in weekdays:
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    candidate = day.replace(hour=hour, minute=minute)
                    if candidate >= start:
                        return candidate
        day += timedelta(days=1)
    raise UnsupportedSchedule(" ".join(fields))


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    if field in ("*", "?"):
        return set(range(low, high + 1))
    if any(mark in field for mark in ("L", "W", "#")) and not (names and field.upper() in names):
        raise UnsupportedSchedule(field)
    result: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span in ("*", "?"):
            first, last = low, high
        elif "-" in span:
            first_text, last_text = span.split("-")
            first, last = _number(first_text, names), _number(last_text, names)
        else:
            first = _number(span, names)
            last = high if step_text else first
        if first > last:  # wraps around, e.g. SAT-SUN or NOV-FEB
            result.update(range(first, high + 1, step))
            result.update(range(low, last + 1, step))
        else:
            result.update(range(first, last + 1, step))
    return result


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    return int(text)
