"""Manage links: the signed, expiring link in the permit-issued email that opens the resident's permit in the web
(`/permits/manage/<token>`) without an account, to change its vehicle or cancel it.

- `manage_path(reference, valid_to, key)`: `/permits/manage/<reference>.<expires_at>.<signature>`
  (shared/signed_links.py, purpose `permit-manage`, the permits' own key), working until 30 days after the permit's
  last day. The `contact` action adds it as `manage_path` for an issued permit, for the notifications service's
  email; it is a bearer value: never logged, never in an event or the message record.
- `{"action": "manage", "token"}` (the web, for every manage page and before each change): 200 with the
  application (`public()`: reference, status, mark, zone, type, dates, amount; no email), or 404 with `reason`
  (`invalid`, `expired`, `unknown`). The web then names the permit by the reference the token gave.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from shared import aws, signed_links

PURPOSE = "permit-manage"
MANAGE_PATH = "/permits/manage"
LINK_GRACE = timedelta(days=30)  # the link still shows an ended permit (and its refund) for a while


@cache
def manage_key() -> bytes:
    from permits.settings import application_settings

    configured = application_settings()
    return aws.signing_key(configured.manage_link_key, configured.manage_link_key_secret_id)


def expires_at(valid_to: date) -> int:
    end = valid_to + LINK_GRACE
    return int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp())


def manage_path(reference: str, valid_to: date, key: bytes) -> str:
    return f"{MANAGE_PATH}/{signed_links.mint_token(PURPOSE, reference, expires_at(valid_to), key)}"


def with_manage_path(contact: dict[str, Any], key: bytes) -> dict[str, Any]:
    """The `contact` answer, with `manage_path` when the application's permit is issued, and `renew_path` (the
    same link's renewal page, for the renewal-due reminder; not for a carer permit, renewed by applying again)."""
    if contact.get("status") != "issued":
        return contact
    path = manage_path(str(contact["reference"]), date.fromisoformat(str(contact["valid_to"])), key)
    if contact.get("kind") == "carer":
        return {**contact, "manage_path": path}
    return {**contact, "manage_path": path, "renew_path": f"{path}/renew"}


def link_reference(token: str, key: bytes) -> str | None:
    """The application reference a good, unexpired manage link names (the visitor pages: permits.manage_wallet)."""
    return signed_links.read_token(PURPOSE, token, key)[0]


def open_manage(token: str, get: Any, key: bytes, *, now: float | None = None, due: Any = None) -> dict[str, Any]:
    """`{"status", "body"}` for the `manage` action: `get(reference)` is the application (`Applications.get`);
    `due(reference)`, when given, a correction still to pay (`correction_due`: permits.corrections), or None."""
    reference, reason = signed_links.read_token(PURPOSE, token, key, now=now)
    if reference is None:
        return {"status": 404, "body": {"reason": reason, "detail": "This link does not work."}}
    found = get(reference)
    if found is None:
        return {"status": 404, "body": {"reason": "unknown", "detail": "This link does not work."}}
    body = found.public()
    correction = due(reference) if due is not None else None
    if correction:
        body["correction_due"] = correction
    return {"status": 200, "body": body}
