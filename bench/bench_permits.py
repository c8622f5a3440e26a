"""Permits in-process against moto's DynamoDB: the enforcement look-up and a page of the devices' offline feed.

- **look-up**: `permits.enforcement.check` for a random issued mark (one Query of the `by-vrm` index, the answer
  worked out from the zone's rules), over `--lookups` marks: through moto, and with each mark's permits already
  fetched (the look-up's own work).
- **feed page**: `permits.feed.page` with a limit of 1,000 from the start of the month holding the permits (one or
  more Query pages of `by-change`, each entry shaped for the device), and the body serialised as it is signed:
  through moto, and with the same 1,000 items already fetched (the feed's own work: paging, shaping, serialising).
  The first page through moto after seeding is shown on its own: it also projects the page's items for the index
  in `local/fast_query.py`, which DynamoDB does when the items are written.

The permits are written straight to the table (a batch writer, untimed) with the attributes `PermitsStore.issue`
writes, so seeding many is quick. moto's Query runs as the local cloud runs it (`local/fast_query.py`: only the
index partition asked for is read, as DynamoDB does, with moto's own answers); `--moto-query` measures moto's own
Query instead, which visits every item of the table on each call.

Run: `python -m bench.bench_permits [--permits N ...] [--lookups N] [--moto-query]`.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.bench_api import percentile

SIZES = (1_000, 10_000, 100_000)
LOOKUPS = 200
FEED_PAGES = 20
FEED_PAGES_THROUGH_MOTO = 100
HOUSEHOLD = "100000000001"


def _figures(samples: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    """p50 and p99 of the wall-clock times, and of the thread's CPU time when measured (on a shared machine a call
    also waits for a core: the wall clock counts that, the CPU time does not)."""
    figures = {"p50": statistics.median(samples), "p99": percentile(samples, 0.99), "n": len(samples)}
    if cpu:
        figures |= {"cpu_p50": statistics.median(cpu), "cpu_p99": percentile(cpu, 0.99)}
    return figures


def _mark(number: int) -> str:
    # Current-style marks: two letters, an age identifier (51-75), three letters; unique per number.
    letters = "ABCDEFGHJKLMNOPRSTUVWXYZ"
    a, b = divmod(number, len(letters) ** 3)
    c, d = divmod(b, len(letters) ** 2)
    e, f = divmod(d, len(letters))
    return f"{letters[a % 24]}{letters[(a // 24) % 24]}{51 + (a // 576) % 25}{letters[c]}{letters[e]}{letters[f]}"


def _seed(table: Any, count: int, changed: datetime) -> list[str]:
    from permits.store import PERMIT, feed_stamp

    marks = []
    with table.batch_writer() as batch:
        for number in range(count):
            permit_id = f"bench{number:07d}"
            mark = _mark(number)
            marks.append(mark)
            batch.put_item(
                Item={
                    "pk": f"PERMIT#{permit_id}",
                    "sk": PERMIT,
                    "record": PERMIT,
                    "permit_id": permit_id,
                    "vrm": mark,
                    "zone": "A",
                    "kind": "resident",
                    "valid_from": (changed.date() - timedelta(days=30)).isoformat(),
                    "valid_to": (changed.date() + timedelta(days=300)).isoformat(),
                    "status": "active",
                    "household": HOUSEHOLD,
                    "counts_towards_limit": True,
                    **feed_stamp(changed + timedelta(microseconds=number), permit_id),
                }
            )
    return marks


class _Fetched:
    """The items one Query page of `by-change` gave, served again from memory (`feed.Changes`)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self._items = items

    def changes(self, month: str, *, after: str = "", limit: int) -> tuple[list[dict[str, Any]], bool]:
        found = [i for i in self._items if i["feed_month"] == month and str(i["feed_at"]) > after]
        return found[:limit], len(found) > limit


class _FetchedMarks:
    """Each mark's permits and sessions as one Query of `by-vrm` gave them, served again from memory."""

    def __init__(self, store: Any, marks: list[str]) -> None:
        self._found = {mark: store.by_vrm(mark) for mark in marks}

    def by_vrm(self, vrm: str) -> Any:
        return self._found[vrm]


def run(size: int, lookups: int = LOOKUPS, moto_query: bool = False) -> dict[str, dict[str, float]]:
    from local import fast_query

    if moto_query:
        fast_query.uninstall()
        return _run(size, lookups)
    if not fast_query.install():
        raise RuntimeError("local/fast_query.py does not support this moto: use --moto-query")
    try:
        return _run(size, lookups)
    finally:
        fast_query.uninstall()


