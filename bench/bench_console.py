"""The staff console in-process on moto: the first queue page, a case page and the KPI page, with 10,000 open
requests across 10 teams.

The console's resolver is built as console/handler.py builds it, on the unit tests' moto set-up
(tests/unit/staff_console/conftest.py `console_on_moto`: the staff pool with real signed tokens, the Requests
table with its `by-team-due` index, the Audit and Kpis tables). Each timed request goes through the guard (the
session cookie's ID token verified against the pool's keys), the view, its DynamoDB calls and the page's render.

- **seed** (untimed): 10,000 open requests, 1,000 per team, with due dates from 30 days late to 60 days ahead,
  written in `BatchWriteItem`s of 25 straight to the table (not through the API); and the KPI counters of eight
  weeks for every service and channel, the same way. The catalogue routes to six teams; the other four are named
  here, and the queue's list of teams (`console.pages._team_names`, the catalogue's) is given all ten, as a
  council with more services would have. One Query of the queue's index and one of the Kpis table build their
  partitions in `local/fast_query.py`; then the heap is frozen for the garbage collector (the tables stand in for
  DynamoDB).
- **queue**: `GET /staff/cases` for a team lead of all ten teams: the first page (25 cases, overdue first), one
  Query per team on the index.
- **case**: `GET /staff/cases/<reference>` for a different case each time: a consistent GetItem, the audit put,
  the assignable team members (cached, as in AWS) and the render.
- **kpis**: `GET /staff/kpis`: nine Queries (eight weeks and the totals) on the Kpis table, the report and render.

Each figure is also split into the time spent inside botocore's calls (moto answering, in-process) and the rest
(the console's own code), and the CPU time the benchmark's thread used (`time.thread_time`): on a machine shared
with other work a request waits for a core, which the wall-clock figures count and the CPU time does not.

moto's Query runs as the local cloud runs it (`local/fast_query.py`: only the partition asked for is read, with
moto's own answers); `--moto-query` measures moto's own Query instead, which sorts the whole table on every call.

Run: `python -m bench.bench_console [--runs N] [--queue-runs N] [--requests N] [--moto-query]`.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.bench_api import percentile

ROOT = Path(__file__).resolve().parents[1]
RUNS = 200
QUEUE_RUNS = 200  # with --moto-query, use 10 or so: moto's own Query takes seconds per page at 10,000 requests
REQUESTS = 10_000
EXTRA_TEAMS = ("Highways", "Parking services", "Housing repairs", "Environmental health")
OPEN_STATUSES = ("for-triage", "investigating", "action-scheduled", "in-progress", "reopened")
CHANNELS = ("web", "web", "web", "api", "phone", "face-to-face", "email")
TARGETS_MS = {"queue": 50.0, "case": 50.0, "kpis": 100.0}  # p99 (issue 11)
_BATCH = 25  # BatchWriteItem's limit


class AwsTime:
    """Time spent inside botocore's API calls (moto answers in-process), summed until `reset`."""

    def __init__(self) -> None:
        self.ms = 0.0

    @contextmanager
    def installed(self) -> Iterator[AwsTime]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call

        def timed(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            started = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                self.ms += (time.perf_counter() - started) * 1000

        BaseClient._make_api_call = timed
        try:
            yield self
        finally:
            BaseClient._make_api_call = original


def _teams() -> tuple[str, ...]:
    from console import pages

    catalogue_teams = pages._team_names()
    return tuple(sorted({*catalogue_teams, *EXTRA_TEAMS[: 10 - len(catalogue_teams)]}))


def _requests(teams: tuple[str, ...], today: date, count: int) -> Iterator[dict[str, Any]]:
    from shared.catalogue import load_catalogue
    from shared.references import new_reference

    services = sorted(load_catalogue().values(), key=lambda d: d.id)
    chance = random.Random(11)
    references: set[str] = set()
    for number in range(count):
        reference = new_reference(chance.randrange)
        while reference in references:
            reference = new_reference(chance.randrange)
        references.add(reference)
        service = services[number % len(services)]
        submitted = datetime.combine(today - timedelta(days=chance.randrange(1, 60)), datetime.min.time(), UTC)
        status = OPEN_STATUSES[number % len(OPEN_STATUSES)]
        item: dict[str, Any] = {
            "reference": reference,
            "team": teams[number % len(teams)],
            "due_date": (today + timedelta(days=chance.randrange(-30, 60))).isoformat(),
            "status": status,
            "service_id": service.id,
            "service_title": service.title,
            "channel": CHANNELS[number % len(CHANNELS)],
            "submitted_at": submitted.isoformat(timespec="seconds"),
            "answers": {
                "description": f"Benchmark request {number}: a sofa and two mattresses left by the garages",
                "location": {"postcode": "ME14 1HQ", "street": "Week Street"},
            },
            "history": [
                {"status": "received", "at": submitted.isoformat(timespec="seconds")},
                {"status": "for-triage", "at": submitted.isoformat(timespec="seconds"), "update": "Sent to the team"},
                {"status": status, "at": submitted.isoformat(timespec="seconds"), "version": 1},
            ],
            "internal_notes": [{"status": status, "at": submitted.isoformat(), "note": "Checked on site", "by": "x"}],
            "version": 1,
        }
        if number % 3:
            item["assignee"], item["assignee_email"] = "bench-caseworker", "bench-caseworker@example.org"
        yield item


def _counters(today: date) -> Iterator[dict[str, Any]]:
    from console.kpi_counters import TOTAL, week_of
    from shared.catalogue import load_catalogue

    chance = random.Random(12)
    for service in sorted(load_catalogue()):
        for back in range(8):
            week = f"week#{week_of(today - timedelta(weeks=back))}"
            for channel in sorted(set(CHANNELS)):
                yield {"bucket": week, "metric": f"submitted#{service}#{channel}", "count": chance.randrange(5, 200)}
            for outcome in ("on-time", "late"):
                yield {"bucket": week, "metric": f"closed#{service}#{outcome}", "count": chance.randrange(5, 150)}
            yield {"bucket": week, "metric": f"reopened#{service}", "count": chance.randrange(0, 5)}
        yield {"bucket": TOTAL, "metric": f"submitted#{service}", "count": chance.randrange(2_000, 9_000)}
        yield {"bucket": TOTAL, "metric": f"closed#{service}", "count": chance.randrange(1_000, 2_000)}


def _batch_write(table: Any, items: Iterator[dict[str, Any]]) -> int:
    """Straight to the table in BatchWriteItems of 25 (boto3's batch writer resends what is unprocessed)."""
    written = 0
    with table.batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)
            written += 1
    return written


