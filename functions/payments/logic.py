"""Payment attempts: start one for a request awaiting payment, and follow Pay's state until it finishes.

- The amount is the stored request's `amount_due_pence` (computed by the catalogue from the service definition),
  never anything a browser sent.
- Our own idempotency (Pay keeps an Idempotency-Key only for agreement payments): the attempt is written under a
  condition before Pay is asked, so a double click or a second tab makes one payment. A create that timed out or
  met a 5xx may have been made: it is looked up by reference (and attempt number, in its metadata) before another.
- Pay's return URL carries an opaque random token of the attempt, never the payment id.
- A create Pay rate-limits (429 P0900) is queued when the service has a create queue (`queue_create`): the attempt
  is `queued` until the queue's worker claims it and asks Pay again (`create_claimed`, payments.creator).
- State comes from Pay (`get_payment`), never from the browser or a webhook body. The first final state wins.
- A finished attempt is followed up once: a success moves the request from awaiting payment to received with
  `payment-succeeded` in the same write (the transactional outbox, shared/outbox.py; then it is triaged); anything
  else announces `payment-failed` straight to the topic (the resident may try again: the request keeps waiting).
  Event ids are UUIDv5 of the attempt and outcome, so a repeat is the same event. Until the follow-up is done the
  attempt stays open, and the reconciler finishes it after a crash.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from payments.adapters.base import NewPayment, PaymentProvider
from payments.adapters.errors import PayError, ProviderUnavailable, RateLimited
from payments.adapters.models import Payment
from payments.store import CREATING, NOT_CREATED, PAYABLE_ORDER, QUEUED, Attempt, AttemptTaken, PaymentsStore
from shared.case_history import history_entry
from shared.errors import Conflict, DependencyFailed, NotFound
from shared.events import EventEnvelope, EventType
from shared.requests_repo import RequestsRepository
from shared.statuses import Status

_EVENT_NAMESPACE = uuid.UUID("6f1d8a52-94a4-4c3e-9d0b-2b7f5c1e8a30")
# A `creating` attempt younger than this may still be waiting for Pay's answer in another invocation.
CREATE_IN_FLIGHT = timedelta(seconds=30)
SUCCESS = "success"


@dataclass(frozen=True)
class Outcome:
    """What the web shows: where the attempt stands."""

    reference: str
    service_id: str
    attempt: int
    status: str  # creating, queued, Pay's status, not-created, or `paid` / `not-payable` for the request as a whole
    finished: bool
    amount: int
    next_url: str = ""  # only while the resident has yet to open Pay's card page
    code: str = ""

    def public(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "service_id": self.service_id,
            "attempt": self.attempt,
            "status": self.status,
            "finished": self.finished,
            "amount_pence": self.amount,
            "next_url": self.next_url,
            "code": self.code,
        }


def iso(moment: datetime) -> str:
    """A time as the tables keep it (ISO 8601, UTC, to the second)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def pay_date(moment: datetime) -> str:
    """A time as Pay's search takes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _service_unpaid_window(service_id: str) -> timedelta:
    from shared.catalogue import load_catalogue

    return timedelta(hours=load_catalogue()[service_id].unpaid_cancel_after_hours)


def _title(request: dict[str, Any]) -> str:
    return str(request.get("service_title", request["service_id"]))


def format_pence(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


class Payments:
    def __init__(
        self,
        *,
        store: PaymentsStore,
        provider: PaymentProvider,
        requests: RequestsRepository,
        publish: Callable[[EventEnvelope], Any],
        public_base_url: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_token: Callable[[], str] = lambda: secrets.token_urlsafe(24),
        unpaid_window: Callable[[str], timedelta] | None = None,
        queue_create: Callable[[Attempt], bool] | None = None,
    ) -> None:
        self.store, self.provider, self.requests = store, provider, requests
        self.publish = publish
        self._base = public_base_url.rstrip("/")
        self._clock, self._new_token = clock, new_token
        self.unpaid_window = unpaid_window or _service_unpaid_window
        # A create Pay rate-limited (429 P0900) is put on the create queue (payments.creator): True when queued.
        self.queue_create = queue_create

    def now(self) -> datetime:
        return self._clock()

    # -- starting ---------------------------------------------------------------------------------------------
    def start(self, reference: str, *, correlation_id: str) -> Outcome:
        """The attempt the resident should pay through now: the current one if it is still unopened, else a new one.

        Raises NotFound (no such request), DependencyFailed (Pay could not be reached: nothing is half-made)."""
        request = self.payable(reference)
        if request is None:
            raise NotFound(f"Request {reference} does not exist.")
        service_id, amount = str(request["service_id"]), int(request.get("amount_due_pence", 0))
        latest = self.store.latest(reference)
        if latest is not None:
            latest = self._refresh(latest, correlation_id=correlation_id)
            if latest.status == SUCCESS:
                return self._outcome(latest, status="paid")
        if request["status"] != Status.AWAITING_PAYMENT.value or amount <= 0:
            return Outcome(reference, service_id, latest.attempt if latest else 0, "not-payable", True, amount)
        if latest is not None and not latest.finished:
            # A double click or a second tab: the same attempt (see `_outcome` for its link).
            return self._outcome(latest)
        number = latest.attempt + 1 if latest else 1
        try:
            attempt = self.new_attempt(request, number)
        except AttemptTaken:
            taken = self.store.get(reference, number)
            if taken is None:  # pragma: no cover - the condition failed, so it exists
                raise
            return self._outcome(taken)
        return self._create(attempt, str(request.get("service_title", service_id)), correlation_id)

    # -- orders registered by other services (docs/decisions/0010) ------------------------------------------------
    def register_order(self, reference: str, *, service_id: str, title: str, amount: int) -> bool:
        """Register what another service (permits) priced for `reference`: True when new, False when the same
        order was registered already; Conflict when the reference is taken by anything else."""
        expires_at = self._default_expiry()
        if self.store.register_order(
            reference, service_id=service_id, title=title, amount=amount, created_at=iso(self._clock()),
            expires_at=expires_at,
        ):  # fmt: skip
            return True
        existing = self.store.order(reference) or {}
        same = (existing.get("payable"), existing.get("service_id"), int(existing.get("amount", -1))) == (
            PAYABLE_ORDER, service_id, amount
        )  # fmt: skip
        if not same:
            raise Conflict(f"Reference {reference} already has another payment.")
        return False

    def payable(self, reference: str) -> dict[str, Any] | None:
        """What `reference` asks to be paid: the request (the Requests table), else an order another service
        registered, shaped like a request (awaiting payment until settled)."""
        request = self.requests.get(reference)
        if request is not None:
            return request
        order = self.store.order(reference)
        if order is None or order.get("payable") != PAYABLE_ORDER:
            return None
        return {
            "reference": reference,
            "service_id": str(order["service_id"]),
            "service_title": str(order.get("service_title", order["service_id"])),
            "status": Status.AWAITING_PAYMENT.value if "outcome" not in order else str(order["outcome"]),
            "amount_due_pence": int(order["amount"]),
            "expires_at": int(order.get("expires_at", 0)),
            "submitted_at": str(order["created_at"]),
            "payable": PAYABLE_ORDER,
        }

    def new_attempt(self, request: dict[str, Any], number: int) -> Attempt:
        """Attempt `number` of the request, written `creating` (under a condition: raises AttemptTaken if another
        invocation wrote it first) with the request's order, before Pay is asked (the web's and MOTO's)."""
        reference, service_id = str(request["reference"]), str(request["service_id"])
        attempt = Attempt(
            reference=reference,
            attempt=number,
            service_id=service_id,
            amount=int(request.get("amount_due_pence", 0)),
            status=CREATING,
            finished=False,
            return_token=self._new_token(),  # MOTO has no return URL: the token is the index's key only
            created_at=iso(self._clock()),
        )
        expires_at = int(request.get("expires_at", 0)) or self._default_expiry()
        if request.get("payable") != PAYABLE_ORDER:  # a registered order is its own order item already
            submitted = datetime.fromisoformat(str(request.get("submitted_at") or attempt.created_at))
            self.store.put_order(
                reference,
                service_id=service_id,
                unpaid_due=iso(submitted + self.unpaid_window(service_id)),
                expires_at=expires_at,
            )
        self.store.put_new(attempt, expires_at=expires_at)
        return attempt

    def _default_expiry(self) -> int:
        return int((self._clock() + timedelta(days=7 * 365)).timestamp())

    def create_claimed(
        self, attempt: Attempt, *, on_rate_limited: Callable[[Attempt], bool], correlation_id: str
    ) -> Outcome:
        """A queued attempt the create queue's worker claimed (`creating` again): Pay is asked to create it now.
        A request no longer awaiting payment gets no payment (the attempt is not-created)."""
        request = self.payable(attempt.reference)
        if request is None or request["status"] != Status.AWAITING_PAYMENT.value:
            self._give_up(attempt, correlation_id)
            return self.outcome(self.store.get(attempt.reference, attempt.attempt) or attempt)
        return self._create(attempt, _title(request), correlation_id, on_rate_limited=on_rate_limited)

    def _create(
        self,
        attempt: Attempt,
        title: str,
        correlation_id: str,
        *,
        on_rate_limited: Callable[[Attempt], bool] | None = None,
    ) -> Outcome:
        new = NewPayment(
            amount=attempt.amount,
            reference=attempt.reference,
            description=f"{title} ({attempt.reference})"[:255],
            return_url=self.return_url(attempt),
            metadata={"attempt": attempt.attempt, "service_id": attempt.service_id},
        )
        try:
            created: Payment = self.provider.create_payment(new)
        except RateLimited as error:
            queue = on_rate_limited or self.queue_create
            if queue is not None and queue(attempt):  # Pay made nothing; the create queue's worker asks again
                return self.outcome(self.store.get(attempt.reference, attempt.attempt) or attempt)
            self._give_up(attempt, correlation_id)
            raise DependencyFailed("The payment service is busy. Please try again in a minute.") from error
        except ProviderUnavailable as error:
            if error.maybe_applied:
                found = self._look_up(attempt)
                if found is not None:
                    return self._outcome(self._recorded(attempt, found, correlation_id))
            self._give_up(attempt, correlation_id)
            raise DependencyFailed("We could not reach the payment service. Please try again.") from error
        except PayError as error:
            self._give_up(attempt, correlation_id)
            raise DependencyFailed("We could not start your payment. Please try again.") from error
        return self._outcome(self._recorded(attempt, created, correlation_id))

    def return_url(self, attempt: Attempt) -> str:
        return f"{self._base}/services/{attempt.service_id}/payment/{attempt.return_token}"

    def _look_up(self, attempt: Attempt) -> Payment | None:
        """A create whose answer was lost: Pay's payment for this reference and attempt, if it made one."""
        since = datetime.fromisoformat(attempt.created_at) - timedelta(minutes=5)
        until = self._clock() + timedelta(minutes=5)
        try:
            for payment in self.provider.search_payments(pay_date(since), pay_date(until), reference=attempt.reference):
                if (payment.metadata or {}).get("attempt") == attempt.attempt:
                    # Search results carry no card page link: the payment itself does, while it is unopened.
                    return self.provider.get_payment(payment.payment_id)
        except PayError:
            raise DependencyFailed("We could not reach the payment service. Please try again.") from None
        return None

    def _give_up(self, attempt: Attempt, correlation_id: str) -> None:
        """Pay made no payment for this attempt: it is finished, and the next click makes a new one."""
        at = iso(self._clock())
        if self.store.record_state(attempt, status=NOT_CREATED, finished=True, code="", at=at):
            self.store.mark_followed_up(attempt, at=at)

    def _recorded(self, attempt: Attempt, payment: Payment, correlation_id: str) -> Attempt:
        at = iso(self._clock())
        recorded = self.store.record_created(
            attempt, payment_id=payment.payment_id, next_url=payment.next_url or "", status=payment.state.status, at=at
        )
        return self.apply(recorded, payment, correlation_id=correlation_id)

    # -- following Pay's state --------------------------------------------------------------------------------
    def on_return(self, token: str, *, correlation_id: str) -> Outcome:
        """The resident is back from Pay's page: the attempt's state as Pay has it now."""
        attempt = self.store.by_token(token) if token else None
        if attempt is None:
            raise NotFound("There is no payment for this link.")
        return self._outcome(self._refresh(attempt, correlation_id=correlation_id))

    def on_hint(self, payment_id: str, *, correlation_id: str) -> Attempt | None:
        """A webhook said something happened to `payment_id`: read it from Pay and apply what Pay says."""
        payment = self.provider.get_payment(payment_id)
        attempt_number = (payment.metadata or {}).get("attempt")
        if not isinstance(attempt_number, int) or isinstance(attempt_number, bool):
            return None  # not one of ours (another service on the same Pay account)
        attempt = self.store.get(payment.reference, attempt_number)
        if attempt is None or attempt.payment_id != payment.payment_id:
            return None
        return self.apply(attempt, payment, correlation_id=correlation_id)

    def on_attempt(self, attempt: Attempt, *, correlation_id: str) -> Attempt:
        """The reconciler's step: the attempt brought up to date from Pay and followed up if it has finished."""
        return self._refresh(attempt, correlation_id=correlation_id)

    def _refresh(self, attempt: Attempt, *, correlation_id: str) -> Attempt:
        """The attempt brought up to date from Pay (finished ones only finish their follow-up)."""
        if attempt.finished:
            return self.follow_up(attempt, correlation_id=correlation_id) if attempt.open else attempt
        if attempt.status == QUEUED:
            return attempt  # the create queue's worker asks Pay (payments.creator gives up a stale one)
        if attempt.status == CREATING:
            asked = attempt.claimed_at or attempt.created_at  # a queued create is asked when its worker claims it
            if self._clock() - datetime.fromisoformat(asked) < CREATE_IN_FLIGHT:
                return attempt
            found = self._look_up(attempt)
            if found is None:
                self._give_up(attempt, correlation_id)
                return self.store.get(attempt.reference, attempt.attempt) or attempt
            return self._recorded(attempt, found, correlation_id)
        try:
            payment = self.provider.get_payment(attempt.payment_id)
        except PayError:
            return attempt  # Pay is unreachable: what we knew; the reconciler catches up
        return self.apply(attempt, payment, correlation_id=correlation_id)

    def apply(self, attempt: Attempt, payment: Payment, *, correlation_id: str) -> Attempt:
        if payment.payment_id != attempt.payment_id and attempt.payment_id:
            raise Conflict("The payment does not belong to this attempt.")
        state = payment.state
        if not attempt.finished and state.status != attempt.status:
            self.store.record_state(
                attempt, status=state.status, finished=state.finished, code=state.code or "", at=iso(self._clock())
            )
        current = self.store.get(attempt.reference, attempt.attempt) or attempt
        if current.finished and current.open:
            return self.follow_up(current, correlation_id=correlation_id)
        return current

    def follow_up(self, attempt: Attempt, *, correlation_id: str) -> Attempt:
        """What a finished attempt asks for, each step safe to repeat; the attempt is closed when all are done."""
        if attempt.status == SUCCESS:
            order = self.store.order(attempt.reference) or {}
            if order.get("payable") == PAYABLE_ORDER:
                # Not a request: announced straight to the topic after the attempt's conditional state write
                # (a repeat is the same event id); the order leaves "awaiting" first, so it is never paid twice.
                self.store.settle_order(attempt.reference, outcome="paid", at=iso(self._clock()))
                self.publish(self._order_paid(attempt, correlation_id))
            else:
                # The request's move to received and payment-succeeded are one write (the transactional outbox).
                self._resume_request(attempt, self._outcome_event(attempt, correlation_id))
                self.store.settle_order(attempt.reference, outcome="paid", at=iso(self._clock()))
        elif attempt.status != NOT_CREATED:
            # Nothing changes in the request: announced after the attempt's conditional state write, straight to
            # the topic (a repeat is the same event id).
            self.publish(self._outcome_event(attempt, correlation_id))
        self.store.mark_followed_up(attempt, at=iso(self._clock()))
        return self.store.get(attempt.reference, attempt.attempt) or attempt

    @staticmethod
    def _order_paid(attempt: Attempt, correlation_id: str) -> EventEnvelope:
        return _attempt_event(attempt, EventType.ORDER_PAID, correlation_id, amount_pence=str(attempt.amount))

    @staticmethod
    def _outcome_event(attempt: Attempt, correlation_id: str) -> EventEnvelope:
        outcome = EventType.PAYMENT_SUCCEEDED if attempt.status == SUCCESS else EventType.PAYMENT_FAILED
        code = attempt.status if not attempt.code else f"{attempt.status}:{attempt.code}"
        return _attempt_event(attempt, outcome, correlation_id, outcome=code)

    def _resume_request(self, attempt: Attempt, event: EventEnvelope) -> None:
        """Awaiting payment -> received with `event` (once; a repeat finds it received already)."""
        item = self.requests.get(attempt.reference)
        if item is None or item["status"] != Status.AWAITING_PAYMENT.value:
            return
        entry = history_entry(
            Status.RECEIVED.value, iso(self._clock()), update=f"Payment of {format_pence(attempt.amount)} received"
        )
        try:
            self.requests.set_status(
                attempt.reference,
                expected=Status.AWAITING_PAYMENT.value,
                status=Status.RECEIVED.value,
                entry=entry,
                position=len(item.get("history", [])),
                event=event,
            )
        except Conflict:
            again = self.requests.get(attempt.reference)
            if again is None or again["status"] == Status.AWAITING_PAYMENT.value:
                raise

    def outcome(self, attempt: Attempt) -> Outcome:
        return self._outcome(attempt)

    def _outcome(self, attempt: Attempt, *, status: str = "") -> Outcome:
        """Pay's card page link works once, so it is given only while Pay has not seen it opened; otherwise the
        resident is told a payment is under way."""
        return Outcome(
            reference=attempt.reference,
            service_id=attempt.service_id,
            attempt=attempt.attempt,
            status=status or attempt.status,
            finished=attempt.finished,
            amount=attempt.amount,
            next_url=attempt.next_url if attempt.status == "created" else "",
            code=attempt.code,
        )


def _attempt_event(attempt: Attempt, kind: EventType, correlation_id: str, **more: str) -> EventEnvelope:
    """An event about one attempt: its id derived from the attempt and the kind, so a repeat is the same event."""
    return EventEnvelope(
        type=kind,
        id=str(uuid.uuid5(_EVENT_NAMESPACE, f"{attempt.reference}:{attempt.attempt}:{kind.value}")),
        source="payments",
        correlation_id=correlation_id,
        data={
            "reference": attempt.reference,
            "service_id": attempt.service_id,
            "attempt": str(attempt.attempt),
            "payment_id": attempt.payment_id,
            **more,
        },
    )
