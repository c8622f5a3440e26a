"""Taking a fee by phone (MOTO) from the console, after an assisted submission or later by the request's reference
(issue 10 item 8, issue 11 item 6, decision 0009): the card form posted to the console, passed once to the payments
service's MOTO function and never stored, logged or put back on a page; every look-up and attempt audited.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from console.app import Page, StaffRequest, redirect
from console.assisted_pages import Audit, Renderer, Submitted, staff_of, start_page
from console.payment_due import Due, PaymentDue

CARD_FIELDS = ("card_number", "expiry_date", "cardholder_name", "cvc")
TAKE_PAYMENT = "take-payment"
READ_PAYMENT = "read-payment-due"  # coming back to a request's fee: what was found is audited before it is shown
CHECK_PAYMENT = "check-payment"  # reading the latest attempt's outcome back
PAY_REFERENCE = "pay_reference"  # the start page's reference box ("Take a payment for a request already made")
NOT_A_REFERENCE = "Enter the request's reference, like 7KXM-3RAH"


@dataclass(frozen=True)
class PaymentJourney:
    """What the card form and outcome pages (assisted_pay.html, assisted_paid.html) say and where they post, for one
    kind of thing staff take a payment for by phone: a request (here) or a permit application (console/permit_apply.py).
    """

    caption: str  # "Request": the caption before the reference
    noun: str  # "request": "for request 7KXM-3RAH", "This request is not waiting for a payment"
    pay_action: str  # where the card form posts
    status_action: str  # where "Check the payment" posts
    paid_message: str  # what happens once it is paid
    record_path: str = ""  # a page the reference is appended to that shows where it stands; "" offers paying later
    unpaid_message: str = ""  # under the card form, before the link to that page
    another_path: str = "/staff/assisted"
    another_text: str = "Submit another request for a resident"


REQUEST_PAYMENT = PaymentJourney(
    caption="Request",
    noun="request",
    pay_action="/staff/assisted/pay",
    status_action="/staff/assisted/pay/status",
    paid_message="The request has gone to its team. The resident will hear from us as they asked.",
)


class PaymentTaker(Protocol):
    def take(self, reference: str, card: dict[str, str], *, correlation_id: str) -> Submitted: ...

    def status(self, reference: str, *, correlation_id: str) -> Submitted: ...


class LambdaPaymentTaker:
    """The payments service's MOTO function (payments/moto_handler.py), invoked directly.

    The console waits within its own invoke budget (shared/aws.py: one attempt, never retried, so the card is sent
    once); the MOTO function's timeout is longer (Pay asks for 15 s per authorisation), so if the wait runs out
    the function carries on and the page offers to read the outcome back (`status`)."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    def take(self, reference: str, card: dict[str, str], *, correlation_id: str) -> Submitted:
        return self._invoke({"action": "take", "reference": reference, "card": card, "correlation_id": correlation_id})

    def status(self, reference: str, *, correlation_id: str) -> Submitted:
        return self._invoke({"action": "status", "reference": reference, "correlation_id": correlation_id})

    def _invoke(self, payload: dict[str, Any]) -> Submitted:
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import ReadTimeoutError

        from shared import aws

        try:
            response = aws.client("lambda").invoke(
                FunctionName=self.function_name, Payload=json.dumps(payload).encode()
            )
        except (ReadTimeoutError, BotoConnectionError):
            return Submitted(202, {"outcome": "in-progress"})  # the function carries on: read the outcome back
        answer = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError") or "status" not in answer:
            return Submitted(202, {"outcome": "in-progress"})  # it may have got as far as Pay: read it back
        body = answer.get("body")
        return Submitted(int(answer["status"]), body if isinstance(body, dict) else {})


class DueReader(Protocol):
    def find(self, reference: str) -> PaymentDue: ...


