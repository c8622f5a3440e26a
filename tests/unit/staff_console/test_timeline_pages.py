"""The case timeline a page at a time: newest first, 25 a page, older and newer pages by a cursor; walked either way
the pages are the whole timeline (console/timeline.py `merge` of all of it) in order, each item once, a change
still next to the audit entry that accounts for it across a page's edge; the audit trail is read by bounded Queries
of the case's partition, never a Scan."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from console.audit import AuditLog
from console.timeline import merge
from console.timeline_pages import MAX_READS, PAGE_SIZE, READ_BATCH, decode_cursor, encode_cursor, timeline_page
from shared.references import new_reference
from tests.unit.staff_console.conftest import Console

START = datetime(2026, 11, 20, 9, tzinfo=UTC)
NAMES = {"sub-ann": "ann@example.org"}


def _put(console: Console, reference: str, at: datetime, action: str = "read-case", staff: str = "sub-ann") -> None:
    when = at.isoformat(timespec="milliseconds")
    console.audit.put_item(
        Item={
            "record": reference,
            "entry": f"{when}#{random.getrandbits(64):016x}",
            "at": when,
            "staff": staff,
            "action": action,
        }
    )


def _case(reference: str, history: list[dict[str, Any]]) -> dict[str, Any]:
    return {"reference": reference, "status": "investigating", "history": history}


def _trail(console: Console, reference: str) -> list[dict[str, Any]]:
    return AuditLog("audit").trail(reference)


def _walk(case: dict[str, Any], log: AuditLog, size: int = PAGE_SIZE) -> list[list[Any]]:
    pages, older = [], ""
    while True:
        page = timeline_page(case, log, NAMES, older=older, size=size)
        pages.append(page)
        if not page.older:
            return pages
        older = page.older


def _ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


@pytest.fixture
def busy(console: Console) -> dict[str, Any]:
    """A case with 70 audit entries and 12 changes, each change audited just before it (in the same second or
    the one before), some entries sharing a second: the pages' edges fall among them."""
    rng = random.Random(11)
    reference = new_reference()
    history: list[dict[str, Any]] = [{"status": "received", "at": START.isoformat(timespec="seconds")}]
    moment = START
    for step in range(70):
        moment += timedelta(milliseconds=rng.choice([150, 400, 900, 1300, 30_000]))
        if step % 6 == 3:
            _put(console, reference, moment, "change-status")
            history.append(
                {
                    "status": "investigating",
                    "at": (moment + timedelta(milliseconds=60)).replace(microsecond=0).isoformat(),
                    "by": "sub-ann",
                    "version": len(history),
                }
            )
        else:
            _put(console, reference, moment)
    return _case(reference, history)


def test_walking_older_pages_gives_the_whole_timeline_in_order_each_item_once(console: Console, busy) -> None:
    log = AuditLog("audit")
    whole = merge(busy, _trail(console, busy["reference"]), NAMES)
    assert len(whole) == 70 + 13
    for size in (PAGE_SIZE, 7, 10):
        pages = _walk(busy, log, size)
        assert all(len(page.items) <= size for page in pages)
        assert [len(page.items) for page in pages[:-1]] == [size] * (len(pages) - 1)
        assert _ids([item for page in pages for item in page.items]) == _ids(whole)
        assert pages[0].newer == ""  # the first page has no newer page
        assert all(page.newer for page in pages[1:])


def test_walking_newer_pages_back_gives_the_same_pages(console: Console, busy) -> None:
    log = AuditLog("audit")
    pages = _walk(busy, log, 10)
    newer = pages[-1].newer
    for expected in reversed(pages[:-1]):
        page = timeline_page(busy, log, NAMES, newer=newer, size=10)
        assert _ids(page.items) == _ids(expected.items)
        assert page.older  # the way back down
        newer = page.newer
    assert newer == ""  # back at the newest: no newer page


