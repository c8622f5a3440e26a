"""Drafts: a resident's answers between pages, kept server-side (DynamoDB, TTL 28 days after the last save).

A draft is keyed by a random id that only the resident's cookie holds. A saved draft also has a `save_id`, which
names it in events and in its save-and-return link without letting anyone in (web/return_links.py); a pointer
item `save#<save_id>` finds the draft by it. Answers are stored as one JSON string, so values keep their types
(DynamoDB would turn numbers into Decimals).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from web.security import DRAFT_LIFETIME_SECONDS

REMINDER_DAYS = (7, 1)  # days before expiry that a saved draft's owner is reminded


SPENT_UPLOADS_KEPT = 20


@dataclass
class Draft:
    id: str
    service_id: str
    answers: dict[str, Any] = field(default_factory=dict)
    completed: list[str] = field(default_factory=list)  # page ids answered and validated
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # question id -> upload waiting for its scan
    lookups: dict[str, dict[str, Any]] = field(default_factory=dict)  # question id -> addresses found at a postcode
    # Upload forms whose file was removed or replaced: S3 still takes a post with them until they expire, and
    # what comes back through one is refused (web/file_pages.py).
    spent_uploads: list[str] = field(default_factory=list)
    expires_at: int = 0  # epoch seconds
    reference: str | None = None  # set once submitted
    amount_due_pence: int = 0
    email: str | None = None  # for save and return only; never put in an event
    save_id: str | None = None  # names a saved draft in events and links: not a way in by itself
    return_secret: str | None = None  # the one live save-and-return link's secret (web/return_links.py)
    return_for: str | None = None  # the event the live link was made for (a retried email gets the same link)

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at <= (now or time.time())

    @property
    def submitted(self) -> bool:
        return self.reference is not None

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "draft_id": self.id,
            "service_id": self.service_id,
            "answers": json.dumps(self.answers, separators=(",", ":")),
            "completed": json.dumps(self.completed),
            "uploads": json.dumps(self.uploads, separators=(",", ":")),
            "lookups": json.dumps(self.lookups, separators=(",", ":")),
            "spent_uploads": json.dumps(self.spent_uploads),
            "expires_at": self.expires_at,
            "amount_due_pence": self.amount_due_pence,
        }
        for name in ("reference", "email", "save_id", "return_secret", "return_for"):
            if getattr(self, name) is not None:
                item[name] = getattr(self, name)
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Draft:
        return cls(
            id=str(item["draft_id"]),
            service_id=str(item["service_id"]),
            answers=json.loads(item.get("answers") or "{}"),
            completed=json.loads(item.get("completed") or "[]"),
            uploads=json.loads(item.get("uploads") or "{}"),
            lookups=json.loads(item.get("lookups") or "{}"),
            spent_uploads=json.loads(item.get("spent_uploads") or "[]"),
            expires_at=int(item.get("expires_at", 0)),
            reference=item.get("reference"),
            amount_due_pence=int(item.get("amount_due_pence", 0)),
            email=item.get("email"),
            save_id=item.get("save_id"),
            return_secret=item.get("return_secret"),
            return_for=item.get("return_for"),
        )

    def spend_upload(self, upload_id: str) -> None:
        """No file coming back through this upload form is taken again (the most recent few are kept: a form
        expires within minutes, and a draft cannot grow without bound)."""
        if upload_id and upload_id not in self.spent_uploads:
            self.spent_uploads = [*self.spent_uploads, upload_id][-SPENT_UPLOADS_KEPT:]

    def touch(self, now: float | None = None) -> None:
        self.expires_at = int((now or time.time()) + DRAFT_LIFETIME_SECONDS)

    def expiry_date(self) -> str:
        day = datetime.fromtimestamp(self.expires_at, UTC)
        return f"{day.day} {day:%B %Y}"


def reminder_keys(draft_id: str) -> list[str]:
    return [f"{draft_id}#remind-{days}" for days in REMINDER_DAYS]


def reminder_items(draft: Draft) -> list[dict[str, Any]]:
    """Two small items a daily schedule finds by date (a sparse index): 7 days and 1 day before expiry."""
    expires = datetime.fromtimestamp(draft.expires_at, UTC)
    return [
        {
            "draft_id": key,
            "reminds": draft.id,
            "service_id": draft.service_id,
            "remind_on": (expires - timedelta(days=days)).date().isoformat(),
            "days_left": days,
            "draft_expires_at": draft.expires_at,
            "expires_at": draft.expires_at,
        }
        for days, key in zip(REMINDER_DAYS, reminder_keys(draft.id), strict=True)
    ]


def save_pointer(draft: Draft) -> dict[str, Any]:
    """The item that finds a saved draft by its `save_id` (it holds no answers, so `get` never returns it)."""
    return {"draft_id": f"save#{draft.save_id}", "saved_draft": draft.id, "expires_at": draft.expires_at}


class DraftStore(Protocol):
    def get(self, draft_id: str) -> Draft | None: ...
    def get_saved(self, save_id: str) -> Draft | None: ...
    def point_to(self, draft: Draft) -> None: ...
    def put(self, draft: Draft) -> None: ...
    def delete(self, draft_id: str) -> None: ...
    def put_reminders(self, draft: Draft) -> None: ...
    def reminders_due(self, day: str) -> list[dict[str, Any]]: ...


class DynamoDraftStore:
    """Drafts in the Drafts table; reminders through its `ByReminderDay` index."""

    INDEX = "ByReminderDay"

    def __init__(self, table_name: str) -> None:
        from shared import aws

        self._table = aws.table(table_name)

    def get(self, draft_id: str) -> Draft | None:
        item = self._table.get_item(Key={"draft_id": draft_id}, ConsistentRead=True).get("Item")
        if item is None or "answers" not in item:
            return None
        return Draft.from_item(item)

    def put(self, draft: Draft) -> None:
        self._table.put_item(Item=draft.to_item())

    def get_saved(self, save_id: str) -> Draft | None:
        pointer = self._table.get_item(Key={"draft_id": f"save#{save_id}"}, ConsistentRead=True).get("Item")
        return self.get(str(pointer["saved_draft"])) if pointer else None

    def point_to(self, draft: Draft) -> None:
        self._table.put_item(Item=save_pointer(draft))

    def delete(self, draft_id: str) -> None:
        """The draft and its reminder items (a reminder for a deleted draft would be skipped anyway)."""
        for key in (draft_id, *reminder_keys(draft_id)):
            self._table.delete_item(Key={"draft_id": key})

    def put_reminders(self, draft: Draft) -> None:
        for item in reminder_items(draft):
            self._table.put_item(Item=item)

    def reminders_due(self, day: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"IndexName": self.INDEX, "KeyConditionExpression": Key("remind_on").eq(day)}
        while True:
            page = self._table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class MemoryDraftStore:
    """The same behaviour in memory (unit tests and benchmarks)."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def get(self, draft_id: str) -> Draft | None:
        item = self.items.get(draft_id)
        return Draft.from_item(json.loads(json.dumps(item))) if item and "answers" in item else None

    def put(self, draft: Draft) -> None:
        self.items[draft.id] = draft.to_item()

    def get_saved(self, save_id: str) -> Draft | None:
        pointer = self.items.get(f"save#{save_id}")
        return self.get(str(pointer["saved_draft"])) if pointer else None

    def point_to(self, draft: Draft) -> None:
        item = save_pointer(draft)
        self.items[item["draft_id"]] = item

    def delete(self, draft_id: str) -> None:
        for key in (draft_id, *reminder_keys(draft_id)):
            self.items.pop(key, None)

    def put_reminders(self, draft: Draft) -> None:
        for item in reminder_items(draft):
            self.items[item["draft_id"]] = item

    def reminders_due(self, day: str) -> list[dict[str, Any]]:
        return [item for item in self.items.values() if item.get("remind_on") == day]