class PaymentPages:
    """`POST /staff/assisted/pay` (take the fee with the card details keyed) and `/staff/assisted/pay/status` (read
    the outcome back). The card details are posted to the console, passed on once and never stored, logged or
    put back on a page.

    Coming back to a fee later (the call dropped, the card was declined, the resident calls back): the start page's
    reference box (`POST /staff/assisted/pay/find`) leads to `GET /staff/assisted/pay/<reference>`, which shows the
    card form while the request awaits payment, or says why there is nothing to take (console/payment_due.py)."""

    def __init__(self, pages: Renderer, audit: Audit, taker: PaymentTaker, due: DueReader) -> None:
        self.pages, self.audit, self.taker, self.due = pages, audit, taker, due

    def assisted_pay_find(self, request: StaffRequest) -> Page:
        reference = _reference(request.form.get(PAY_REFERENCE, ""))
        if not reference:
            errors = [{"field": PAY_REFERENCE, "message": NOT_A_REFERENCE}]
            return start_page(self.pages, request, {PAY_REFERENCE: request.form.get(PAY_REFERENCE, "")[:32]}, errors)
        return redirect(f"/staff/assisted/pay/{reference}")

    def assisted_pay_due(self, request: StaffRequest, reference: str) -> Page:
        canonical = _reference(reference)
        if not canonical:
            return self._due_page(request, PaymentDue(reference[:32], Due.NOT_FOUND))
        due = self.due.find(canonical)
        # Before the answer, whatever was found (as a search by reference is): a reference is no personal data.
        self.audit.record(
            staff_of(request), READ_PAYMENT, canonical, source_ip=request.source_ip, details={"found": due.state.value}
        )
        if due.state is Due.AWAITING:
            return card_form(
                self.pages, request, canonical, amount_pence=due.amount_pence, service_title=due.service_title
            )
        return self._due_page(request, due)

    def _due_page(self, request: StaffRequest, due: PaymentDue) -> Page:
        return self.pages.render(
            "assisted_payment_due.html",
            request,
            status=404 if due.state is Due.NOT_FOUND else 200,
            title=_DUE_TITLES[due.state],
            due=due,
        )

    def assisted_pay(self, request: StaffRequest) -> Page:
        reference = _reference(request.form.get("reference", ""))
        if not reference:
            return _form_unreadable(self.pages, request)
        card = {name: request.form.get(name, "") for name in CARD_FIELDS}
        self.audit.record(staff_of(request), TAKE_PAYMENT, reference, source_ip=request.source_ip)
        answer = self.taker.take(reference, card, correlation_id=str(uuid.uuid4()))
        return self._outcome(request, reference, answer)

    def assisted_pay_status(self, request: StaffRequest) -> Page:
        reference = _reference(request.form.get("reference", ""))
        if not reference:
            return _form_unreadable(self.pages, request)
        self.audit.record(staff_of(request), CHECK_PAYMENT, reference, source_ip=request.source_ip)
        return self._outcome(request, reference, self.taker.status(reference, correlation_id=str(uuid.uuid4())))

    def _outcome(self, request: StaffRequest, reference: str, answer: Submitted) -> Page:
        body = answer.body
        amount = int(body.get("amount_pence") or 0)
        if answer.status == 422 and body.get("errors"):
            return card_form(self.pages, request, reference, amount_pence=amount, errors=body["errors"], status=400)
        if answer.status not in (200, 202):
            return card_form(
                self.pages,
                request,
                reference,
                amount_pence=amount,
                errors=[{"field": "", "message": str(body.get("detail") or "The payment could not be taken.")}],
                status=answer.status,
            )
        outcome = str(body.get("outcome", "in-progress"))
        if outcome in _TRY_AGAIN:
            field, message = _TRY_AGAIN[outcome]
            errors = [{"field": field, "message": message}] if message else []
            return card_form(self.pages, request, reference, amount_pence=amount, errors=errors)
        return self.pages.render(
            "assisted_paid.html",
            request,
            journey=REQUEST_PAYMENT,
            status=202 if outcome == "in-progress" else 200,
            title=_OUTCOME_TITLES.get(outcome, "The payment could not be taken"),
            outcome=outcome,
            reference=reference,
            amount_pence=amount,
        )


# Outcomes after which the card form is shown again: (the field the message is about, the message).
_TRY_AGAIN = {
    "declined": ("card_number", "The card was declined. No money was taken. Ask for another card, or try again."),
    "error": ("", "Something went wrong at the payment provider. No money was taken. Try again."),
    "not-started": ("", ""),  # read back before anything was asked: nothing to say, the form to take it
}
_DUE_TITLES = {
    Due.PAID: "This request is paid",
    Due.CANCELLED: "This request was cancelled",
    Due.NO_FEE: "There is nothing to pay",
    Due.ONLINE: "The resident pays for this request online",
    Due.NOT_AWAITING: "This request is not waiting for a payment",
    Due.NOT_FOUND: "No request found",
}
_OUTCOME_TITLES = {
    "paid": "Payment taken",
    "in-progress": "Taking the payment",
    "not-payable": "There is nothing to pay",
    "error": "The payment could not be taken",
}


def card_form(
    pages: Renderer,
    request: StaffRequest,
    reference: str,
    *,
    amount_pence: int,
    errors: list[dict[str, str]] | None = None,
    status: int = 200,
    service_title: str = "",
) -> Page:
    """The card form for a request's fee; the card number and security code are never put back on the page."""
    kept = {
        "expiry_date": request.form.get("expiry_date", ""),
        "cardholder_name": request.form.get("cardholder_name", ""),
    }
    return pages.render(
        "assisted_pay.html",
        request,
        journey=REQUEST_PAYMENT,
        pay_action=REQUEST_PAYMENT.pay_action,
        status=status,
        title="Take the payment by card",
        reference=reference,
        amount_pence=amount_pence,
        service_title=service_title,
        errors=errors or [],
        error_for={e["field"]: e["message"] for e in errors or []},
        kept=kept if errors else {},
    )


def _reference(text: str) -> str:
    from shared.references import normalise_reference

    return normalise_reference(text[:32]) or ""


def _form_unreadable(pages: Renderer, request: StaffRequest) -> Page:
    return pages.render(
        "message.html",
        request,
        status=400,
        title="Sorry, there is a problem",
        message="The form could not be read. Find the request by its reference and try again.",
    )
