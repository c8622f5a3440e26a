"""The local Pay's records: payments, their state changes and refunds, on an injectable clock and id generator.

States are Pay's: `created` (made through the API), `started` (the resident opened `next_url`), `submitted` (card
authorised, waiting for Confirm), `capturable` (delayed capture, confirmed), then finished: `success`, `failed`
(P0010 rejected, P0020 expired after 90 minutes unpaid, P0030 cancelled by the user), `cancelled` (P0040, by the
service) or `error` (P0050, the payment service provider failed). Time only moves when the clock says so:
`Ledger.advance()` applies what is due (expiry, capture, refund settlement) and returns the events that happened,
for webhooks.
"""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PAYMENT_EXPIRY = timedelta(minutes=90)  # Pay: unpaid payments expire 90 minutes after creation
FINISHED = frozenset({"success", "failed", "cancelled", "error"})
UNFINISHED = frozenset({"created", "started", "submitted", "capturable"})
STATE_CODES = {  # Pay's state codes and messages
    "P0010": ("failed", "Payment method rejected"),
    "P0020": ("failed", "Payment expired"),
    "P0030": ("failed", "Payment was cancelled by the user"),
    "P0040": ("cancelled", "Payment was cancelled by the service"),
    "P0050": ("error", "Payment provider returned an error"),
}
_ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 26  # Pay's payment and refund ids: 26 lower-case letters and digits


def random_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def counting_ids(prefix: str = "sbx") -> Callable[[], str]:
    """Deterministic ids for tests: `sbx00000000000000000000001`, `...02`, each 26 characters."""
    count = iter(range(1, 10**12))
    return lambda: f"{prefix}{next(count):0{ID_LENGTH - len(prefix)}d}"


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_millis(moment: datetime) -> str:
    """Pay's timestamps: `2026-01-21T17:15:00.000Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class CardUsed:
    brand: str
    card_type: str
    first_digits: str
    last_digits: str
    expiry_date: str
    cardholder_name: str


@dataclass
class SandboxRefund:
    refund_id: str
    payment_id: str
    amount: int
    created_at: datetime
    settles_at: datetime
    outcome: str  # what it becomes when it settles: success or error
    status: str = "submitted"


@dataclass
class SandboxPayment:
    payment_id: str
    amount: int
    reference: str
    description: str
    return_url: str | None
    language: str
    created_at: datetime
    authorisation_mode: str = "web"
    email: str | None = None
    metadata: dict[str, Any] | None = None
    delayed_capture: bool = False
    moto: bool = False
    status: str = "created"
    code: str | None = None
    next_url_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    next_url_used: bool = False
    session: str | None = None  # the card page's cookie, set when `next_url` is opened
    one_time_token: str | None = None  # MOTO (`moto_api`)
    one_time_token_used: bool = False
    three_ds_required: bool = False
    card: CardUsed | None = None
    capture_submit_time: datetime | None = None
    captured_at: datetime | None = None
    events: list[tuple[datetime, str, str | None]] = field(default_factory=list)
    refunds: list[SandboxRefund] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def amount_submitted(self) -> int:
        return sum(r.amount for r in self.refunds if r.status != "error")

    @property
    def amount_available(self) -> int:
        return self.amount - self.amount_submitted if self.status == "success" else 0

    @property
    def refund_status(self) -> str:
        """Pay's `refund_summary.status`: whether a refund can be asked for now."""
        if self.status != "success":
            return "unavailable"
        if self.captured_at is None:
            return "pending"
        return "available" if self.amount_available > 0 else "full"


@dataclass(frozen=True)
class LedgerEvent:
    """Something that happened to a payment that a webhook may announce."""

    event_type: str  # card_payment_succeeded, _captured, _refunded, _failed, _expired
    payment_id: str
    at: datetime


class Ledger:
    """Every payment of the local Pay's account. Thread-safe; all times from `clock`."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = utc_now,
        ids: Callable[[], str] = random_id,
        capture_delay: timedelta = timedelta(0),
        refund_delay: timedelta = timedelta(seconds=1),
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.capture_delay = capture_delay  # success -> captured (settlement_summary.captured_date)
        self.refund_delay = refund_delay  # submitted -> success
        self.payments: dict[str, SandboxPayment] = {}
        self.refund_errors = 0  # test control: the next N refunds end in `error`
        self.lock = threading.RLock()

    def add(self, payment: SandboxPayment) -> SandboxPayment:
        payment.events.append((payment.created_at, "created", None))
        self.payments[payment.payment_id] = payment
        return payment

    def find(self, payment_id: str) -> SandboxPayment | None:
        return self.payments.get(payment_id)

    def by_next_url_token(self, token: str) -> SandboxPayment | None:
        return next((p for p in self.payments.values() if p.next_url_token == token), None)

    def by_one_time_token(self, token: str) -> SandboxPayment | None:
        return next((p for p in self.payments.values() if p.one_time_token == token), None)

    def move(self, payment: SandboxPayment, status: str, code: str | None = None) -> list[LedgerEvent]:
        """Change a payment's state (finished payments never change) and say what a webhook would announce."""
        if payment.finished:
            return []
        now = self.clock()
        payment.status, payment.code = status, code
        payment.events.append((now, status, code))
        if status == "success":
            payment.capture_submit_time = now
            events = [LedgerEvent("card_payment_succeeded", payment.payment_id, now)]
            return events + self._capture_if_due(payment)
        if code == "P0020":
            return [LedgerEvent("card_payment_expired", payment.payment_id, now)]
        if code == "P0010":
            return [LedgerEvent("card_payment_failed", payment.payment_id, now)]
        return []

    def refund(self, payment: SandboxPayment, amount: int) -> SandboxRefund:
        now = self.clock()
        outcome = "success"
        if self.refund_errors > 0:
            self.refund_errors -= 1
            outcome = "error"
        refund = SandboxRefund(self.ids(), payment.payment_id, amount, now, now + self.refund_delay, outcome)
        payment.refunds.append(refund)
        return refund

    def advance(self) -> list[LedgerEvent]:
        """Apply what is due by now: expiry of unpaid payments, capture of successful ones, refund settlement."""
        now = self.clock()
        events: list[LedgerEvent] = []
        for payment in list(self.payments.values()):
            if payment.status in {"created", "started", "submitted"} and now >= payment.created_at + PAYMENT_EXPIRY:
                events += self.move(payment, "failed", "P0020")
            events += self._capture_if_due(payment)
            for refund in payment.refunds:
                if refund.status == "submitted" and now >= refund.settles_at:
                    refund.status = refund.outcome
                    if refund.status == "success":
                        events.append(LedgerEvent("card_payment_refunded", payment.payment_id, now))
        return events

    def _capture_if_due(self, payment: SandboxPayment) -> list[LedgerEvent]:
        submitted = payment.capture_submit_time
        if payment.status != "success" or payment.captured_at or submitted is None:
            return []
        if self.clock() < submitted + self.capture_delay:
            return []
        payment.captured_at = self.clock()
        return [LedgerEvent("card_payment_captured", payment.payment_id, payment.captured_at)]

    def newest_first(self) -> Iterator[SandboxPayment]:
        return iter(sorted(self.payments.values(), key=lambda p: (p.created_at, p.payment_id), reverse=True))