def _figures(samples: list[float], aws: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    return {
        "p50": statistics.median(samples),
        "p99": percentile(samples, 0.99),
        "cpu_p50": statistics.median(cpu or samples),
        "cpu_p99": percentile(cpu or samples, 0.99),
        "aws_p50": statistics.median(aws),
        "own_p50": statistics.median(own := [s - a for s, a in zip(samples, aws, strict=True)]),
        "own_p99": percentile(own, 0.99),
        "n": len(samples),
    }


def _time(aws: AwsTime, runs: int, call: Callable[[int], dict[str, Any]], check: bytes) -> dict[str, float]:
    call(0)  # the first render compiles its templates: not counted
    samples, inside, cpu = [], [], []
    for run in range(runs):
        aws.ms = 0.0
        started, started_cpu = time.perf_counter(), time.thread_time()
        answer = call(run)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        inside.append(aws.ms)
        if answer["statusCode"] != 200 or check not in answer["body"].encode():
            raise RuntimeError(f"unexpected answer {answer['statusCode']}: {answer['body'][:300]!r}")
    return _figures(samples, inside, cpu)


def run(
    runs: int = RUNS, requests: int = REQUESTS, queue_runs: int = QUEUE_RUNS, moto_query: bool = False
) -> dict[str, Any]:
    from local import fast_query

    if moto_query:
        fast_query.uninstall()
        return _run(runs, requests, queue_runs)
    if not fast_query.install():
        raise RuntimeError("local/fast_query.py does not support this moto: use --moto-query")
    try:
        return _run(runs, requests, queue_runs)
    finally:
        fast_query.uninstall()


def _run(runs: int, requests: int, queue_runs: int) -> dict[str, Any]:
    from unittest import mock

    import boto3

    from console import pages
    from console.permissions import TEAM_GROUP_PREFIX, team_slug
    from console.team_members import TeamMembers
    from tests.unit.staff_console.conftest import console_on_moto

    today = datetime.now(UTC).date()
    with console_on_moto() as console, AwsTime().installed() as aws:
        teams = _teams()
        cognito = boto3.client("cognito-idp")
        existing = {g["GroupName"] for g in cognito.list_groups(UserPoolId=console.pool_id)["Groups"]}
        for team in teams:
            if TEAM_GROUP_PREFIX + team_slug(team) not in existing:
                cognito.create_group(UserPoolId=console.pool_id, GroupName=TEAM_GROUP_PREFIX + team_slug(team))
        console.members = TeamMembers(console.pool_id)  # cached as console/handler.py has it, not read afresh
        console.build()
        seeding = time.perf_counter()
        cases = list(_requests(teams, today, requests))
        seeded = _batch_write(console.table, iter(cases))
        counters = _batch_write(boto3.resource("dynamodb").Table("kpis"), _counters(today))
        seed_s = time.perf_counter() - seeding
        _build_views(console.table, teams[0])
        gc.collect()
        # The seeded tables, and the partitions local/fast_query.py keeps of them (DynamoDB's indexes exist before
        # they are read), stand in for DynamoDB: not the function's heap for the collector to walk.
        gc.freeze()
        lead = console.staff("bench-lead", roles=("team-lead",), teams=tuple(team_slug(t) for t in teams))
        with mock.patch.object(pages, "_team_names", return_value=teams):
            figures: dict[str, Any] = {
                "queue": _time(aws, queue_runs, lambda _: console.get("/staff/cases", lead), b"days late"),
                "case": _time(
                    aws,
                    runs,
                    lambda n: console.get(f"/staff/cases/{cases[n * 37 % len(cases)]['reference']}", lead),
                    b"Benchmark request",
                ),
                "kpis": _time(aws, runs, lambda _: console.get("/staff/kpis", lead), b"Channel shift"),
            }
    figures["seed"] = {"requests": seeded, "counters": counters, "teams": len(teams), "seconds": seed_s}
    return figures


def _build_views(requests: Any, team: str) -> None:
    """Untimed: one Query of the queue's index and one of the Kpis table, which build their partitions in
    local/fast_query.py (the first Query of a view reads the whole table into it)."""
    import boto3
    from boto3.dynamodb.conditions import Key

    from console.kpi_counters import TOTAL
    from console.queue import QUEUE_INDEX

    requests.query(IndexName=QUEUE_INDEX, KeyConditionExpression=Key("team").eq(team), Limit=1)
    boto3.resource("dynamodb").Table("kpis").query(KeyConditionExpression=Key("bucket").eq(TOTAL), Limit=1)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--queue-runs", type=int, default=QUEUE_RUNS)
    parser.add_argument("--moto-query", action="store_true", help="moto's own Query (the whole table each call)")
    arguments = parser.parse_args(argv or [])
    sys.path[:0] = [str(ROOT), str(ROOT / "functions")]
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)  # moto only: never real credentials
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "eu-west-2",
            "POWERTOOLS_SERVICE_NAME": "borough-bench",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    figures = run(arguments.runs, arguments.requests, arguments.queue_runs, arguments.moto_query)
    seed = figures.pop("seed")
    print(f"Query: {'moto' if arguments.moto_query else 'one partition (local/fast_query.py)'}; load {_load()}")
    print(
        f"seeded {seed['requests']} open requests across {seed['teams']} teams and {seed['counters']} KPI counters "
        f"in {seed['seconds']:.1f} s"
    )
    for name, figure in figures.items():
        print(
            f"{name:<6} p50 {figure['p50']:8.2f} ms  p99 {figure['p99']:8.2f} ms (p50 inside moto "
            f"{figure['aws_p50']:8.2f} ms); the console's own p50 {figure['own_p50']:6.2f} ms  p99 "
            f"{figure['own_p99']:6.2f} ms; over {figure['n']} runs; target p99 < {TARGETS_MS[name]:.0f} ms"
        )
        print(f"{'':<6} this thread's CPU time p50 {figure['cpu_p50']:8.2f} ms  p99 {figure['cpu_p99']:8.2f} ms")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