def _run(size: int, lookups: int) -> dict[str, dict[str, float]]:
    import boto3
    from moto import mock_aws

    from permits import enforcement, feed
    from permits.store import PermitsStore
    from permits.zones import load_zones
    from tests.unit.permits.permits_support import create_permits_table

    with mock_aws():
        table = create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")
        now = datetime.now(UTC)
        changed = datetime(now.year, now.month, 1, tzinfo=UTC)
        marks = _seed(table, size, changed)
        store, zones = PermitsStore(table), load_zones()
        lookup_ms: list[float] = []
        chooser = random.Random(12)
        # Untimed: the first Query of each index builds its partitions in local/fast_query.py (DynamoDB's index
        # exists before the first read).
        enforcement.check(store, zones, marks[0], "A", now)
        store.changes(f"{changed:%Y-%m}", limit=1)
        gc.collect()
        # The seeded table and its indexes' partitions stand in for DynamoDB: not the function's heap for the
        # collector to walk (frozen before the indexes were built, a full collection walked their 100,000 keys).
        gc.freeze()
        for _ in range(lookups):
            mark = chooser.choice(marks)
            started = time.perf_counter()
            answer = enforcement.check(store, zones, mark, "A", now)
            lookup_ms.append((time.perf_counter() - started) * 1000)
            if answer.outcome is not enforcement.Outcome.VALID:
                raise RuntimeError(f"{mark}: {answer.outcome}")
        chosen = [chooser.choice(marks) for _ in range(lookups)]
        fetched_marks = _FetchedMarks(store, chosen)
        fetched_lookup_ms: list[float] = []
        for mark in chosen:
            started = time.perf_counter()
            enforcement.check(fetched_marks, zones, mark, "A", now)  # type: ignore[arg-type]
            fetched_lookup_ms.append((time.perf_counter() - started) * 1000)
        start = feed.Cursor(f"{changed:%Y-%m}", "")
        later = now + feed.SETTLE * 2

        def timed_page(source: Any) -> tuple[float, float]:
            started, started_cpu = time.perf_counter(), time.thread_time()
            page = feed.page(source, start, limit=1_000, now=later)
            page.body()
            elapsed, cpu = (time.perf_counter() - started) * 1000, (time.thread_time() - started_cpu) * 1000
            if len(page.entries) != min(size, 1_000):
                raise RuntimeError(f"a feed page held {len(page.entries)} entries")
            return elapsed, cpu

        # The first page after seeding also projects its items for the index in local/fast_query.py (DynamoDB
        # projects them when they are written): shown on its own, not among the pages timed after it.
        first = timed_page(store)
        through_moto = [timed_page(store) for _ in range(FEED_PAGES_THROUGH_MOTO)]
        items, _ = store.changes(start.month, limit=1_000)
        fetched = _Fetched(items)
        in_memory = [timed_page(fetched) for _ in range(FEED_PAGES)]
    return {
        "look-up via moto": _figures(lookup_ms),
        "look-up, fetched": _figures(fetched_lookup_ms),
        "feed page via moto, first": _figures([first[0]], [first[1]]),
        "feed page via moto": _figures([wall for wall, _ in through_moto], [cpu for _, cpu in through_moto]),
        "feed page, fetched": _figures([wall for wall, _ in in_memory], [cpu for _, cpu in in_memory]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--permits", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--lookups", type=int, default=LOOKUPS)
    parser.add_argument("--moto-query", action="store_true", help="moto's own Query (the whole table each call)")
    arguments = parser.parse_args(argv or [])
    one, five, _ = os.getloadavg()
    print(
        f"Query: {'moto' if arguments.moto_query else 'one partition (local/fast_query.py)'}; "
        f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"
    )
    for size in arguments.permits:
        for name, figure in run(size, arguments.lookups, arguments.moto_query).items():
            print(
                f"{size:>7,} permits  {name:<25} p50 {figure['p50']:7.2f} ms  p99 {figure['p99']:7.2f} ms"
                f"  over {figure['n']}"
                + (
                    f"; CPU p50 {figure['cpu_p50']:7.2f} ms  p99 {figure['cpu_p99']:7.2f} ms"
                    if "cpu_p50" in figure
                    else ""
                )
            )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
