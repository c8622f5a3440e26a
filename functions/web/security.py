"""Signed tokens and cookies: CSRF (signed double submit bound to the draft) and upload callbacks.

The signing key comes from Secrets Manager (`SIGNING_SECRET_ID`, read once per container) or, in the local cloud
and unit tests only, from `SIGNING_KEY` directly (web/settings.py). In the local cloud the stack's generated secret
is created afresh each run.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from functools import cache
from typing import Any

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

DRAFT_COOKIE = "borough_draft"
CSRF_COOKIE = "borough_csrf"
CSRF_FIELD = "csrf_token"
DRAFT_LIFETIME_SECONDS = 28 * 24 * 60 * 60  # 28 days: a draft (and its cookie) lasts this long after its last save
UPLOAD_TOKEN_SECONDS = 30 * 60  # 30 minutes to pick a file and upload it
# Reminder pages have no draft: their CSRF tokens are signed for this fixed binding instead (a draft id is 20+
# characters, so a draft's token never passes here), in a cookie scoped to /reminders.
REMINDERS_CSRF_BINDING = "reminders"
REMINDERS_CSRF_SECONDS = 24 * 60 * 60
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{1,100}")  # <payload or nonce>.<signature>


class CsrfMissing(Exception):
    """No token in the form or no token cookie (400)."""


class CsrfInvalid(Exception):
    """A token that does not match the cookie or the draft (403)."""


@cache
def signing_key() -> bytes:
    from shared import aws
    from web.settings import signing_settings

    configured = signing_settings()
    return aws.signing_key(configured.signing_key, configured.signing_secret_id)


def _sign(purpose: str, message: str, key: bytes | None = None) -> str:
    digest = hmac.new(key or signing_key(), f"{purpose}\n{message}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def signed_value(purpose: str, value: str) -> str:
    """A signature of `value` for a hidden form field the web gave out itself (checked with `is_signed_value`)."""
    return _sign(purpose, value)


def is_signed_value(purpose: str, value: str, signature: str) -> bool:
    return bool(signature) and hmac.compare_digest(signature, _sign(purpose, value))


def new_draft_id() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits; also the submission's Idempotency-Key (8-128 chars)


def is_draft_id(value: str) -> bool:
    return 20 <= len(value) <= 64 and all(c.isalnum() or c in "-_" for c in value)


def csrf_token(draft_id: str) -> str:
    """The token for forms of this draft: a fresh nonce and its signature bound to the draft id."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_sign('csrf', f'{draft_id}.{nonce}')}"


def _well_formed(token: str) -> bool:
    """A token of ours is URL-safe base64 pieces; anything else (non-ASCII, surrogates) is refused unread, since
    `hmac.compare_digest` refuses non-ASCII text with an exception."""
    return _TOKEN.fullmatch(token) is not None


def check_csrf(draft_id: str | None, form_token: str, cookie_token: str) -> None:
    """Double submit (the form's token equals the cookie's) and signed (the token belongs to this draft)."""
    if not form_token or not cookie_token:
        raise CsrfMissing("no CSRF token")
    if not (_well_formed(form_token) and _well_formed(cookie_token)):
        raise CsrfInvalid("not a token of ours")
    if not hmac.compare_digest(form_token, cookie_token):
        raise CsrfInvalid("the form's token does not match the cookie")
    nonce, _, signature = form_token.partition(".")
    if not draft_id or not hmac.compare_digest(signature, _sign("csrf", f"{draft_id}.{nonce}")):
        raise CsrfInvalid("the token was not issued for this draft")


def upload_token(draft_id: str, question_id: str, upload_id: str, now: float | None = None) -> str:
    """What S3 hands back to us after an upload: which draft, question and upload, signed, with an expiry."""
    payload = {"d": draft_id, "q": question_id, "u": upload_id, "e": int((now or time.time()) + UPLOAD_TOKEN_SECONDS)}
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{_sign('upload', body)}"


def read_upload_token(token: str, now: float | None = None) -> dict[str, Any] | None:
    body, _, signature = token.partition(".")
    if not _well_formed(token) or not hmac.compare_digest(signature, _sign("upload", body)):
        return None
    try:
        payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if int(payload.get("e", 0)) < (now or time.time()):
        return None
    return payload


def new_save_id() -> str:
    return secrets.token_urlsafe(12)  # names a saved draft; lets nobody in (a link also needs its secret)


def new_return_secret() -> str:
    return secrets.token_urlsafe(24)  # 192 random bits: the part of a save-and-return link that lets you in


def cookie(name: str, value: str, *, path: str, secure: bool, max_age: int = DRAFT_LIFETIME_SECONDS) -> Cookie:
    """HttpOnly, SameSite=Lax, Secure (except on http://127.0.0.1 in the local cloud), scoped to `path`."""
    return Cookie(name, value, path=path, secure=secure, http_only=True, max_age=max_age, same_site=SameSite.LAX_MODE)
