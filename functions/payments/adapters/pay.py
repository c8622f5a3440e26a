"""GOV.UK Pay's public REST API (`https://publicapi.payments.service.gov.uk`), with the standard library.

- The API key is passed in by the caller (the service reads it from Secrets Manager by name) and sent only as
  `Authorization: Bearer ...`; it is never logged, printed or put in an error. Redirects are never followed (urllib
  would send the key on to wherever a 3xx points).
- Time: every call has a wall-clock budget (`RetryPolicy`; `worst_case_seconds()`, `WORST_CASE_SECONDS` say the most a
  call can take): 6 s by default, 60% of a 10 s function; `RetryPolicy.within(timeout)` for other functions. Each
  attempt's socket timeout is the smaller of the attempt timeout and what is left.
- Retries: a request Pay cannot have acted on is retried within the budget: a 429 (P0900: more than 15 POSTs a
  second; Pay sends no `Retry-After`) with exponential backoff and full jitter, and a refused connection. Reads
  and cancels are also retried after a 5xx or a timeout. A create, a refund or a MOTO authorisation that timed out
  or met a 5xx is not repeated here: Pay may have acted on it (web payments have no idempotency key at Pay), so
  `ProviderUnavailable(maybe_applied=True)` tells the caller to look (search by reference, re-read the refund
  summary) before it asks again. A 429 that outlasts the budget is raised as `RateLimited` for the caller to queue.
- MOTO authorisation (`POST /v1/auth`) takes up to 10 s at Pay, which asks for a client timeout of at least 15 s:
  it has its own policy (`MOTO_POLICY`, one attempt, 30 s at worst), so the function that calls it needs a timeout
  of at least 50 s (the worst case within 60% of it), not 10 s.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from payments.adapters.base import MotoCard, NewPayment
from payments.adapters.errors import PayError, ProviderUnavailable, RateLimited, error_for
from payments.adapters.models import CreatedPayment, Payment, PaymentEvents, PaymentPage, Refund, RefundPage
from shared.outbound_http import NO_REDIRECTS, checked_api_key, checked_base_url, error_body, read_within

PAY_BASE_URL = "https://publicapi.payments.service.gov.uk"
SEARCH_PAGE_SIZE = 500  # Pay's default and largest `display_size`
MOTO_AUTH_TIMEOUT_SECONDS = 15.0  # Pay times /v1/auth out after about 10 s and asks clients to wait at least 15 s
MAX_BODY_BYTES = 4 * 1024 * 1024  # a page of 500 payments is well under 1 MiB

Model = TypeVar("Model", bound=BaseModel)


CLIENT_SHARE = 0.6  # the most of its function's timeout any one client may take (the project's rule for clients)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a call may take and how it retries. The defaults fit a function with a 10 s timeout."""

    attempt_timeout_s: float = 2.0  # Pay answers in well under a second
    budget_s: float = 4.0  # every attempt and every backoff of one call, wall clock
    max_attempts: int = 4
    backoff_base_s: float = 0.5  # full jitter: sleep U(0, min(cap, base * 2**n)) before retry n+1
    backoff_cap_s: float = 2.0
    min_attempt_s: float = 0.5  # no attempt is started with less time than this left
    # False: a 429 is raised as `RateLimited` at once, for a caller that queues it (payments.creator) rather than
    # holding a resident's page while it backs off.
    retry_rate_limited: bool = True

    @classmethod
    def within(cls, function_timeout_s: float, share: float = CLIENT_SHARE) -> RetryPolicy:
        """A policy whose worst case is `share` of a function's timeout (`BOROUGH_FUNCTION_TIMEOUT_SECONDS`)."""
        allowed = function_timeout_s * share
        attempt = min(cls.attempt_timeout_s, allowed / 3)
        return cls(attempt_timeout_s=attempt, budget_s=allowed - attempt)


def worst_case_seconds(policy: RetryPolicy | None = None) -> float:
    """The longest one call can take: the budget, plus one socket wait begun just before the deadline (a reply
    arriving byte by byte is read up to the deadline, each read bounded by the attempt timeout)."""
    policy = policy or DEFAULT_POLICY
    return policy.budget_s + policy.attempt_timeout_s


DEFAULT_POLICY = RetryPolicy.within(10.0)  # 2 s attempts in a 4 s budget: 6 s at worst
WORST_CASE_SECONDS = worst_case_seconds(DEFAULT_POLICY)
# One attempt, as long as Pay asks for: the MOTO function's timeout must exceed `worst_case_seconds(MOTO_POLICY)`.
MOTO_POLICY = RetryPolicy(
    attempt_timeout_s=MOTO_AUTH_TIMEOUT_SECONDS, budget_s=MOTO_AUTH_TIMEOUT_SECONDS, max_attempts=1
)


