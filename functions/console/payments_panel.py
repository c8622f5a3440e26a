"""The case page's payments panel and its refund form (docs/payments.md, "Refunds"; docs/console.md).

The panel shows a fee request's payment as the payments service has it (amount, state, Pay's payment id, the day the
money was taken) and its refunds, read through the StaffPayments function: the console never reads the payments
tables. Staff holding `refund` also see a form (amount in pounds, a reason), posted to
`POST /staff/cases/<reference>/refunds` (the route needs `refund` and a CSRF token; console/app.py). The refund is
audited (`refund`, in the console's Audit table) before payments is asked, and payments checks the permission again.

A refused or invalid refund shows the case page again with the error (nothing refunded); a refund made is answered
with a redirect to the case page (so a reload posts nothing). The form carries a one-off key and the refund's number,
so the same form posted twice makes one refund.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from console.app import Page, StaffRequest, redirect
from console.audit import AuditLog
from console.permissions import Permission, StaffMember
from console.queue import CaseQueue
from shared.observability import logger
from shared.references import normalise_reference

REASON_MAX = 500  # payments.refunds.REASON_MAX
_AMOUNT = re.compile(r"^\d{1,6}(\.\d{1,2})?$")
STATES = {
    "requesting": "Being checked with GOV.UK Pay",
    "submitted": "Submitted to GOV.UK Pay",
    "success": "Refunded",
    "error": "Failed: nothing was refunded",
    "not-created": "Not made",
}
# Why a refund was refused, as staff read it (payments' `problem`; its `detail` gives the amounts where they matter).
PROBLEMS = {
    "over-available": "That is more than is left to refund.",
    "fully-refunded": "This payment has been refunded in full already.",
    "changed": "The payment changed while you were refunding it: someone else refunded part of it. Check what is "
    "left and try again.",
    "not-paid": "This request has not been paid: there is nothing to refund.",
    "not-refundable": "GOV.UK Pay cannot refund this payment now.",
    "checking": "A refund of this payment is still being checked with GOV.UK Pay. Look at the case again in a minute.",
}
UNCONFIRMED = (
    "We could not confirm the refund with GOV.UK Pay. Look at the case again in a few minutes before refunding "
    "again (sending this same form again never refunds twice)."
)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


class StaffPayments(Protocol):
    """The payments service's staff function: `summary` and `refund` (payments/staff.py)."""

    def __call__(self, event: dict[str, Any]) -> Answer: ...


class LambdaStaffPayments:
    """StaffPayments invoked by name (the console's role may invoke exactly that function)."""

    def __init__(self, function_name: str) -> None:
        self._function = function_name

    def __call__(self, event: dict[str, Any]) -> Answer:
        from shared import aws

        try:
            response = aws.client("lambda").invoke(FunctionName=self._function, Payload=json.dumps(event).encode())
            answer = json.loads(response["Payload"].read() or b"{}")
        except Exception:  # a timeout or a throttle: shown as "could not confirm", never as a refusal
            logger.exception("StaffPayments not reached")
            return Answer(502, {"detail": UNCONFIRMED})
        if response.get("FunctionError") or not isinstance(answer, dict) or "status" not in answer:
            return Answer(502, {"detail": UNCONFIRMED})
        body = answer.get("body")
        return Answer(int(answer["status"]), body if isinstance(body, dict) else {})


@dataclass
class Outcome:
    """A refund form posted and refused: what the panel shows with it."""

    errors: list[dict[str, str]] = field(default_factory=list)  # GOV.UK error summary items: text, href
    amount: str = ""
    reason: str = ""


class PaymentsPanel:
    """The CasePanel (console/views.py) of fee requests' payments."""

    template = "partials/payments_panel.html"

    def __init__(self, payments: StaffPayments | None) -> None:
        self.payments = payments
        self._outcomes: dict[int, Outcome] = {}  # the refused post being shown again, by request (one at a time)

    def context(self, staff: StaffMember, case: dict[str, Any], request: StaffRequest) -> dict[str, Any]:
        outcome = self._outcomes.pop(id(request), None)
        if "amount_due_pence" not in case:
            return {"applies": False}  # a free service: nothing was paid
        context: dict[str, Any] = {
            "applies": True,
            "reference": case["reference"],
            "may_refund": staff.may(Permission.REFUND),
            "outcome": outcome or Outcome(),
            "refunded": _refunded(request),
            "states": STATES,
        }
        if self.payments is None:
            return {**context, "unavailable": "Payments are not connected to this console."}
        answer = self.payments(
            {"action": "summary", "reference": case["reference"], "correlation_id": logger.get_correlation_id()}
        )
        if answer.status != 200:
            return {**context, "unavailable": "The payment cannot be shown now: try again in a minute."}
        summary = answer.body
        return {
            **context,
            "summary": summary,
            "form_key": secrets.token_urlsafe(18),
            "can_refund": summary.get("paid")
            and summary.get("refund_status") == "available"
            and int(summary.get("refundable_pence", 0)) > 0,
        }

    def show_again(self, request: StaffRequest, outcome: Outcome) -> None:
        self._outcomes[id(request)] = outcome

    def forget(self, request: StaffRequest) -> None:
        self._outcomes.pop(id(request), None)


