"""Signed, expiring link tokens: `<reference>.<expires_at>.<signature>` (HMAC-SHA256 over a purpose, the reference
and the expiry, with the key of the service that mints and reads them).

The reference names what the link opens (not a secret: the signature is what the link proves) and `expires_at`
(Unix seconds) when it stops working. A token is a bearer value: never logged or stored. The purpose keeps one
service's tokens from opening another's pages even if a key were shared. Used by the renewal links
(renewals/links.py) and the permit manage links (permits/manage_links.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

MAX_TOKEN_LENGTH = 200


def signature(purpose: str, reference: str, expires_at: int, key: bytes) -> str:
    digest = hmac.new(key, f"{purpose}\n{reference}\n{expires_at}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def mint_token(purpose: str, reference: str, expires_at: int, key: bytes) -> str:
    if "." in reference or not reference:
        raise ValueError("a link's reference must be non-empty and hold no dot")
    return f"{reference}.{expires_at}.{signature(purpose, reference, expires_at, key)}"


def read_token(purpose: str, token: str, key: bytes, *, now: float | None = None) -> tuple[str | None, str]:
    """(the reference, "") for a good token; (None, "invalid" | "expired") otherwise."""
    parts = token.split(".") if isinstance(token, str) and len(token) <= MAX_TOKEN_LENGTH else []
    if len(parts) != 3 or not parts[1].isdigit() or not parts[0]:
        return None, "invalid"
    reference, expires_at, signed = parts[0], int(parts[1]), parts[2]
    if not hmac.compare_digest(signed, signature(purpose, reference, expires_at, key)):
        return None, "invalid"
    if (time.time() if now is None else now) >= expires_at:
        return None, "expired"
    return reference, ""
