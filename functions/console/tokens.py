"""Cognito's tokens, checked by the console itself (not only by a gateway): signed by a key in the staff pool's
JWKS, from the pool's issuer, for the console's app client, an ID token, unexpired.

PKCE (RFC 7636): the verifier is 64 random URL-safe characters, the challenge its SHA-256 (S256 only).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import jwt

JWKS_TIMEOUT_SECONDS = 3


class TokenRefused(Exception):
    """Not a token this console accepts (the reason is for logs, never for the page)."""


def new_code_verifier() -> str:
    return secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43-128


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@cache
def published_keys(jwks_url: str) -> dict[str, Any]:
    """The pool's signing keys by key id, fetched once per container (Cognito rotates none without notice)."""
    with urllib.request.urlopen(jwks_url, timeout=JWKS_TIMEOUT_SECONDS) as response:  # noqa: S310 - https in AWS
        document = json.loads(response.read())
    return {key["kid"]: jwt.PyJWK.from_json(json.dumps(key)).key for key in document["keys"]}


@dataclass(frozen=True)
class TokenVerifier:
    issuer: str  # https://cognito-idp.<region>.amazonaws.com/<pool id>
    client_id: str
    keys: Callable[[], dict[str, Any]]

    def verify_id_token(self, token: str) -> dict[str, Any]:
        """The claims of a valid ID token; raises TokenRefused for anything else."""
        try:
            key = self.keys().get(str(jwt.get_unverified_header(token).get("kid")))
            if key is None:
                raise TokenRefused("signed with a key the pool does not publish")
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub", "token_use"]},
            )
        except jwt.PyJWTError as error:
            raise TokenRefused(type(error).__name__) from error
        if claims.get("token_use") != "id":
            raise TokenRefused("not an ID token")
        if int(claims["exp"]) <= time.time():
            raise TokenRefused("expired")
        return claims