class Retry(Enum):
    """What may be retried after a failure: everything Pay cannot have acted on, and more for safe requests."""

    SAFE = "safe"  # reads and cancels: also after a 5xx or a timeout
    IF_NOT_SENT = "if-not-sent"  # creates, refunds: only after a 429 or a refused connection
    NEVER = "never"  # MOTO authorisation: money may move; one attempt


class GovUkPayAdapter:
    name = "govuk-pay"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = PAY_BASE_URL,
        policy: RetryPolicy = DEFAULT_POLICY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._key = checked_api_key(api_key, "GOV.UK Pay")
        self.base_url = checked_base_url(base_url, "GOV.UK Pay")
        self.policy = policy
        self._clock, self._sleep = clock, sleep
        self._rng = rng or random.SystemRandom()

    def __repr__(self) -> str:
        return f"GovUkPayAdapter(base_url={self.base_url!r})"

    # -- payments -------------------------------------------------------------------------------------------
    def create_payment(self, payment: NewPayment) -> CreatedPayment:
        body: dict[str, Any] = {
            "amount": payment.amount,
            "reference": payment.reference,
            "description": payment.description,
            "language": payment.language,
        }
        if payment.authorisation_mode == "moto_api":
            body["authorisation_mode"] = "moto_api"  # and no return_url: Pay refuses both together (P0104)
        else:
            body["return_url"] = payment.return_url
        if payment.metadata:
            body["metadata"] = dict(payment.metadata)
        if payment.email:
            body["email"] = payment.email
        _, answer = self._call("POST", "/v1/payments", body=body, retry=Retry.IF_NOT_SENT)
        return _parse(CreatedPayment, answer)

    def get_payment(self, payment_id: str) -> Payment:
        _, answer = self._call("GET", f"/v1/payments/{_segment(payment_id)}")
        return _parse(Payment, answer)

    def cancel_payment(self, payment_id: str) -> None:
        self._call("POST", f"/v1/payments/{_segment(payment_id)}/cancel")

    def payment_events(self, payment_id: str) -> PaymentEvents:
        _, answer = self._call("GET", f"/v1/payments/{_segment(payment_id)}/events")
        return _parse(PaymentEvents, answer)

    def authorise_moto(self, one_time_token: str, card: MotoCard) -> None:
        body = {
            "one_time_token": one_time_token,
            "card_number": card.card_number,
            "expiry_date": card.expiry_date,
            "cvc": card.cvc,
            "cardholder_name": card.cardholder_name,
        }
        self._call("POST", "/v1/auth", body=body, retry=Retry.NEVER, policy=MOTO_POLICY)

    # -- refunds --------------------------------------------------------------------------------------------
    def create_refund(self, payment_id: str, amount: int, *, refund_amount_available: int) -> Refund:
        body = {"amount": amount, "refund_amount_available": refund_amount_available}
        _, answer = self._call(
            "POST", f"/v1/payments/{_segment(payment_id)}/refunds", body=body, retry=Retry.IF_NOT_SENT
        )
        return _parse(Refund, answer)

    def get_refund(self, payment_id: str, refund_id: str) -> Refund:
        _, answer = self._call("GET", f"/v1/payments/{_segment(payment_id)}/refunds/{_segment(refund_id)}")
        return _parse(Refund, answer)

    # -- search ---------------------------------------------------------------------------------------------
    def search_payments(
        self, from_date: str, to_date: str, *, page_size: int = SEARCH_PAGE_SIZE, reference: str | None = None
    ) -> Iterator[Payment]:
        extra = {"reference": reference} if reference is not None else {}
        for answer in self._pages("/v1/payments", from_date, to_date, page_size, extra):
            yield from _parse(PaymentPage, answer).results

    def search_refunds(self, from_date: str, to_date: str, *, page_size: int = SEARCH_PAGE_SIZE) -> Iterator[Refund]:
        for answer in self._pages("/v1/refunds", from_date, to_date, page_size):
            yield from _parse(RefundPage, answer).results

    def _pages(
        self, path: str, from_date: str, to_date: str, page_size: int, extra: Mapping[str, str] | None = None
    ) -> Iterator[Any]:
        """Pay's answers for pages 1, 2, ... of a search, until a page says there is no next one."""
        number = 1
        while True:
            query = {"from_date": from_date, "to_date": to_date, "page": str(number), "display_size": str(page_size)}
            query |= extra or {}
            _, answer = self._call("GET", path, query=query)
            yield answer
            links = answer.get("_links") if isinstance(answer, dict) else None
            if not isinstance(links, dict) or not links.get("next_page") or not answer.get("results"):
                return
            number += 1

    # -- HTTP -----------------------------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        query: Mapping[str, str] | None = None,
        retry: Retry = Retry.SAFE,
        policy: RetryPolicy | None = None,
    ) -> tuple[int, Any]:
        policy = policy or self.policy
        deadline = self._clock() + policy.budget_s
        url = f"{self.base_url}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode("utf-8") if body is not None else b"{}" if method == "POST" else None
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(method, url, data, deadline, policy, retry)
            except (RateLimited, ProviderUnavailable) as error:
                if not self._may_retry(error, retry, attempt, policy):
                    raise
                pause = self._rng.uniform(0, min(policy.backoff_cap_s, policy.backoff_base_s * 2 ** (attempt - 1)))
                if deadline - self._clock() - pause < policy.min_attempt_s:
                    raise
                self._sleep(pause)

    @staticmethod
    def _may_retry(error: PayError, retry: Retry, attempt: int, policy: RetryPolicy) -> bool:
        if attempt >= policy.max_attempts or retry is Retry.NEVER:
            return False
        if isinstance(error, RateLimited) and not policy.retry_rate_limited:
            return False
        never_sent = isinstance(error, RateLimited) or error.code == "unreachable"
        return never_sent or (retry is Retry.SAFE and error.retryable)

    def _attempt(
        self, method: str, url: str, data: bytes | None, deadline: float, policy: RetryPolicy, retry: Retry
    ) -> tuple[int, Any]:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise ProviderUnavailable("timeout", "no time left for GOV.UK Pay", maybe_applied=False)
        headers = {"Authorization": f"Bearer {self._key}", "Accept": "application/json", "User-Agent": "borough"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - https/loopback
        acted = retry is not Retry.SAFE  # a create, refund or authorisation Pay may have carried out
        try:
            with NO_REDIRECTS.open(request, timeout=min(policy.attempt_timeout_s, remaining)) as response:
                return response.status, _json(self._read(response, deadline))
        except urllib.error.HTTPError as error:
            payload = self._error_payload(error, deadline)
            raise error_for(error.code, error_body(payload), maybe_applied=acted and error.code >= 500) from None
        except TimeoutError:
            raise ProviderUnavailable("timeout", "GOV.UK Pay did not answer in time", maybe_applied=acted) from None
        except urllib.error.URLError as error:
            reason = getattr(error, "reason", None)
            if isinstance(reason, TimeoutError):
                raise ProviderUnavailable("timeout", "GOV.UK Pay did not answer in time", maybe_applied=acted) from None
            if isinstance(reason, ConnectionRefusedError):
                raise ProviderUnavailable("unreachable", "connection refused") from None
            raise ProviderUnavailable("unreachable", type(reason).__name__, maybe_applied=acted) from None
        except OSError as error:  # reset mid-answer
            raise ProviderUnavailable("unreachable", type(error).__name__, maybe_applied=acted) from None

    def _error_payload(self, error: urllib.error.HTTPError, deadline: float) -> bytes:
        with error:
            try:
                return self._read(error, deadline) if error.fp else b""
            except (TimeoutError, OSError, ProviderUnavailable):
                return b""  # the status says enough

    def _read(self, response: Any, deadline: float) -> bytes:
        too_large = ProviderUnavailable("malformed", "GOV.UK Pay's answer is too large")
        return read_within(
            response, deadline=deadline, clock=self._clock, max_bytes=MAX_BODY_BYTES, too_large=too_large
        )


def _segment(identifier: str) -> str:
    """One path segment: an id can never reach another path (`../`, `?`)."""
    if not identifier or identifier in {".", ".."}:
        raise ValueError("an empty or relative id")
    return urllib.parse.quote(identifier, safe="")


def _json(payload: bytes) -> Any:
    if not payload:
        return None
    try:
        return json.loads(payload)
    except ValueError:
        raise ProviderUnavailable("malformed", "GOV.UK Pay's answer is not JSON") from None


def _parse(model: type[Model], answer: Any) -> Model:
    try:
        return model.model_validate(answer)
    except ValidationError as error:
        fields = ",".join(str(e["loc"][0]) for e in error.errors() if e.get("loc"))
        raise ProviderUnavailable("malformed", f"unexpected answer from GOV.UK Pay ({fields})") from None
