"""Only CloudFront may reach the functions behind the HTTP API: the origin-verify header.

The HTTP API's own `https://<id>.execute-api.<region>.amazonaws.com` address stays reachable (CloudFront reaches the
API through it) and an HTTP API cannot have a WAF of its own, so a request sent there directly would skip the web
ACL's managed rules and rate limits. CloudFront adds `x-borough-origin-verify: <secret>` to every request it sends
to the API (an origin custom header, from a Secrets Manager secret the API stack generates); every function behind
the API refuses a request without that value with 403, before doing anything else (decision 0003).

The expected value is read from Secrets Manager by the secret's id (its ARN) in `ORIGIN_VERIFY_SECRET_ID` and cached
in the container. A request whose header does not match re-reads it, at most once every `MISS_REFRESH_S` seconds (a
flood of bad requests costs one read per container every few minutes), and the cache is re-read anyway once it is
`MAX_AGE_S` old, so a rotated value reaches every container without redeploying the functions, and a value taken out
of use stops being accepted within that time. Both the current value (`AWSCURRENT`) and the one before it
(`AWSPREVIOUS`) are accepted, so that rotating (a new value, then the web stack's redeploy, which gives CloudFront
the new value) refuses no resident's request while CloudFront's deployment rolls out (docs/decisions/0003).

Without `ORIGIN_VERIFY_SECRET_ID` the check is off: that is how handlers run in unit tests. Every deployed
function behind the API has it (`tests/infra/test_infra_origin_verify.py`).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from shared.settings import FunctionSettings, current

HEADER = "x-borough-origin-verify"
ENVIRONMENT_VARIABLE = "ORIGIN_VERIFY_SECRET_ID"
MISS_REFRESH_S = 180.0  # a header that does not match re-reads the secret at most once every 3 minutes
MAX_AGE_S = 900.0  # values older than 15 minutes are re-read before they are used
STAGES = ("AWSCURRENT", "AWSPREVIOUS")

Fetch = Callable[[str, str], str | None]  # (secret id, version stage) -> the value, None if there is no such version


class OriginVerifySettings(FunctionSettings):
    """What a function behind the HTTP API needs: its settings model derives from this one."""

    origin_verify_secret_id: str = ""  # empty: the check is off (unit tests of handlers)


def fetch_from_secrets_manager(secret_id: str, stage: str) -> str | None:
    from shared import aws

    client = aws.client("secretsmanager")
    try:
        value = client.get_secret_value(SecretId=secret_id, VersionStage=stage).get("SecretString")
    except client.exceptions.ResourceNotFoundException:
        if stage == "AWSCURRENT":
            raise
        return None  # no previous version: the secret was never rotated
    return str(value) if value else None


def header_value(event: Mapping[str, Any]) -> str | None:
    """The origin-verify header of a payload 2.0 event (header names in any case), or None."""
    for name, value in (event.get("headers") or {}).items():
        if str(name).lower() == HEADER:
            return str(value)
    return None


class OriginVerifier:
    """Checks the origin-verify header against the secret's current and previous values (constant time)."""

    def __init__(
        self,
        secret_id: str,
        *,
        fetch: Fetch = fetch_from_secrets_manager,
        clock: Callable[[], float] = time.monotonic,
        miss_refresh_s: float = MISS_REFRESH_S,
        max_age_s: float = MAX_AGE_S,
    ) -> None:
        self.secret_id = secret_id
        self._fetch = fetch
        self._clock = clock
        self._miss_refresh_s = miss_refresh_s
        self._max_age_s = max_age_s
        self._accepted: tuple[bytes, ...] = ()
        self._current = ""
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def _refresh(self) -> None:
        values = [self._fetch(self.secret_id, stage) for stage in STAGES]
        self._current = values[0] or ""
        self._accepted = tuple(value.encode() for value in values if value)
        self._fetched_at = self._clock()

    def _older_than(self, seconds: float) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= seconds

    def _matches(self, supplied: bytes) -> bool:
        matched = False
        for expected in self._accepted:  # every value is compared, whichever matches: no early exit
            matched |= hmac.compare_digest(supplied, expected)
        return matched

    def allows(self, supplied: str | None) -> bool:
        """True if `supplied` is the secret's current or previous value (compared in constant time)."""
        given = (supplied or "").encode()
        with self._lock:
            if self._older_than(self._max_age_s):
                self._refresh()
            if self._matches(given):
                return True
            if not given or not self._older_than(self._miss_refresh_s):
                return False
            self._refresh()  # perhaps rotated since the last read
            return self._matches(given)

    def current(self) -> str:
        """The secret's current value (re-read once it is `max_age_s` old, so rotations reach callers)."""
        with self._lock:
            if self._older_than(self._max_age_s):
                self._refresh()
            return self._current


_verifiers: dict[str, OriginVerifier] = {}


def verifier(secret_id: str | None = None) -> OriginVerifier | None:
    """This container's verifier of the secret `secret_id` (from the calling function's settings; from
    `OriginVerifySettings` when it passes none), or None when there is no secret (the check is off)."""
    if secret_id is None:
        secret_id = current(OriginVerifySettings).origin_verify_secret_id
    if not secret_id:
        return None
    if secret_id not in _verifiers:
        _verifiers[secret_id] = OriginVerifier(secret_id)
    return _verifiers[secret_id]


def is_from_origin(event: Mapping[str, Any], secret_id: str | None = None) -> bool:
    """True if the request came through CloudFront (or the check is off: no `ORIGIN_VERIFY_SECRET_ID`)."""
    check = verifier(secret_id)
    return check is None or check.allows(header_value(event))


def current_value(secret_id: str | None = None) -> str | None:
    """The value to send when a function calls another API function directly (the web invoking the catalogue), or
    None when the check is off."""
    check = verifier(secret_id)
    if check is None:
        return None
    return check.current()


def reset() -> None:
    """Forget cached values (tests)."""
    _verifiers.clear()
