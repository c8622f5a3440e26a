"""The local Pay's REST API: `PaySandbox.handle(method, path, headers, body)`.

Endpoints (as in Pay's OpenAPI 1.0.3): `POST/GET /v1/payments`, `GET /v1/payments/{id}`, `POST .../cancel`,
`POST .../capture`, `GET .../events`, `POST/GET .../refunds`, `GET .../refunds/{refund_id}`, `GET /v1/refunds`,
`POST /v1/auth` (MOTO, no API key: the one-time token is the credential). Every other call needs
`Authorization: Bearer <key>` with a key of this account (`new_api_key()`, shaped `api_test_...`); a missing or
unknown key is 401. More than `rate_limit_per_second` POSTs in a second per key and category (create payment,
capture, other) is 429 `{"code": "P0900", "description": "Too many requests"}`. A POST must be JSON (`P0920`
otherwise, as Pay's firewall answers).
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local.sandbox.loopback import Reply, json_reply
from local.sandbox.pay import cards, render, validation
from local.sandbox.pay.ledger import CardUsed, Ledger, LedgerEvent, SandboxPayment, random_id, utc_now
from local.sandbox.pay.validation import PayApiError
from local.sandbox.pay.webhooks import Scheduler, Sender, Webhooks, timer_scheduler, urllib_sender

MOUNT = "/sandbox/pay"
RATE_LIMIT_PER_SECOND = 15  # Pay: per key, for each of: create payment, capture, other POSTs
API_KEY_PREFIX = "api_test_"

_PAYMENT = re.compile(r"/v1/payments/([^/]+)")
_PAYMENT_ACTION = re.compile(r"/v1/payments/([^/]+)/(cancel|capture|events|refunds)")
_REFUND = re.compile(r"/v1/payments/([^/]+)/refunds/([^/]+)")


def new_api_key() -> str:
    """A key shaped like Pay's test keys: `api_test_` and 58 random lower-case letters and digits."""
    return API_KEY_PREFIX + "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(58))


