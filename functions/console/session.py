"""The staff session, kept in cookies the browser cannot read (HttpOnly, Secure, SameSite=Lax, path /staff):
Cognito's ID token (who, which groups; checked on every request) and refresh token (renews the ID token within
the session's lifetime; revoked on sign-out). The sign-in's state and PKCE verifier wait in a signed cookie of
their own for ten minutes. Forms carry a CSRF token: an HMAC of the session's refresh token, so it is bound to
this sign-in and changes with the next one.

SameSite is Lax, not Strict: the browser arrives at /staff/callback from Cognito's domain, and a Strict cookie set
there would not be sent on the redirect that follows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

PATH = "/staff"
ID_COOKIE = "borough_staff_id"
REFRESH_COOKIE = "borough_staff_refresh"
SIGN_IN_COOKIE = "borough_staff_sign_in"
CSRF_FIELD = "csrf_token"
SIGN_IN_SECONDS = 10 * 60
SESSION_SECONDS = 8 * 60 * 60  # a working day: then sign in again (the app client's refresh tokens last as long)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cookie(name: str, value: str, max_age: int) -> Cookie:
    return Cookie(
        name=name, value=value, path=PATH, secure=True, http_only=True, same_site=SameSite.LAX_MODE, max_age=max_age
    )


def expired(name: str) -> Cookie:
    return cookie(name, "", 0)


@dataclass(frozen=True)
class Signer:
    key: bytes

    def sign(self, purpose: str, message: str) -> str:
        return _b64(hmac.new(self.key, f"{purpose}\n{message}".encode(), hashlib.sha256).digest())

    def matches(self, purpose: str, message: str, signature: str) -> bool:
        return hmac.compare_digest(self.sign(purpose, message), signature)

    # -- the sign-in in progress ----------------------------------------------------------------------------------
    def sign_in_cookie(self, state: str, verifier: str, *, now: float | None = None) -> Cookie:
        payload = _b64(
            json.dumps({"s": state, "v": verifier, "e": int((now or time.time()) + SIGN_IN_SECONDS)}).encode()
        )
        return cookie(SIGN_IN_COOKIE, f"{payload}.{self.sign('sign-in', payload)}", SIGN_IN_SECONDS)

    def pending_sign_in(self, value: str, *, now: float | None = None) -> tuple[str, str] | None:
        """(state, verifier) from an untampered, unexpired sign-in cookie, else None."""
        payload, _, signature = value.partition(".")
        if not payload or not self.matches("sign-in", payload, signature):
            return None
        try:
            data: dict[str, Any] = json.loads(_unb64(payload))
        except ValueError:
            return None
        if int(data.get("e", 0)) < (now or time.time()):
            return None
        return str(data["s"]), str(data["v"])

    # -- CSRF -----------------------------------------------------------------------------------------------------
    def csrf_token(self, refresh_token: str) -> str:
        return self.sign("csrf", hashlib.sha256(refresh_token.encode()).hexdigest())

    def csrf_valid(self, refresh_token: str, token: str) -> bool:
        return bool(refresh_token and token) and self.matches(
            "csrf", hashlib.sha256(refresh_token.encode()).hexdigest(), token
        )


def new_state() -> str:
    return secrets.token_urlsafe(24)


def session_cookies(id_token: str, refresh_token: str | None) -> list[Cookie]:
    cookies = [cookie(ID_COOKIE, id_token, SESSION_SECONDS)]
    if refresh_token:
        cookies.append(cookie(REFRESH_COOKIE, refresh_token, SESSION_SECONDS))
    return cookies


def signed_out_cookies() -> list[Cookie]:
    return [expired(ID_COOKIE), expired(REFRESH_COOKIE), expired(SIGN_IN_COOKIE)]
