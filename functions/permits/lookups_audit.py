"""The enforcement look-ups' audit: one item per look-up in the PermitLookups table, appended and never changed.

Keyed by the device's client id (`device`) and `<checked at>#<look-up id>` (`at`), so a device's look-ups read in
time order. Each holds the mark as typed by the officer, normalised (not hashed: an unkeyed hash of a registration
mark is reversed by trying every mark, and the audit must answer "who looked this vehicle up"), the zone, the
answer and the permit or session id it named. A page of the devices' offline feed is one item too (`feed-page`:
how many entries it gave, from which cursor). The check function may only PutItem, under a condition that the key
is new; the table is encrypted with the council's key and items expire (`expires_at`) after two years.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from permits.enforcement import Answer

RETENTION = timedelta(days=2 * 365)


def record(table: Any, device: str, answer: Answer) -> str:
    """Append the look-up; returns its id."""
    lookup_id = uuid.uuid4().hex
    moment: datetime = answer.checked_at
    table.put_item(
        Item={
            "device": device,
            "at": f"{moment.isoformat()}#{lookup_id}",
            "lookup_id": lookup_id,
            "vrm": answer.vrm,
            "zone": answer.zone,
            "answer": str(answer.outcome),
            "permit_id": answer.permit_id,
            "session_id": answer.session_id,
            "expires_at": int((moment + RETENTION).timestamp()),
        },
        ConditionExpression="attribute_not_exists(device)",
    )
    return lookup_id


def record_feed_page(table: Any, device: str, moment: datetime, *, entries: int, cursor: str) -> str:
    """Append one page of the offline feed given to a device (how many entries, from which cursor); its id."""
    lookup_id = uuid.uuid4().hex
    table.put_item(
        Item={
            "device": device,
            "at": f"{moment.isoformat()}#{lookup_id}",
            "lookup_id": lookup_id,
            "answer": "feed-page",
            "entries": entries,
            "cursor": cursor,
            "expires_at": int((moment + RETENTION).timestamp()),
        },
        ConditionExpression="attribute_not_exists(device)",
    )
    return lookup_id
