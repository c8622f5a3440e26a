"""Draft-expiry reminders (issue 9, item 6): a re-run of the daily schedule publishes the same event ids, so the
notifications consumer (message id = uuid5(event id, recipient, template)) sends nothing twice."""

from __future__ import annotations

import pytest
from web.drafts import Draft, MemoryDraftStore
from web.reminders import send_reminders

pytestmark = pytest.mark.unit

DAY = 24 * 3600
EXPIRES = 1_790_000_000  # a whole number of days from the epoch: remind_on falls on a clean date


def store_with(*drafts: Draft) -> MemoryDraftStore:
    store = MemoryDraftStore()
    for draft in drafts:
        store.put(draft)
        store.put_reminders(draft)
    return store


def reminders_on(store: MemoryDraftStore, expires_at: int, days: int) -> list:
    events: list = []
    day = str(
        next(
            i["remind_on"]
            for i in store.items.values()
            if i.get("days_left") == days and i.get("draft_expires_at") == expires_at
        )
    )
    send_reminders(store, events.append, day=day, correlation_id="run")
    return events


def draft(draft_id: str, expires_at: int = EXPIRES) -> Draft:
    return Draft(
        id=draft_id,
        service_id="complaint",
        expires_at=expires_at,
        email="someone@example.com",
        save_id=f"save-{draft_id[:8]}",  # a saved draft (web/return_links.py)
    )


def test_a_rerun_of_the_schedule_publishes_the_same_event_ids():
    store = store_with(draft("d" * 32), draft("e" * 32))
    first, again = reminders_on(store, EXPIRES, 7), reminders_on(store, EXPIRES, 7)
    assert len(first) == 2
    assert [e.id for e in first] == [e.id for e in again]
    assert len({e.id for e in first}) == 2  # one per draft


def test_each_reminder_of_a_draft_has_its_own_id_and_a_new_expiry_new_ones():
    store = store_with(draft("d" * 32))
    seven, one = reminders_on(store, EXPIRES, 7), reminders_on(store, EXPIRES, 1)
    saved_again = store_with(draft("d" * 32, EXPIRES + 2 * DAY))
    later = reminders_on(saved_again, EXPIRES + 2 * DAY, 7)
    ids = {seven[0].id, one[0].id, later[0].id}
    assert len(ids) == 3
    assert all("d" * 32 not in event_id for event_id in ids)  # the bearer draft id is not in the event id
