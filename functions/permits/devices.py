"""Which enforcement device is calling: the client id of its access token, as the HTTP API's JWT authorizer passed
on its claims. The authorizer admits only the devices' pool, its clients and the `permits/check` scope; the
functions check the scope again rather than trust the route's configuration alone."""

from __future__ import annotations

from typing import Any

from shared.errors import Forbidden

SCOPE = "permits/check"


def device_of(raw_event: dict[str, Any]) -> str:
    """The device's client id; 403 unless the token carries the check scope."""
    context = raw_event.get("requestContext", {})
    claims: dict[str, Any] = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    if SCOPE not in str(claims.get("scope", "")).split() or not claims.get("client_id"):
        raise Forbidden(f"This look-up needs an access token with the {SCOPE} scope.")
    return str(claims["client_id"])