def test_a_change_stays_next_to_its_audit_entry_across_a_pages_edge(console: Console) -> None:
    reference = new_reference()
    # 3 reads, then a change audited at 10:00:00.900 and kept as 10:00:00, then 3 reads: with pages of 4 the
    # newest page's edge falls between the change and its audit entry.
    history = [
        {"status": "received", "at": "2026-11-20T09:00:00+00:00"},
        {"status": "investigating", "at": "2026-11-20T10:00:00+00:00", "by": "sub-ann", "version": 1},
    ]
    for second in (1, 2, 3):
        _put(console, reference, datetime(2026, 11, 20, 9, 59, 50 + second, tzinfo=UTC))
    _put(console, reference, datetime(2026, 11, 20, 10, 0, 0, 900_000, tzinfo=UTC), "change-status")
    for second in (1, 2, 3):
        _put(console, reference, datetime(2026, 11, 20, 10, 0, second, 500_000, tzinfo=UTC))
    case = _case(reference, history)
    pages = _walk(case, AuditLog("audit"), 4)
    titles = [[item.title for item in page.items] for page in pages]
    assert titles == [
        ["Viewed the case", "Viewed the case", "Viewed the case", "Investigating"],
        ["Changed the status", "Viewed the case", "Viewed the case", "Viewed the case"],
        ["Received"],
    ]


def test_a_page_reads_the_audit_trail_by_bounded_queries_only(console: Console) -> None:
    reference = new_reference()
    for step in range(400):
        _put(console, reference, START + timedelta(seconds=step))
    case = _case(reference, [{"status": "received", "at": START.isoformat()}])
    log = AuditLog("audit")
    queries: list[dict[str, Any]] = []
    real = log._table.query

    def counted(**query: Any) -> Any:
        queries.append(query)
        return real(**query)

    with mock.patch.object(log._table, "query", side_effect=counted):
        first = timeline_page(case, log, NAMES)
        assert len(queries) <= MAX_READS
        assert all(query["Limit"] == READ_BATCH for query in queries)
        queries.clear()
        second = timeline_page(case, log, NAMES, older=first.older)
        assert len(queries) <= MAX_READS
        assert all(":bound" in query["ExpressionAttributeValues"] for query in queries)  # from the cursor on
    assert len(first.items) == len(second.items) == PAGE_SIZE
    assert first.items[-1].at - second.items[0].at == timedelta(seconds=1)


def test_a_cursor_names_a_place_and_anything_else_gives_the_first_page(console: Console, busy) -> None:
    place = (datetime(2026, 11, 20, 10, 0, 0, 900_000, tzinfo=UTC), 1, "h00003")
    assert decode_cursor(encode_cursor(place)) == place
    for bad in ("", "not-a-cursor", encode_cursor(place)[:-3] + "!!!", "a" * 400):
        assert decode_cursor(bad) is None
    log = AuditLog("audit")
    first = timeline_page(busy, log, NAMES)
    assert _ids(timeline_page(busy, log, NAMES, older="garbage").items) == _ids(first.items)


def test_the_case_page_shows_25_entries_with_moj_pagination_to_the_older_and_newer_ones(console: Console) -> None:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-12-01")
    for step in range(40):  # after the case's "Received" (10:00)
        _put(console, reference, START + timedelta(hours=1, minutes=1 + step))
    tokens = console.staff("ann", roles=("caseworker",), teams=("street-scene",))
    page = console.get(f"/staff/cases/{reference}", tokens)["body"]
    assert page.count('class="moj-timeline__item"') == PAGE_SIZE  # this read, then the 24 newest of the 40
    assert (
        '<nav class="govuk-pagination govuk-pagination--block moj-pagination__pagination" aria-label="Timeline pages">'
        in page
    )
    assert 'rel="prev"' not in page
    older = re.search(rf'href="(/staff/cases/{reference}\?older=[^"#]+)#timeline-heading" rel="next"', page)
    assert older is not None
    assert "Older entries" in page
    cursor = older.group(1).split("older=", 1)[1]
    second = console.get(f"/staff/cases/{reference}", tokens, older=cursor)["body"]
    # 40 entries, the first read and "Received" were there when the first page was shown: 17 older than it
    assert second.count('class="moj-timeline__item"') == 42 - PAGE_SIZE
    assert re.findall(r'<h3 class="moj-timeline__title">([^<]+)', second)[-1].strip() == "Received"
    assert f'href="/staff/cases/{reference}?newer=' in second
    assert 'rel="next"' not in second
    assert "Back to the newest" in second