class PaySandbox:
    """One local Pay account (a test account: `live` false, http return URLs allowed)."""

    def __init__(
        self,
        *,
        base_url: str = "",
        clock: Callable[[], datetime] = utc_now,
        ids: Callable[[], str] = random_id,
        api_keys: tuple[str, ...] = (),
        live: bool = False,
        moto_api_enabled: bool = True,
        rate_limit_per_second: int = RATE_LIMIT_PER_SECOND,
        sender: Sender = urllib_sender,
        scheduler: Scheduler = timer_scheduler,
        time_scale: float = 1.0,
        capture_delay: timedelta = timedelta(0),
        refund_delay: timedelta = timedelta(seconds=1),
    ) -> None:
        self.base_url = base_url.rstrip("/")  # where this Pay is reached, e.g. http://127.0.0.1:8000/sandbox/pay
        self.clock = clock
        self.ledger = Ledger(clock=clock, ids=ids, capture_delay=capture_delay, refund_delay=refund_delay)
        self.webhooks = Webhooks(clock=clock, ids=ids, sender=sender, scheduler=scheduler, time_scale=time_scale)
        self.api_keys: set[str] = set(api_keys)
        self.live = live
        self.moto_api_enabled = moto_api_enabled
        self.rate_limit_per_second = rate_limit_per_second
        self.failures: deque[tuple[int, str]] = deque()  # test control: answer the next API calls with these
        self.requests: list[tuple[str, str]] = []  # (method, path) of every API call, for tests
        self._recent: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)
        self.rate_limited = 0  # POSTs answered 429 P0900 so far, for tests
        self._lock = threading.RLock()

    # -- controls -------------------------------------------------------------------------------------------
    def new_api_key(self) -> str:
        key = new_api_key()
        self.api_keys.add(key)
        return key

    def fail_next(self, status: int, code: str, *, times: int = 1) -> None:
        """Answer the next `times` authenticated API calls with `status` and Pay's error body for `code`."""
        self.failures.extend((status, code) for _ in range(times))

    def move(self, payment: SandboxPayment, status: str, code: str | None = None) -> None:
        """Change a payment's state and announce what it means (card pages and the API use this)."""
        self._announce(self.ledger.move(payment, status, code))

    def advance(self) -> None:
        """Apply what is due by the clock: expiry after 90 minutes, capture, refund settlement; with webhooks."""
        with self._lock:
            self._announce(self.ledger.advance())

    def _announce(self, events: list[LedgerEvent]) -> None:
        for event in events:
            payment = self.ledger.find(event.payment_id)
            if payment is not None:
                resource = render.payment(payment, self.base_url, self.base_url)
                self.webhooks.announce(event.event_type, payment.payment_id, resource, event.at)

    # -- HTTP -----------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(path)
        route = parts.path.removeprefix(MOUNT) or "/"
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        lowered = {k.lower(): v for k, v in headers.items()}
        if not route.startswith("/v1/"):
            from local.sandbox.pay import pages

            with self._lock:
                self._announce(self.ledger.advance())
                return pages.handle(self, method, route, lowered, body)
        try:
            with self._lock:
                self.requests.append((method, route))
                self._announce(self.ledger.advance())
                return self._api(method, route, query, lowered, body)
        except PayApiError as error:
            return json_reply(error.status, error.body())

    def _api(self, method: str, route: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        if method not in ("GET", "POST"):
            return json_reply(405, {"code": 405, "message": "HTTP 405 Method Not Allowed"})
        if method == "POST" and not headers.get("content-type", "").startswith("application/json"):
            raise PayApiError(400, "P0920", "Request blocked by security rules. Please consult API documentation.")
        if route == "/v1/auth" and method == "POST":
            return self._authorise_moto(validation.json_object(body, "P0197"))
        key = self._authenticate(headers.get("authorization", ""))
        if key is None:
            return 401, {"Content-Type": "text/plain"}, b"Credentials are required to access this resource."
        if method == "POST":
            self._rate_limit(key, route)
        if self.failures:
            status, code = self.failures.popleft()
            raise PayApiError(status, code, "Downstream system error" if status >= 500 else "Sandbox failure")
        return self._route(method, route, query, headers, body)

    def _route(self, method: str, route: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> Reply:
        if route == "/v1/payments":
            return self._create(headers, body) if method == "POST" else self._search_payments(query)
        if route == "/v1/refunds" and method == "GET":
            return self._search_refunds(query)
        if refund_match := _REFUND.fullmatch(route):
            return self._refund(method, *refund_match.groups())
        if action := _PAYMENT_ACTION.fullmatch(route):
            payment_id, verb = action.groups()
            return self._action(method, payment_id, verb, body)
        if (one := _PAYMENT.fullmatch(route)) and method == "GET":
            payment = self._payment(one.group(1), "P0200")
            return json_reply(200, render.payment(payment, self.base_url, self.base_url))
        return json_reply(404, {"code": 404, "message": "HTTP 404 Not Found"})

    def _authenticate(self, header: str) -> str | None:
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return None
        key = key.strip()
        return key if any(secrets.compare_digest(key, known) for known in self.api_keys) else None

    def _rate_limit(self, key: str, route: str) -> None:
        category = "create" if route == "/v1/payments" else "capture" if route.endswith("/capture") else "other"
        now = self.clock()
        recent = self._recent[(key, category)]
        while recent and now - recent[0] >= timedelta(seconds=1):
            recent.popleft()
        if len(recent) >= self.rate_limit_per_second:
            self.rate_limited += 1
            raise PayApiError(429, "P0900", "Too many requests")  # and no Retry-After, as Pay
        recent.append(now)

    def _payment(self, payment_id: str, not_found: str) -> SandboxPayment:
        payment = self.ledger.find(payment_id)
        if payment is None:
            raise PayApiError(404, not_found, "Not found")
        return payment

    # -- payments -------------------------------------------------------------------------------------------
    def _create(self, headers: dict[str, str], body: bytes) -> Reply:
        validation.idempotency_key(headers)
        fields = validation.create_payment(
            validation.json_object(body, "P0197"), live=self.live, moto_api_enabled=self.moto_api_enabled
        )
        payment = SandboxPayment(payment_id=self.ledger.ids(), created_at=self.clock(), **fields)
        if payment.authorisation_mode == "moto_api":
            payment.one_time_token = str(uuid.uuid4())
            payment.moto = True
        self.ledger.add(payment)
        shown = render.payment(payment, self.base_url, self.base_url, created=True)
        status, headers, answer = json_reply(201, shown)
        return status, headers | {"Location": shown["_links"]["self"]["href"]}, answer

    def _action(self, method: str, payment_id: str, verb: str, body: bytes) -> Reply:
        if verb == "events" and method == "GET":
            return json_reply(200, render.events(self._payment(payment_id, "P0300"), self.base_url))
        if verb == "refunds":
            if method == "GET":
                return json_reply(200, render.refunds_of(self._payment(payment_id, "P0800"), self.base_url))
            return self._create_refund(payment_id, body)
        if verb == "cancel" and method == "POST":
            payment = self._payment(payment_id, "P0500")
            if payment.finished:
                raise PayApiError(409, "P0502", "Cancellation of payment failed")
            self.move(payment, "cancelled", "P0040")
            return 204, {}, b""
        if verb == "capture" and method == "POST":
            payment = self._payment(payment_id, "P1000")
            if payment.status != "capturable":
                raise PayApiError(409, "P1003", "Payment cannot be captured")
            self.move(payment, "success")
            return 204, {}, b""
        return json_reply(405, {"code": 405, "message": "HTTP 405 Method Not Allowed"})

    def _authorise_moto(self, body: dict[str, Any]) -> Reply:
        card_fields = validation.moto_card(body)
        payment = self.ledger.by_one_time_token(card_fields["one_time_token"])
        if payment is None:
            raise PayApiError(400, "P1211", "No payment matches the one_time_token", field="one_time_token")
        if payment.one_time_token_used or payment.status != "created":
            raise PayApiError(400, "P1212", "The one_time_token has already been used", field="one_time_token")
        payment.one_time_token_used = True
        card = cards.find_card(card_fields["card_number"])
        if card is None or not cards.luhn_valid(card.number) or card.outcome == "not_accepted":
            self.move(payment, "failed", "P0010")
            raise PayApiError(402, "P0010", "The card_number is not a test card number this account accepts")
        payment.card = _card_used(card, card_fields["expiry_date"], card_fields["cardholder_name"])
        if card.outcome in cards.REJECTED:
            self.move(payment, "failed", "P0010")
            raise PayApiError(402, "P0010", "The payment was rejected")
        if card.outcome == "provider_error":
            self.move(payment, "error", "P0050")
            raise PayApiError(500, "P0050", "There was an error authorising the payment")
        self.move(payment, "capturable" if payment.delayed_capture else "success")  # MOTO: no 3-D Secure
        return 204, {}, b""

    # -- refunds --------------------------------------------------------------------------------------------
    def _create_refund(self, payment_id: str, body: bytes) -> Reply:
        payment = self._payment(payment_id, "P0600")
        amount, expected = validation.refund(validation.json_object(body, "P0697"))
        if payment.refund_status != "available":
            raise PayApiError(
                400, "P0603", f"The payment is not available for refund. Payment refund status: {payment.refund_status}"
            )
        if expected is not None and expected != payment.amount_available:
            raise PayApiError(412, "P0604", "Refund amount available mismatch.")
        if amount > payment.amount_available:
            raise PayApiError(400, "P0603", "The payment is not available for refund. Payment refund status: amount")
        refund = self.ledger.refund(payment, amount)
        return json_reply(202, render.refund(refund, self.base_url))

    def _refund(self, method: str, payment_id: str, refund_id: str) -> Reply:
        if method != "GET":
            return json_reply(405, {"code": 405, "message": "HTTP 405 Method Not Allowed"})
        payment = self._payment(payment_id, "P0700")
        refund = next((r for r in payment.refunds if r.refund_id == refund_id), None)
        if refund is None:
            raise PayApiError(404, "P0700", "Not found")
        return json_reply(200, render.refund(refund, self.base_url))

    # -- search ---------------------------------------------------------------------------------------------
    def _search_payments(self, query: dict[str, str]) -> Reply:
        start, end, page, size = validation.search(query, "P0401", states=validation.PAYMENT_SEARCH_STATES)
        found = [
            p
            for p in self.ledger.newest_first()
            if _in_range(p.created_at, start, end)
            and query.get("reference") in (None, p.reference)
            and query.get("state") in (None, p.status)
            and not _by_settled_date(query)  # Stripe's settled dates: this account's payments have none
        ]
        chosen = _page_of(found, page, size, "P0402")
        results = []
        for p in chosen:
            shown = render.payment(p, self.base_url, self.base_url)
            shown["_links"] = {k: v for k, v in shown["_links"].items() if not k.startswith("next_url")}
            results.append(shown)
        url = f"{self.base_url}/v1/payments"
        return json_reply(200, render.search_page(results, len(found), page, size, url, _kept(query)))

    def _search_refunds(self, query: dict[str, str]) -> Reply:
        start, end, page, size = validation.search(query, "P1101")
        found = sorted(
            (r for p in self.ledger.payments.values() for r in p.refunds if _in_range(r.created_at, start, end)),
            key=lambda r: (r.created_at, r.refund_id),
            reverse=True,
        )
        if _by_settled_date(query):
            found = []  # settled dates are Stripe's: this account's refunds have none (settlement_summary is {})
        results = [render.refund(r, self.base_url) for r in _page_of(found, page, size, "P1100")]
        url = f"{self.base_url}/v1/refunds"
        return json_reply(200, render.search_page(results, len(found), page, size, url, _kept(query)))


def _card_used(card: cards.SandboxCard, expiry_date: str, name: str) -> CardUsed:
    return CardUsed(card.brand, card.card_type, card.number[:6], card.number[-4:], expiry_date, name)


def _in_range(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)


def _page_of(found: list[Any], page: int, size: int, not_found: str) -> list[Any]:
    if found and (page - 1) * size >= len(found):
        raise PayApiError(404, not_found, "Page not found")
    return found[(page - 1) * size : page * size]


def _by_settled_date(query: dict[str, str]) -> bool:
    return any(query.get(name, "").strip() for name in validation.SETTLED_DATES)


def _kept(query: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in query.items() if k not in ("page", "display_size")}
