"""DVLA's Vehicle Enquiry Service (VES) API: a vehicle's details by registration mark, with the standard library.

- `POST {base}/vehicle-enquiry/v1/vehicles`, body `{"registrationNumber": "AB12CDE"}`, header `x-api-key`: the
  mark is never put in a URL (URLs reach access logs). The key is passed in by the caller (the service reads it from
  Secrets Manager by name) and is only ever sent in that header: never logged, printed or put in an error; redirects
  are never followed (urllib would send the key on).
- Time: one enquiry takes at most `WORST_CASE_SECONDS` (6 s: 60% of a 10 s function): 2 s attempts within a 4 s
  budget, each socket wait bounded by what is left, plus one read begun just before the deadline.
- Retries: an enquiry changes nothing at DVLA, so a 429 (after `Retry-After` when it fits), a 5xx, a timeout or a
  dropped connection is retried within the budget with exponential backoff and full jitter. What is still failing
  then is `DvlaUnavailable` (`declare_instead`): the resident declares the details and staff verify them later.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from permits.adapters.dvla_models import DvlaError, DvlaUnavailable, Vehicle, error_for
from permits.vrm import Vrm, normalise_vrm
from shared.outbound_http import NO_REDIRECTS, checked_api_key, checked_base_url, error_body, read_within

DVLA_BASE_URL = "https://driver-vehicle-licensing.api.gov.uk"
DVLA_UAT_BASE_URL = "https://uat.driver-vehicle-licensing.api.gov.uk"  # DVLA's test environment
VEHICLES_PATH = "/vehicle-enquiry/v1/vehicles"
MAX_BODY_BYTES = 64 * 1024  # one vehicle is well under 2 KiB
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    attempt_timeout_s: float = 2.0  # VES answers in well under a second
    budget_s: float = 4.0  # every attempt and every backoff of one enquiry, wall clock
    max_attempts: int = 3
    backoff_base_s: float = 0.25  # full jitter: sleep U(0, min(cap, base * 2**n)) before retry n+1
    backoff_cap_s: float = 1.0
    min_attempt_s: float = 0.5  # no attempt is started with less time than this left

    @property
    def worst_case_seconds(self) -> float:
        """The budget, plus one socket wait begun just before the deadline."""
        return self.budget_s + self.attempt_timeout_s


DEFAULT_POLICY = RetryPolicy()
WORST_CASE_SECONDS = DEFAULT_POLICY.worst_case_seconds


class _Retryable(Exception):
    def __init__(self, error: DvlaError, wait_s: float | None = None) -> None:
        super().__init__(str(error))
        self.error, self.wait_s = error, wait_s


class VehicleEnquiry:
    """VES with one API key. `vehicle(vrm)` returns the `Vehicle` or raises a `DvlaError` subclass."""

    name = "dvla-ves"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DVLA_BASE_URL,
        policy: RetryPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._key = checked_api_key(api_key, "DVLA")
        self.base_url = checked_base_url(base_url, "DVLA")
        self.policy = policy
        self._clock, self._sleep = clock, sleep
        self._rng = rng or random.SystemRandom()

    def __repr__(self) -> str:
        return f"VehicleEnquiry(base_url={self.base_url!r})"

    def vehicle(self, vrm: Vrm | str) -> Vehicle:
        """The vehicle with registration mark `vrm` (normalised: upper case, no spaces)."""
        number = vrm.value if isinstance(vrm, Vrm) else normalise_vrm(vrm)
        if not number:
            raise ValueError("no registration mark to look up")
        body = json.dumps({"registrationNumber": number}).encode("utf-8")
        answer = self._call(body)
        try:
            vehicle = Vehicle.model_validate(answer)
        except ValidationError as error:
            fields = ",".join(str(e["loc"][0]) for e in error.errors() if e.get("loc"))
            raise DvlaUnavailable("malformed", f"unexpected answer from DVLA ({fields})") from None
        if normalise_vrm(vehicle.registration_number) != number:
            raise DvlaUnavailable("malformed", "DVLA answered about another vehicle")
        return vehicle

    def _call(self, body: bytes) -> Any:
        policy = self.policy
        deadline = self._clock() + policy.budget_s
        correlation = str(uuid.uuid4())  # the same for every attempt, for DVLA support to trace one enquiry
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(body, correlation, deadline)
            except _Retryable as failed:
                backoff = policy.backoff_base_s * 2 ** (attempt - 1)
                pause = self._rng.uniform(0, min(policy.backoff_cap_s, backoff))
                if failed.wait_s is not None:
                    pause = max(pause, failed.wait_s)
                left = deadline - self._clock() - pause
                if attempt >= policy.max_attempts or left < policy.min_attempt_s:
                    raise failed.error from None
                self._sleep(pause)

    def _attempt(self, body: bytes, correlation: str, deadline: float) -> Any:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise DvlaUnavailable("timeout", "no time left for DVLA")
        headers = {
            "x-api-key": self._key,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Correlation-Id": correlation,
            "User-Agent": "borough",
        }
        url = self.base_url + VEHICLES_PATH
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - https/loopback
        try:
            with NO_REDIRECTS.open(request, timeout=min(self.policy.attempt_timeout_s, remaining)) as response:
                return _json(self._read(response, deadline))
        except urllib.error.HTTPError as error:
            with error:
                payload = self._error_payload(error, deadline)
                wait = _retry_after(error.headers.get("Retry-After") if error.headers else None)
            failure = error_for(error.code, error_body(payload))
            if error.code in _RETRIED_STATUSES or error.code >= 500:
                raise _Retryable(failure, wait) from None
            raise failure from None
        except TimeoutError:
            raise _Retryable(DvlaUnavailable("timeout", "DVLA did not answer in time")) from None
        except urllib.error.URLError as error:
            reason = getattr(error, "reason", None)
            code = "timeout" if isinstance(reason, TimeoutError) else "unreachable"
            raise _Retryable(DvlaUnavailable(code, type(reason).__name__)) from None
        except OSError as error:  # reset mid-answer
            raise _Retryable(DvlaUnavailable("unreachable", type(error).__name__)) from None

    def _error_payload(self, error: urllib.error.HTTPError, deadline: float) -> bytes:
        try:
            return self._read(error, deadline) if error.fp else b""
        except (TimeoutError, OSError, DvlaError):
            return b""  # the status says enough

    def _read(self, response: Any, deadline: float) -> bytes:
        too_large = DvlaUnavailable("malformed", "DVLA's answer is too large")
        return read_within(
            response, deadline=deadline, clock=self._clock, max_bytes=MAX_BODY_BYTES, too_large=too_large
        )


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff is used instead


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        raise DvlaUnavailable("malformed", "DVLA's answer is not JSON") from None
