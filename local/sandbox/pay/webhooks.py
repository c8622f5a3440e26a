"""Webhooks as GOV.UK Pay sends them: signed JSON messages to each subscribed URL, retried on a schedule.

A message is `{"webhook_message_id", "created_date", "resource_id", "api_version", "resource_type", "event_type",
"resource", "service_id", "live"}`, `resource` being the payment as `GET /v1/payments/{id}` shows it at that moment.
The `Pay-Signature` header is the lower-case hex HMAC-SHA256 of the raw body, keyed with the subscription's signing
secret. A 2xx answer is a delivery; anything else (or no answer within `ATTEMPT_TIMEOUT_SECONDS`) is retried after
the next delay of `RETRY_DELAYS_SECONDS` (the first attempt waits `FIRST_ATTEMPT_DELAY_SECONDS`), then given up.
`time_scale` shrinks every wait for tests (0.001: a day becomes 86 s; 0: at once). The `sender` and `scheduler`
are injectable: by default `urllib` and `threading.Timer`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local.sandbox.pay.ledger import iso_millis

EVENT_TYPES = (
    "card_payment_succeeded",
    "card_payment_captured",
    "card_payment_refunded",
    "card_payment_failed",
    "card_payment_expired",
)
FIRST_ATTEMPT_DELAY_SECONDS = 3.0
RETRY_DELAYS_SECONDS = (60.0, 300.0, 3600.0, 86400.0, 172800.0)  # 1 min, 5 min, 1 h, 1 day, 2 days
ATTEMPT_TIMEOUT_SECONDS = 5.0
SIGNATURE_HEADER = "Pay-Signature"

Sender = Callable[[str, dict[str, str], bytes], int]  # (url, headers, body) -> HTTP status; raises if no answer
Scheduler = Callable[[float, Callable[[], None]], None]  # (seconds, what to run then)


def sign(body: bytes, secret: str) -> str:
    """Pay's signature: hex HMAC-SHA256 of the exact bytes sent."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def new_signing_secret() -> str:
    return f"webhook_test_{secrets.token_hex(20)}"


def urllib_sender(url: str, headers: dict[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - local URLs
    try:
        with urllib.request.urlopen(request, timeout=ATTEMPT_TIMEOUT_SECONDS) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def timer_scheduler(seconds: float, job: Callable[[], None]) -> None:
    timer = threading.Timer(seconds, job)
    timer.daemon = True
    timer.start()


@dataclass
class Subscription:
    url: str
    signing_secret: str
    events: frozenset[str] = frozenset(EVENT_TYPES)


@dataclass
class Attempt:
    at: datetime
    status: int | None  # None: no answer
    error: str = ""


@dataclass
class WebhookMessage:
    message_id: str
    subscription: Subscription
    body: bytes
    event_type: str
    resource_id: str
    attempts: list[Attempt] = field(default_factory=list)
    state: str = "pending"  # pending, delivered, failed (every retry used)

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.body, self.subscription.signing_secret)}


class Webhooks:
    """The account's webhook subscriptions and every message sent to them."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        ids: Callable[[], str],
        sender: Sender = urllib_sender,
        scheduler: Scheduler = timer_scheduler,
        time_scale: float = 1.0,
        service_id: str = "sandbox-service",
    ) -> None:
        self.clock, self.ids = clock, ids
        self.sender, self.scheduler = sender, scheduler
        self.time_scale = time_scale
        self.service_id = service_id
        self.subscriptions: list[Subscription] = []
        self.messages: list[WebhookMessage] = []
        self._lock = threading.Lock()

    def subscribe(self, url: str, *, events: tuple[str, ...] = EVENT_TYPES, signing_secret: str = "") -> Subscription:
        unknown = set(events) - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"not Pay webhook events: {sorted(unknown)}")
        subscription = Subscription(url, signing_secret or new_signing_secret(), frozenset(events))
        self.subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self.subscriptions:
            self.subscriptions.remove(subscription)

    def announce(self, event_type: str, resource_id: str, resource: dict[str, Any], at: datetime) -> None:
        """Queue `event_type` for every subscription that asked for it; the first attempt comes after 3 s."""
        for subscription in list(self.subscriptions):
            if event_type not in subscription.events:
                continue
            message_id = self.ids()
            body = {
                "webhook_message_id": message_id,
                "created_date": iso_millis(at),
                "resource_id": resource_id,
                "api_version": 1,
                "resource_type": "payment",
                "event_type": event_type,
                "resource": resource,
                "service_id": self.service_id,
                "live": False,
            }
            raw = json.dumps(body, separators=(",", ":")).encode("utf-8")
            message = WebhookMessage(message_id, subscription, raw, event_type, resource_id)
            with self._lock:
                self.messages.append(message)
            self.scheduler(FIRST_ATTEMPT_DELAY_SECONDS * self.time_scale, self._attempt_later(message))

    def attempt(self, message: WebhookMessage) -> None:
        """One delivery attempt; on failure the next is scheduled, until the schedule is used up."""
        try:
            status: int | None = self.sender(message.subscription.url, message.headers, message.body)
            error = ""
        except Exception as failure:  # any failure to reach the receiver is a failed attempt
            status, error = None, type(failure).__name__
        with self._lock:
            message.attempts.append(Attempt(self.clock(), status, error))
            retries_done = len(message.attempts) - 1
            if status is not None and 200 <= status < 300:
                message.state = "delivered"
                return
            if retries_done >= len(RETRY_DELAYS_SECONDS):
                message.state = "failed"
                return
            delay = RETRY_DELAYS_SECONDS[retries_done] * self.time_scale
        self.scheduler(delay, self._attempt_later(message))

    def _attempt_later(self, message: WebhookMessage) -> Callable[[], None]:
        return lambda: self.attempt(message)
