"""The case timeline a page at a time (issue 11): newest first, `PAGE_SIZE` items a page, older and newer pages
by a cursor (the place of the last or first item shown: its time, whether it is an audit entry, its id), with
MoJ/GOV.UK pagination links; no Scan, and a bounded read per page.

The case's history and internal notes are in the case item the page has read whole anyway; the audit trail, which
grows with every read, is read a window at a time: a Query of the case's partition from the cursor's time on, in
batches of `READ_BATCH`, at most `MAX_READS` of them. A history entry is placed next to the audit entry that
accounts for it (console/timeline.py `merge`: same member of staff and action, within a second), so an item is
shown only once every audit entry within `MARGIN` of it has been read: its place is then the one it has in the
whole timeline, and no item is shown on two pages or skipped between them. If the reads run out first (a case read
hundreds of times within seconds), the page shows the items placed so far and the next page goes on from there.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from console.audit import AuditLog
from console.timeline import TimelineItem, merge

PAGE_SIZE = 25
READ_BATCH = 50
MAX_READS = 4  # audit entries read for one page: at most READ_BATCH * MAX_READS
MARGIN = timedelta(seconds=5)  # more than a change and its audit entry can be apart (a second), twice over
_ID = re.compile(r"^(?:[hn]\d{5}|[0-9T:.+-]{20,40}#[0-9a-f-]{1,40})$")  # a history place, or an audit entry's key
Place = tuple[datetime, int, str]


@dataclass
class TimelinePage:
    items: list[TimelineItem] = field(default_factory=list)
    older: str = ""  # the cursor of the page after (older items), "" if there is none
    newer: str = ""  # the cursor of the page before (newer items), "" on the first page


def encode_cursor(place: Place) -> str:
    at, tier, ident = place
    text = f"{at.astimezone(UTC).isoformat(timespec='microseconds')}|{tier}|{ident}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Place | None:
    """The place a cursor names, or None for anything that is not one (the first page is shown instead)."""
    try:
        padded = cursor[:300] + "=" * (-len(cursor[:300]) % 4)
        text = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        at, tier, ident = text.split("|")
        moment = datetime.fromisoformat(at)
    except (ValueError, binascii.Error):
        return None
    if moment.tzinfo is None or tier not in ("0", "1") or not _ID.match(ident):
        return None
    return moment, int(tier), ident


def timeline_page(
    case: Mapping[str, Any],
    audit: AuditLog,
    names: Mapping[str, str],
    *,
    older: str = "",
    newer: str = "",
    size: int = PAGE_SIZE,
) -> TimelinePage:
    """One page of the case's timeline, newest first: the first page, the one older than `older`'s item, or the one
    newer than `newer`'s (a cursor that is not one gives the first page)."""
    before = decode_cursor(older) if older else None
    after = decode_cursor(newer) if newer and before is None else None
    if after is not None:
        items, more = _read(case, audit, names, after, size, newest_first=False)
        shown = items[::-1]
        return TimelinePage(shown, older=_cursor(shown[-1]) if shown else "", newer=_cursor(shown[0]) if more else "")
    items, more = _read(case, audit, names, before, size, newest_first=True)
    return TimelinePage(
        items,
        older=_cursor(items[-1]) if more and items else "",
        newer=_cursor(items[0]) if before is not None and items else "",
    )


def _read(
    case: Mapping[str, Any],
    audit: AuditLog,
    names: Mapping[str, str],
    cursor: Place | None,
    size: int,
    *,
    newest_first: bool,
) -> tuple[list[TimelineItem], bool]:
    """Up to `size` items beyond `cursor` (older ones if `newest_first`, else newer ones, nearest first), and
    whether there are more beyond them."""
    reach = MARGIN if newest_first else -MARGIN
    bound = _entry_bound(cursor[0] + reach) if cursor else None
    entries: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    for _ in range(MAX_READS):
        batch, start = audit.window(
            str(case["reference"]), bound=bound, newest_first=newest_first, limit=READ_BATCH, start=start
        )
        entries += batch
        beyond = _beyond(merge(case, entries, names), cursor, newest_first)
        placed = beyond if start is None else _placed(beyond, entries[-1], newest_first)
        if start is None or len(placed) > size:
            break
    # more: past the page, or entries not read yet (the reads ran out: the next page goes on from the last shown)
    return placed[:size], len(placed) > size or start is not None


def _beyond(items: list[TimelineItem], cursor: Place | None, newest_first: bool) -> list[TimelineItem]:
    """The items past the cursor, nearest first."""
    ordered = items if newest_first else items[::-1]
    if cursor is None:
        return ordered
    return [item for item in ordered if (_place(item) < cursor if newest_first else _place(item) > cursor)]


def _placed(items: list[TimelineItem], last_read: Mapping[str, Any], newest_first: bool) -> list[TimelineItem]:
    """The items whose place the audit entries read so far settle: those at least MARGIN from the last one read."""
    edge = datetime.fromisoformat(str(last_read["at"]))
    edge = edge if edge.tzinfo else edge.replace(tzinfo=UTC)
    if newest_first:
        return [item for item in items if _place(item)[0] >= edge + MARGIN]
    return [item for item in items if _place(item)[0] <= edge - MARGIN]


def _place(item: TimelineItem) -> Place:
    return item.key or (item.at, 0, item.id)


def _cursor(item: TimelineItem) -> str:
    return encode_cursor(_place(item))


def _entry_bound(moment: datetime) -> str:
    """An audit entry key's time part (console/audit.py: milliseconds, UTC), to bound a Query of them."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
