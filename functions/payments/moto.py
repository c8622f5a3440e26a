"""Taking a payment by phone (MOTO) for a request staff submitted for a resident (issue 10 item 8, issue 11 item 6),
or for an order another service registered for a staff member to take by phone (`MOTO_ORDER_SERVICES`: a parking
permit staff applied for on a resident's behalf, issue 12 item 8). The amount is always the one in payments' own
table (the request's, or the registered order's), never one the console sends.

Staff key the resident's card details into the console's own form; the console invokes the MOTO function
(`payments.moto_handler`), which creates a `moto_api` payment at Pay for the stored request's amount and posts the
card details once to `_links.auth_url_post` (`POST /v1/auth`) with the payment's `one_time_token`. The card details
are never stored, logged or traced: they live in the invocation's memory only (`MotoCard`'s repr hides them, and
no error message carries them).

It shares the web's attempt machinery (`payments.logic.Payments`): the attempt is written under a condition before
Pay is asked (one attempt per number, a second click gets "under way"), the state is read from Pay after the
authorisation whatever it answered, and a success is followed up as for the web (the request goes from awaiting
payment to received with `payment-succeeded` in the same write, then triage sends it to its team). A declined card
(402 P0010) fails the attempt: staff may try again (a new attempt, a new one-time token). A create whose answer
was lost is recorded `not-created` without looking further: Pay never gave us its one-time token, so no card can
be authorised on it, and Pay expires it unpaid after 90 minutes.

Time (docs/payments.md, decision in docs/console.md): Pay's `/v1/auth` may take 10 s and asks clients to wait
15 s (`MOTO_POLICY`, 30 s at worst), so the MOTO function has a 60 s timeout, more than API Gateway's 30 s that
bounds the console's page. The console waits within its own invoke budget; if that runs out first, the function
carries on to the end and the console reads the outcome back (`status`).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from payments.adapters.base import MotoCard, NewPayment
from payments.adapters.errors import PayError
from payments.logic import SUCCESS, Outcome, Payments, iso
from payments.store import NOT_CREATED, PAYABLE_ORDER, Attempt, AttemptTaken
from shared.errors import Conflict, DependencyFailed, NotFound, ValidationFailed
from shared.statuses import Status

ASSISTED_CHANNELS = frozenset({"phone", "face-to-face", "email", "letter"})  # catalogue.logic.ASSISTED_CHANNELS
# Registered orders (docs/decisions/0010) staff may take by phone: a parking permit's application (permits.application
# SERVICE_ID). A change of vehicle's order is paid by the resident online only.
MOTO_ORDER_SERVICES = frozenset({"parking-permit"})
_CARD_NUMBER = re.compile(r"^[0-9]{12,19}$")
_EXPIRY = re.compile(r"^(0[1-9]|1[0-2])/[0-9]{2}$")
_CVC = re.compile(r"^[0-9]{3,4}$")
UNDER_WAY = "A payment for this request is under way. Check its outcome before taking another."
MAX_NAME = 255  # Pay's AuthorisationRequest.cardholder_name


def card_from(fields: dict[str, Any], *, today: datetime | None = None) -> MotoCard:
    """The card details as Pay's `AuthorisationRequest` takes them, or ValidationFailed naming each field (in words
    that never repeat what was typed). Spaces and dashes in the number are dropped; `MM/YY` or `MMYY` expiry."""
    number = re.sub(r"[\s-]", "", str(fields.get("card_number", "")))
    expiry = re.sub(r"\s", "", str(fields.get("expiry_date", "")))
    if re.fullmatch(r"[0-9]{4}", expiry):
        expiry = f"{expiry[:2]}/{expiry[2:]}"
    cvc = str(fields.get("cvc", "")).strip()
    name = " ".join(str(fields.get("cardholder_name", "")).split())
    errors = []
    if not _CARD_NUMBER.match(number):
        errors.append({"field": "card_number", "message": "Enter the card number: 12 to 19 digits"})
    if not _EXPIRY.match(expiry):
        errors.append({"field": "expiry_date", "message": "Enter the expiry date as MM/YY, like 04/29"})
    elif _expired(expiry, today or datetime.now(UTC)):
        errors.append(
            {"field": "expiry_date", "message": "The card has expired: the expiry date must be in the future"}
        )
    if not name:
        errors.append({"field": "cardholder_name", "message": "Enter the name on the card"})
    elif len(name) > MAX_NAME:
        errors.append({"field": "cardholder_name", "message": f"The name must be {MAX_NAME} characters or fewer"})
    if not _CVC.match(cvc):
        errors.append(
            {
                "field": "cvc",
                "message": "Enter the security code on the card: 3 or 4 digits",
            }
        )
    if errors:
        raise ValidationFailed("Check the card details.", errors=errors)
    return MotoCard(card_number=number, expiry_date=expiry, cvc=cvc, cardholder_name=name)


def _expired(expiry: str, today: datetime) -> bool:
    month, year = int(expiry[:2]), 2000 + int(expiry[3:])
    return (year, month) < (today.year, today.month)


@dataclass(frozen=True)
class MotoResult:
    """What the console shows: paid, declined (try again), error, under way (read it back), or not payable."""

    outcome: str  # paid | declined | error | in-progress | not-started (nothing asked yet) | not-payable
    attempt: Outcome | None
    amount: int

    def public(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "amount_pence": self.amount, **(self.attempt.public() if self.attempt else {})}


class Moto:
    def __init__(self, payments: Payments) -> None:
        self.payments = payments

    def take(self, reference: str, card: MotoCard, *, correlation_id: str) -> MotoResult:
        """Create a `moto_api` payment for the request's stored amount and authorise it with the card, once."""
        request, latest = self._payable(reference, correlation_id)
        if latest is not None and latest.status == SUCCESS:
            return self._result(latest)
        if request["status"] != Status.AWAITING_PAYMENT.value:
            return MotoResult("not-payable", None, int(request.get("amount_due_pence", 0)))
        if latest is not None and not latest.finished:
            raise Conflict(UNDER_WAY)
        attempt = self._new_attempt(request, latest)
        payments = self.payments
        new = NewPayment(
            amount=attempt.amount,
            reference=reference,
            description=f"{request.get('service_title', attempt.service_id)} ({reference})"[:255],
            metadata={
                "attempt": attempt.attempt,
                "service_id": attempt.service_id,
                "channel": str(request.get("channel") or "staff"),  # an order has no channel: staff took it
            },
            authorisation_mode="moto_api",
        )
        try:
            created = payments.provider.create_payment(new)
        except PayError as error:
            self._not_created(attempt)
            raise DependencyFailed("We could not reach the payment service. No money was taken. Try again.") from error
        token = created.one_time_token
        recorded = payments.store.record_created(
            attempt, payment_id=created.payment_id, next_url="", status=created.state.status, at=iso(payments.now())
        )
        if token:
            # Declined (402 P0010), a provider error, a timeout: Pay's payment says which, read below. The error is
            # not logged: it carries Pay's code and description only, but nothing about this call needs it.
            with contextlib.suppress(PayError):
                payments.provider.authorise_moto(token, card)
        try:
            payment = payments.provider.get_payment(created.payment_id)
        except PayError:
            return self._result(recorded)  # under way: the reconciler (or a read back) finishes it
        return self._result(payments.apply(recorded, payment, correlation_id=correlation_id))

    def status(self, reference: str, *, correlation_id: str) -> MotoResult:
        """The latest attempt of the request as Pay has it now (the console's read back after its wait ran out)."""
        request, latest = self._payable(reference, correlation_id)
        if latest is None:
            waiting = request["status"] == Status.AWAITING_PAYMENT.value
            return MotoResult(
                "not-started" if waiting else "not-payable", None, int(request.get("amount_due_pence", 0))
            )
        return self._result(latest)

    # -- steps ---------------------------------------------------------------------------------------------------
    def _payable(self, reference: str, correlation_id: str) -> tuple[dict[str, Any], Attempt | None]:
        request = self.payments.payable(reference)
        if request is None:
            raise NotFound(f"Request {reference} does not exist.")
        if request.get("payable") == PAYABLE_ORDER:
            if request["service_id"] not in MOTO_ORDER_SERVICES:
                raise Conflict("This order is paid by the resident online, not by phone.")
        elif request.get("channel") not in ASSISTED_CHANNELS:
            raise Conflict("Only a request staff submitted for a resident is paid by phone.")
        latest = self.payments.store.latest(reference)
        if latest is not None:
            latest = self.payments.on_attempt(latest, correlation_id=correlation_id)
        return request, latest

    def _new_attempt(self, request: dict[str, Any], latest: Attempt | None) -> Attempt:
        if int(request.get("amount_due_pence", 0)) <= 0:
            raise Conflict("This request has no fee to pay.")
        try:
            return self.payments.new_attempt(request, latest.attempt + 1 if latest else 1)
        except AttemptTaken:
            raise Conflict(
                "A payment for this request is under way. Check its outcome before taking another."
            ) from None

    def _not_created(self, attempt: Attempt) -> None:
        at = iso(self.payments.now())
        if self.payments.store.record_state(attempt, status=NOT_CREATED, finished=True, code="", at=at):
            self.payments.store.mark_followed_up(attempt, at=at)

    def _result(self, attempt: Attempt) -> MotoResult:
        shown = Outcome(
            reference=attempt.reference,
            service_id=attempt.service_id,
            attempt=attempt.attempt,
            status=attempt.status,
            finished=attempt.finished,
            amount=attempt.amount,
            code=attempt.code,
        )
        if attempt.status == SUCCESS:
            outcome = "paid"
        elif not attempt.finished:
            outcome = "in-progress"
        elif attempt.status == "failed" and attempt.code == "P0010":
            outcome = "declined"
        else:
            outcome = "error"
        return MotoResult(outcome, shown, attempt.amount)
