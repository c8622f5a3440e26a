"""API Gateway's JWT authorizer, checking tokens from moto's Cognito against moto's published signing key.

As API Gateway does: the token comes from the authorizer's identity source (the `Authorization` header, with or
without `Bearer `); it must be signed by a key in the issuer's JWKS, unexpired, from the configured issuer, and
its `aud` (ID tokens) or `client_id` (access tokens) must be one of the configured audiences. Claims reach the
function as strings (lists as `[a b]`), which is what API Gateway HTTP APIs send.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import jwt


class Unauthorized(Exception):
    pass


class Forbidden(Exception):
    pass


@dataclass(frozen=True)
class JwtAuthorizer:
    identity_source: str  # e.g. `$request.header.Authorization`
    issuer: str
    audiences: tuple[str, ...]

    @classmethod
    def from_properties(cls, properties: dict[str, Any]) -> JwtAuthorizer:
        config = properties.get("JwtConfiguration", {})
        sources = properties.get("IdentitySource") or ["$request.header.Authorization"]
        return cls(
            identity_source=sources[0] if isinstance(sources, list) else str(sources),
            issuer=str(config.get("Issuer", "")),
            audiences=tuple(str(a) for a in config.get("Audience", [])),
        )

    def authorize(self, headers: dict[str, str], query: dict[str, str], required_scopes: list[str]) -> dict[str, Any]:
        """The `requestContext.authorizer` for a valid token; raises Unauthorized or Forbidden otherwise."""
        token = self._token(headers, query)
        claims = self._verify(token)
        scopes = str(claims.get("scope", "")).split() if "scope" in claims else None
        if required_scopes and not set(required_scopes) & set(scopes or []):
            raise Forbidden("token has none of the route's authorization scopes")
        return {"jwt": {"claims": {k: _claim_text(v) for k, v in claims.items()}, "scopes": scopes}}

    def _token(self, headers: dict[str, str], query: dict[str, str]) -> str:
        source = self.identity_source
        value = ""
        if source.startswith("$request.header."):
            value = headers.get(source.removeprefix("$request.header.").lower(), "")
        elif source.startswith("$request.querystring."):
            value = query.get(source.removeprefix("$request.querystring."), "")
        value = value.strip()
        if value.lower().startswith("bearer "):
            value = value[7:].strip()
        if not value:
            raise Unauthorized("no token in " + source)
        return value

    def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
            key = _signing_keys().get(str(header.get("kid")))
            if key is None:
                raise Unauthorized("token signed with an unknown key")
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"verify_aud": False, "require": ["exp", "iss"]},
                leeway=0,
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(str(error)) from error
        audience = claims.get("aud", claims.get("client_id"))
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audiences and not set(self.audiences) & {str(a) for a in audiences}:
            raise Unauthorized("token audience is not one of the authorizer's audiences")
        if claims.get("exp", 0) < time.time():
            raise Unauthorized("token expired")
        return claims


@cache
def _signing_keys() -> dict[str, Any]:
    """moto's Cognito signs every token with the one key pair it ships; its public half is the issuer's JWKS."""
    from moto.utilities.utils import load_resource

    keys = load_resource("cognitoidp/resources/jwks-public.json")["keys"]
    return {key["kid"]: jwt.PyJWK.from_json(json.dumps(key)).key for key in keys}


def _claim_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
