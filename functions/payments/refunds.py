"""Refunds by staff: fully or in part, never more than Pay says is left, with a reason, once per confirmed form.

- Who: the caller (the console) passes the member of staff (Cognito `sub`, roles); a refund is made only for a
  role that holds the `refund` permission (`REFUND_ROLES`, which the stack derives from the console's roles.yaml).
  The console writes the audit entry before it asks (docs/payments.md, "Refunds").
- How much: `refund_summary.amount_available` is read from Pay first and sent as `refund_amount_available`; a 412
  P0604 (someone refunded meanwhile) re-reads and asks again, once; a second mismatch is a clear conflict.
- Once: the refund is written (`requesting`, its number and the form's key) under a condition before Pay is asked,
  so the same form posted twice makes one refund, and a second refund asked for at the same moment is refused. A
  create that timed out is looked for at Pay (its refunds searched) before anything else is made; until it is
  found or known not to exist, the payment takes no other refund.
- State as Pay defines it: submitted, then success or error. The reconciler polls every open refund to its end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from payments.adapters.base import PaymentProvider
from payments.adapters.errors import PayError, PaymentNotRefundable, ProviderUnavailable, RefundAmountMismatch
from payments.adapters.models import Payment, Refund
from payments.logic import SUCCESS, format_pence, iso, pay_date
from payments.refunds_store import NOT_CREATED, REQUESTING, RefundNumberTaken, RefundRecord, RefundsStore
from payments.store import Attempt, PaymentsStore
from shared.errors import BoroughError, DependencyFailed, Forbidden, ValidationFailed
from shared.observability import logger, metrics

REASON_MAX = 500
REFUNDS_FAILED_METRIC = "RefundsFailed"  # a refund Pay ended in `error`: alarmed (stacks/observability_stack.py)
# A `requesting` refund younger than this may still be waiting for Pay's answer in another invocation.
REFUND_IN_FLIGHT = timedelta(seconds=30)
KEEP_FOR = timedelta(days=7 * 365)  # finance keeps payment records for seven years


class RefundRefused(BoroughError):
    """A refund that cannot be made, with `problem` saying why in one word the console turns into a message."""

    status = 409
    title = "The refund cannot be made"

    def __init__(self, problem: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem


@dataclass(frozen=True)
class StaffRef:
    subject: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Origin:
    """Where a refund was asked from, kept in its record: the console, or the staff API and the caller's address."""

    via: str = "console"
    source_ip: str = ""


class KeyReused(BoroughError):
    """An idempotency key already used for a different refund of this request."""

    status = 422
    title = "The Idempotency-Key was used for another refund"


@dataclass(frozen=True)
class PaymentSummary:
    """What staff see of a request's payment: the paid attempt, what Pay says is left, and every refund."""

    reference: str
    paid: bool
    amount: int = 0
    status: str = ""
    payment_id: str = ""
    refund_status: str = ""  # Pay's refund_summary.status: available, pending, full, unavailable, error
    refundable: int = 0
    captured_date: str = ""  # Pay's settlement_summary.captured_date: the day the money was taken from the card
    refunds: tuple[RefundRecord, ...] = ()
    next_number: int = 1

    def public(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "paid": self.paid,
            "amount_pence": self.amount,
            "amount": format_pence(self.amount),  # as staff read it (the console formats no money itself)
            "status": self.status,
            "payment_id": self.payment_id,
            "captured_date": self.captured_date,
            "refund_status": self.refund_status,
            "refundable_pence": self.refundable,
            "refundable": format_pence(self.refundable),
            "next_number": self.next_number,
            "refunds": [public_refund(r) for r in self.refunds],
        }


def public_refund(record: RefundRecord) -> dict[str, Any]:
    return {
        "number": record.number,
        "amount_pence": record.amount,
        "amount": format_pence(record.amount),
        "status": record.status,
        "reason": record.reason,
        "staff": record.staff,
        "requested_at": record.requested_at,
        "refund_id": record.refund_id,
        "code": record.code,
        "via": record.via,
    }