class RefundViews:
    """The console section (console/views.py) with the refund form's view."""

    def __init__(
        self,
        panel: PaymentsPanel,
        cases: CaseQueue,
        audit: AuditLog,
        case_page: Callable[[StaffRequest, str], Page],
    ) -> None:
        self.panel, self.cases, self.audit, self.case_page = panel, cases, audit, case_page

    def refund(self, request: StaffRequest, reference: str) -> Page:
        assert request.staff is not None  # the guard let only staff holding `refund` through, with a valid CSRF token
        staff = request.staff
        canonical = normalise_reference(reference[:32])
        case = self.cases.case(canonical) if canonical else None
        if case is None or not staff.works_for(case.get("team")):
            return self.case_page(request, reference)  # "No case found", as for a read
        form = request.form
        amount_text, reason = form.get("amount", "").strip(), " ".join(form.get("reason", "").split())
        outcome = Outcome(amount=amount_text[:20], reason=reason[:REASON_MAX])
        pence = _pence(amount_text)
        if pence is None:
            outcome.errors.append({"text": _amount_error(amount_text), "href": "#refund-amount"})
        if not reason:
            outcome.errors.append({"text": "Enter why you are refunding the payment", "href": "#refund-reason"})
        elif len(reason) > REASON_MAX:
            outcome.errors.append(
                {"text": f"The reason must be {REASON_MAX} characters or fewer", "href": "#refund-reason"}
            )
        number, form_key = form.get("number", ""), form.get("form_key", "")
        if not number.isdigit() or not form_key:
            outcome.errors.append({"text": "The form is incomplete: reload the page and try again", "href": "#refund"})
        if outcome.errors or pence is None:
            return self._again(request, case["reference"], outcome)
        if self.panel.payments is None:
            outcome.errors.append({"text": "Refunds are not connected to this console.", "href": "#refund"})
            return self._again(request, case["reference"], outcome)
        # Audited before payments is asked: the refund touches the resident's payment.
        self.audit.record(staff, "refund", case["reference"], source_ip=request.source_ip)
        answer = self.panel.payments(
            {
                "action": "refund",
                "reference": case["reference"],
                "amount_pence": pence,
                "reason": reason,
                "number": int(number),
                "form_key": form_key,
                "staff": {"subject": staff.subject, "roles": sorted(staff.roles)},
                "correlation_id": logger.get_correlation_id(),
            }
        )
        if answer.status == 200:
            logger.info("Refund asked", extra={"reference": case["reference"], "status": answer.body.get("status")})
            return redirect(f"/staff/cases/{case['reference']}?refunded={int(number)}#payments")
        outcome.errors.append({"text": _refusal(answer), "href": "#refund-amount"})
        return self._again(request, case["reference"], outcome)

    def _again(self, request: StaffRequest, reference: str, outcome: Outcome) -> Page:
        self.panel.show_again(request, outcome)
        try:
            return self.case_page(request, reference)
        finally:
            self.panel.forget(request)


def _refunded(request: StaffRequest) -> str:
    """The number of the refund just made (the redirect's `?refunded=`), only ever a number: a crafted link
    cannot put words in the banner."""
    number = request.query.get("refunded", "") if request.method == "GET" else ""
    return number if number.isdigit() and len(number) <= 4 else ""


def _pence(text: str) -> int | None:
    """Pounds as staff type them (`12`, `12.5`, `£1,012.50`) in pence; None if it is not an amount above £0."""
    cleaned = text.removeprefix("£").replace(",", "").strip()
    if not _AMOUNT.match(cleaned):
        return None
    pence = int(Decimal(cleaned) * 100)
    return pence if pence > 0 else None


def _amount_error(text: str) -> str:
    if not text:
        return "Enter the amount to refund, in pounds"
    return "Enter the amount to refund in pounds and pence, more than £0, like 12.50"


def _refusal(answer: Answer) -> str:
    problem, detail = str(answer.body.get("problem", "")), str(answer.body.get("detail", ""))
    if problem == "over-available":
        return f"{PROBLEMS[problem]} {detail}"
    if problem in PROBLEMS:
        return PROBLEMS[problem] if problem != "not-refundable" else f"{PROBLEMS[problem]} {detail}".strip()
    if answer.status == 403:
        return "You do not have permission to refund payments."
    if answer.status == 400:
        return "The refund could not be made: " + (detail or "check the amount and the reason.")
    return UNCONFIRMED if answer.status >= 500 else detail or UNCONFIRMED
