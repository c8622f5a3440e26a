"""The enforcement devices' offline feed: every permit, visitor session and carer session (`carer-session`, with its
carer permit's id; a carer permit itself is a `carer-permit` entry, with no mark) changed since a cursor, in pages, each
page signed so that a device can trust what it holds when it has no signal.

A device starts with no cursor (the first page begins `FIRST_MONTHS` months back, enough for the longest permit and
its grace period) and follows `next_cursor` until `up_to_date`; later it asks again with its last cursor and gets
only what changed since. Entries are applied by id, the newest winning: a permit that was revoked or expired comes
again with its new status, so a device stops accepting it. An entry carries what enforcement needs (mark, zone,
type, dates, status) and nothing about the household.

The feed reads the Permits table's `by-change` index (partition: the UTC month of the latest change; sort:
`<changed at>#<id>`), one Query page at a time: never a Scan. Changes of the last `SETTLE` are left for the next
call, so that a write whose time is a little earlier than another's but which commits later is not passed over.

Signing: the signed message is the lower-case hex SHA-256 of the page's exact bytes (64 ASCII characters: a page is
larger than KMS's 4 KB limit for a raw message), signed by a KMS asymmetric key (ECC_NIST_P256, ECDSA_SHA_256,
message type RAW) whose private half never leaves KMS. The device verifies the signature over that hex text with
the public key (`GET /api/v1/permits/feed/key`), which it fetches when it has a signal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from permits.store import CARER_SESSION, PERMIT, SESSION

FIRST_MONTHS = 14  # the longest permit (12 months) and an expiry grace period, in whole months
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
SETTLE = timedelta(seconds=5)
ALGORITHM = "ECDSA_SHA_256"
# What the `by-change` index projects (stacks/permits_stack.py): what `entry` reads, never the household.
FEED_ATTRIBUTES = (
    "record",
    "permit_id",
    "session_id",
    "vrm",
    "zone",
    "kind",
    "valid_from",
    "valid_to",
    "status",
    "start",
    "end",
)


class InvalidCursor(ValueError):
    """A cursor this feed did not give (or one altered)."""


class Changes(Protocol):
    def changes(self, month: str, *, after: str = "", limit: int) -> tuple[list[dict[str, Any]], bool]: ...


@dataclass(frozen=True)
class Cursor:
    month: str  # YYYY-MM (UTC)
    after: str  # a `feed_at`: the last entry given; "" for the start of the month

    def encode(self) -> str:
        raw = json.dumps({"m": self.month, "a": self.after}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        if not isinstance(text, str) or not 0 < len(text) <= 300:
            raise InvalidCursor("The cursor is not one this feed gave.")
        try:
            fields = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            month, after = fields["m"], fields["a"]
            datetime.strptime(month, "%Y-%m")
        except (binascii.Error, ValueError, KeyError, TypeError) as error:
            raise InvalidCursor("The cursor is not one this feed gave.") from error
        if not isinstance(after, str) or (after and not after.startswith(month)):
            raise InvalidCursor("The cursor is not one this feed gave.")
        return cls(month, after)


def _month(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m}"


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def first_month(now: datetime) -> str:
    year, number = now.astimezone(UTC).year, now.astimezone(UTC).month - FIRST_MONTHS
    while number < 1:
        year, number = year - 1, number + 12
    return f"{year}-{number:02d}"


def entry(item: dict[str, Any]) -> dict[str, Any]:
    """What a device keeps of one permit or session: enough to enforce, nothing about the household."""
    changed_at = str(item["feed_at"]).split("#", 1)[0]
    if item.get("record") == PERMIT and item.get("kind") == "carer":  # no mark: its sessions carry the carers' marks
        return {
            "type": "carer-permit",
            "id": str(item["permit_id"]),
            "zone": str(item["zone"]),
            "valid_from": str(item["valid_from"]),
            "valid_to": str(item["valid_to"]),
            "status": str(item["status"]),
            "changed_at": changed_at,
        }
    if item.get("record") == PERMIT:
        return {
            "type": "permit",
            "id": str(item["permit_id"]),
            "vrm": str(item["vrm"]),
            "zone": str(item["zone"]),
            "kind": str(item["kind"]),
            "valid_from": str(item["valid_from"]),
            "valid_to": str(item["valid_to"]),
            "status": str(item["status"]),
            "changed_at": changed_at,
        }
    if item.get("record") == SESSION:
        return {
            "type": "visitor-session",
            "id": str(item["session_id"]),
            "vrm": str(item["vrm"]),
            "zone": str(item["zone"]),
            "start": str(item["start"]),
            "end": str(item["end"]),
            "changed_at": changed_at,
        }
    if item.get("record") == CARER_SESSION:  # ended early or with its permit: it comes again with its new end
        return {
            "type": "carer-session",
            "id": str(item["session_id"]),
            "permit_id": str(item["permit_id"]),
            "vrm": str(item["vrm"]),
            "zone": str(item["zone"]),
            "start": str(item["start"]),
            "end": str(item["end"]),
            "changed_at": changed_at,
        }
    raise ValueError("Only permits, visitor sessions and carer sessions are in the feed.")


@dataclass(frozen=True)
class FeedPage:
    entries: list[dict[str, Any]]
    next_cursor: Cursor
    up_to_date: bool  # nothing more to fetch now: come back later with next_cursor

    def body(self) -> bytes:
        """The page as sent and as signed: these exact bytes."""
        document = {
            "entries": self.entries,
            "next_cursor": self.next_cursor.encode(),
            "up_to_date": self.up_to_date,
        }
        return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def read_limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise ValueError(f"The limit is a whole number from 1 to {MAX_LIMIT}.")
    return int(text)


def page(store: Changes, cursor: Cursor | None, *, limit: int, now: datetime) -> FeedPage:
    """Up to `limit` entries after `cursor` (from `first_month` without one), oldest change first."""
    horizon = (now - SETTLE).astimezone(UTC).isoformat(timespec="microseconds")
    last_month = _month(now - SETTLE)
    month, after = (cursor.month, cursor.after) if cursor else (first_month(now), "")
    entries: list[dict[str, Any]] = []
    while True:
        items, more = store.changes(month, after=after, limit=limit - len(entries))
        settled = [i for i in items if str(i["feed_at"]) < horizon]
        entries += [entry(i) for i in settled]
        if settled:
            after = str(settled[-1]["feed_at"])
        if len(settled) < len(items):  # reached the changes still settling: stop before them
            return FeedPage(entries, Cursor(month, after), True)
        if more and len(entries) < limit:
            continue
        if more:
            return FeedPage(entries, Cursor(month, after), False)
        if month >= last_month:
            return FeedPage(entries, Cursor(month, after), True)
        month, after = _next_month(month), ""
        if len(entries) >= limit:
            return FeedPage(entries, Cursor(month, after), False)


class Signer(Protocol):
    def sign(self, body: bytes) -> str: ...

    def public_key(self) -> dict[str, str]: ...


def signed_message(body: bytes) -> bytes:
    """What is signed for a page: its SHA-256 in lower-case hex, as ASCII."""
    return hashlib.sha256(body).hexdigest().encode()


class KmsSigner:
    """Signs with a KMS asymmetric key (ECC_NIST_P256): only the page's hex digest is sent to KMS."""

    def __init__(self, client: Any, key_id: str) -> None:
        self._client, self._key_id = client, key_id

    def sign(self, body: bytes) -> str:
        signed = self._client.sign(
            KeyId=self._key_id,
            Message=signed_message(body),
            MessageType="RAW",
            SigningAlgorithm=ALGORITHM,
        )
        return base64.b64encode(signed["Signature"]).decode()

    def public_key(self) -> dict[str, str]:
        found = self._client.get_public_key(KeyId=self._key_id)
        return {
            "key_id": str(found["KeyId"]).rsplit("/", 1)[-1],
            "algorithm": ALGORITHM,
            "public_key": base64.b64encode(found["PublicKey"]).decode(),  # DER SubjectPublicKeyInfo
        }