class Refunds:
    def __init__(
        self,
        *,
        attempts: PaymentsStore,
        store: RefundsStore,
        provider: PaymentProvider,
        refund_roles: frozenset[str],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.attempts, self.store, self.provider = attempts, store, provider
        self.refund_roles = refund_roles
        self._clock = clock

    # -- what staff see -------------------------------------------------------------------------------------------
    def summary(self, reference: str) -> PaymentSummary:
        """The request's payment as Pay has it now (one read), and its refunds; refunds still open are refreshed."""
        paid = self._paid_attempt(reference)
        refunds = tuple(self._refreshed(r) for r in self.store.of(reference))
        next_number = max((r.number for r in refunds), default=0) + 1
        if paid is None:
            return PaymentSummary(reference, paid=False, refunds=refunds, next_number=next_number)
        captured = ""
        try:
            payment = self.provider.get_payment(paid.payment_id)
            refund_status, refundable = _refundable(payment)
            captured = payment.settlement_summary.captured_date or ""
        except PayError:
            refund_status, refundable = "unknown", 0  # Pay unreachable: nothing is offered
        return PaymentSummary(
            reference,
            paid=True,
            amount=paid.amount,
            status=paid.status,
            payment_id=paid.payment_id,
            refund_status=refund_status,
            refundable=refundable,
            captured_date=captured,
            refunds=refunds,
            next_number=next_number,
        )

    # -- refunding --------------------------------------------------------------------------------------------------
    def refund_once(
        self, reference: str, *, amount: int, reason: str, staff: StaffRef, key: str, origin: Origin
    ) -> tuple[RefundRecord, bool]:
        """The staff API's refund: `key` (the caller's Idempotency-Key) stands for the console form's key, and the
        refund takes the request's next number. The same key again is the refund it made (returned with False, and
        Pay not asked); the same key with another amount or reason is KeyReused. Otherwise as `refund`, and True."""
        reason = self._check(staff, amount, reason, number=1, form_key=key)
        return self._once(reference, amount, reason, staff, key, origin)

    def refund_for_service(
        self, reference: str, *, amount: int, reason: str, key: str, via: str
    ) -> tuple[RefundRecord, bool]:
        """A refund another service asks for (`refund-order`, payments.order_refunds): no member of staff, the record
        says `via` (the service) instead. As `refund_once`: the same key again is the refund it made (False)."""
        reason = " ".join(reason.split())
        if not reason or len(reason) > REASON_MAX:
            raise ValidationFailed(f"Give a reason for the refund ({REASON_MAX} characters at most).")
        if amount <= 0:
            raise ValidationFailed("Give an amount to refund, more than £0.00.")
        if not key or not via:
            raise ValidationFailed("A refund asked for by a service needs its idempotency key and the service.")
        return self._once(reference, amount, reason, StaffRef(f"service:{via}", frozenset()), key, Origin(via=via))

    def _once(
        self, reference: str, amount: int, reason: str, staff: StaffRef, key: str, origin: Origin
    ) -> tuple[RefundRecord, bool]:
        earlier = self.store.of(reference)
        same = next((r for r in earlier if r.form_key == key), None)
        if same is None:
            number = max((r.number for r in earlier), default=0) + 1
            same, new = self._refund(reference, amount, reason, staff, number, key, origin)
            if new:
                return same, True
            # else another call with this key wrote this number first (a double POST at once): its refund
        if same.amount != amount or same.reason != reason:
            raise KeyReused("This Idempotency-Key was used for a different refund of this request: use a new key.")
        if same.status == NOT_CREATED:
            raise RefundRefused(
                _REFUSED_BY_CODE.get(same.code, "not-refundable"),
                "The refund asked for with this Idempotency-Key was not made, and no money was refunded. Check "
                "the payment, then ask again with a new key.",
            )
        return same, False

    def _check(self, staff: StaffRef, amount: int, reason: str, *, number: int, form_key: str) -> str:
        if not staff.subject or not staff.roles & self.refund_roles:
            raise Forbidden("You do not have permission to refund payments.")
        reason = " ".join(reason.split())
        if not reason or len(reason) > REASON_MAX:
            raise ValidationFailed(f"Enter a reason for the refund ({REASON_MAX} characters at most).")
        if amount <= 0:
            raise ValidationFailed("Enter an amount to refund, more than £0.00.")
        if number < 1 or not form_key:
            raise ValidationFailed("The refund form is incomplete: start again from the case page.")
        return reason

    def refund(
        self,
        reference: str,
        *,
        amount: int,
        reason: str,
        staff: StaffRef,
        number: int,
        form_key: str,
        origin: Origin | None = None,
    ) -> RefundRecord:
        """Refund `amount` pence of the request's payment. Raises Forbidden (no refund permission),
        ValidationFailed (no reason, no amount), RefundRefused (why not), DependencyFailed (Pay unreachable)."""
        reason = self._check(staff, amount, reason, number=number, form_key=form_key)
        return self._refund(reference, amount, reason, staff, number, form_key, origin or Origin())[0]

    def _refund(
        self, reference: str, amount: int, reason: str, staff: StaffRef, number: int, form_key: str, origin: Origin
    ) -> tuple[RefundRecord, bool]:
        """The refund, and whether this call made it (False: the same form's key had written this number)."""
        paid = self._paid_attempt(reference)
        if paid is None:
            raise RefundRefused("not-paid", "This request has not been paid: there is nothing to refund.")
        earlier = self.store.of(reference)
        if any(r.status == REQUESTING and r.form_key != form_key for r in earlier):
            raise RefundRefused("checking", "A refund of this payment is still being checked. Try again in a minute.")
        record = RefundRecord(
            reference=reference,
            number=number,
            attempt=paid.attempt,
            payment_id=paid.payment_id,
            amount=amount,
            reason=reason,
            staff=staff.subject,
            form_key=form_key,
            status=REQUESTING,
            requested_at=iso(self._clock()),
            via=origin.via,
            source_ip=origin.source_ip,
        )
        try:
            self.store.put_new(record, expires_at=int((self._clock() + KEEP_FOR).timestamp()))
        except RefundNumberTaken:
            taken = self.store.get(reference, number)
            if taken is not None and taken.form_key == form_key:
                return taken, False  # the same form again (a double click): the refund it made
            raise RefundRefused(
                "changed", "Another refund of this payment was made meanwhile. Check the payment and try again."
            ) from None
        return self._ask_pay(record), True

    def _ask_pay(self, record: RefundRecord) -> RefundRecord:
        for last_try in (False, True):
            available = self._available(record, self._read(record))
            try:
                made = self.provider.create_refund(record.payment_id, record.amount, refund_amount_available=available)
            except RefundAmountMismatch:
                if last_try:
                    self._not_created(record, "P0604")
                    raise RefundRefused(
                        "changed", "The payment changed while you were refunding it. Check it and try again."
                    ) from None
                continue  # someone refunded meanwhile: read what is left and ask again, once
            except PaymentNotRefundable:
                self._not_created(record, "P0603")
                raise RefundRefused("not-refundable", _NOT_AVAILABLE["unavailable"]) from None
            except ProviderUnavailable as error:
                return self._answer_lost(record, error)
            except PayError as error:
                self._not_created(record, error.code)
                raise DependencyFailed("GOV.UK Pay refused the refund. No refund was made.") from error
            return self._submitted(record, made)
        raise AssertionError("unreachable")  # pragma: no cover

    def _available(self, record: RefundRecord, payment: Payment) -> int:
        """What Pay says is left to refund, or the refusal (the record marked not created) if `record` cannot be."""
        status, available = _refundable(payment)
        if status == "full" or (status == "available" and available == 0):
            self._not_created(record, "full")
            raise RefundRefused("fully-refunded", "This payment has been refunded in full already.")
        if status != "available":
            self._not_created(record, status)
            raise RefundRefused("not-refundable", _NOT_AVAILABLE.get(status, _NOT_AVAILABLE["unavailable"]))
        if record.amount > available:
            self._not_created(record, "over")
            raise RefundRefused(
                "over-available",
                f"You can refund at most {format_pence(available)} of this payment, not {format_pence(record.amount)}.",
            )
        return available

    def _answer_lost(self, record: RefundRecord, error: ProviderUnavailable) -> RefundRecord:
        if not error.maybe_applied:
            self._not_created(record, error.code)
            raise DependencyFailed("We could not reach GOV.UK Pay. No refund was made: try again.") from error
        found = self._look_up(record)
        if found is not None:
            return self._submitted(record, found)
        # Not found yet (Pay's search may lag): left `requesting`; the reconciler looks again.
        raise DependencyFailed(
            "We could not confirm the refund with GOV.UK Pay. It is being checked: look at the case again in a few "
            "minutes before refunding again."
        ) from error

    def _read(self, record: RefundRecord) -> Payment:
        try:
            return self.provider.get_payment(record.payment_id)
        except PayError as error:
            self._not_created(record, error.code)
            raise DependencyFailed("We could not reach GOV.UK Pay. No refund was made: try again.") from error

    def _submitted(self, record: RefundRecord, refund: Refund) -> RefundRecord:
        self.store.record(record, status=refund.status, at=iso(self._clock()), refund_id=refund.refund_id)
        return self.store.get(record.reference, record.number) or record

    def _not_created(self, record: RefundRecord, code: str) -> None:
        self.store.record(record, status=NOT_CREATED, at=iso(self._clock()), code=code)

    def _look_up(self, record: RefundRecord) -> Refund | None:
        """A refund whose answer was lost: Pay's refund of this payment and amount that no record of ours has."""
        known = {r.refund_id for r in self.store.of(record.reference) if r.refund_id}
        since = datetime.fromisoformat(record.requested_at) - timedelta(minutes=5)
        until = self._clock() + timedelta(minutes=5)
        try:
            for refund in self.provider.search_refunds(pay_date(since), pay_date(until)):
                ours = refund.payment_id == record.payment_id and refund.amount == record.amount
                if ours and refund.refund_id not in known:
                    return refund
        except PayError:
            return None
        return None

    # -- following Pay's state ----------------------------------------------------------------------------------
    def poll(self, record: RefundRecord) -> RefundRecord:
        """The reconciler's step: an open refund brought up to date from Pay. Returns it as it now stands."""
        if not record.open:
            return record
        if record.status == REQUESTING:
            if self._clock() - datetime.fromisoformat(record.requested_at) < REFUND_IN_FLIGHT:
                return record
            found = self._look_up(record)
            if found is not None:
                return self._submitted(record, found)
            self._not_created(record, "not-found")
            return self.store.get(record.reference, record.number) or record
        refund = self.provider.get_refund(record.payment_id, record.refund_id)
        changed = refund.status != record.status and self.store.record(
            record, status=refund.status, at=iso(self._clock())
        )
        if changed and refund.status == "error":
            # Pay gives the money back to amount_available; nobody was paid. A person tells the resident or retries.
            logger.error("Refund failed at Pay", extra={"reference": record.reference, "refund": record.number})
            metrics.add_metric(name=REFUNDS_FAILED_METRIC, unit="Count", value=1)
        return self.store.get(record.reference, record.number) or record

    def on_refunded(self, payment_id: str) -> list[RefundRecord]:
        """A `card_payment_refunded` webhook for `payment_id`: every open refund of it polled (a hint only)."""
        payment = self.provider.get_payment(payment_id)
        return [self.poll(r) for r in self.store.of(payment.reference) if r.open and r.payment_id == payment_id]

    def _refreshed(self, record: RefundRecord) -> RefundRecord:
        if record.status != "submitted":
            return record
        try:
            return self.poll(record)
        except PayError:
            return record

    def _paid_attempt(self, reference: str) -> Attempt | None:
        return next((a for a in self.attempts.attempts(reference) if a.status == SUCCESS and a.payment_id), None)


# A refund not made, by the code its record keeps: the refusal it was (`refund_once` answers a replay with it).
_REFUSED_BY_CODE = {"over": "over-available", "full": "fully-refunded", "P0604": "changed"}
_NOT_AVAILABLE = {
    "pending": "The payment has not been taken from the card yet (it is captured within a day). Try again later.",
    "unavailable": "GOV.UK Pay cannot refund this payment.",
    "error": "GOV.UK Pay cannot refund this payment now: its last refund failed. Contact GOV.UK Pay support.",
    "unknown": "We could not reach GOV.UK Pay. No refund was made: try again.",
}


def _refundable(payment: Payment) -> tuple[str, int]:
    summary = payment.refund_summary
    if summary is None:
        return "unavailable", 0
    return summary.status, summary.amount_available
