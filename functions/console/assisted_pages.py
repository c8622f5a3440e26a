"""Assisted digital (issue 11 item 6, decision 0007): staff submit a service for a resident who cannot go online.

The journey, all forms posted to the console (no JavaScript): choose the service, the channel (phone, face to face,
email, letter) and say why -> the service's pages one by one, validated by the form engine the web uses
(`shared.forms.validate_page`, conditions and messages included) -> check answers -> submit. What has been answered
so far travels in the form (`state`, JSON); nothing is stored until the submit, and the console-only catalogue
function validates the whole submission again (`submit_request`), so a tampered form can submit nothing the web
could not.

On submit the `act-for-resident` audit entry (who, reason, channel, service, from where) is written first, under
the submission's id, which is also the request's correlation id; the request's own record then gets an entry naming
that submission, so its trail shows who submitted it for the resident. If the first entry cannot be written nothing
is submitted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from console.app import Page, StaffRequest, redirect
from console.payment_due import Due, PaymentDue
from console.permissions import StaffMember
from shared import forms
from shared.catalogue import ServiceDefinition, load_catalogue
from shared.questions import Page as FormPage
from shared.questions import Question

CHANNELS = {"phone": "Phone", "face-to-face": "Face to face", "email": "Email", "letter": "Letter"}
MAX_REASON_LENGTH = 500  # catalogue.logic.MAX_REASON_LENGTH: the function checks it again
# The parts of compound answers as form fields `<question>.<part>` (the error summary links to them).
PARTS = {
    "date": ("day", "month", "year"),
    "address": ("line1", "line2", "town", "county", "postcode"),
    "location": ("postcode", "description"),
    "contact": ("email", "phone", "preference"),
}
ACTION = "act-for-resident"


@dataclass(frozen=True)
class Submitted:
    status: int
    body: dict[str, Any]


class Submitter(Protocol):
    def submit(self, payload: dict[str, Any]) -> Submitted: ...


class LambdaSubmitter:
    """The console-only catalogue function (catalogue/assisted_handler.py), invoked directly."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name

    def submit(self, payload: dict[str, Any]) -> Submitted:
        from shared import aws

        response = aws.client("lambda").invoke(FunctionName=self.function_name, Payload=json.dumps(payload).encode())
        answer = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError") or "status" not in answer:
            return Submitted(502, {"detail": "The request could not be submitted. Try again."})
        body = answer.get("body")
        return Submitted(int(answer["status"]), body if isinstance(body, dict) else {})


class Renderer(Protocol):
    def render(self, template: str, request: StaffRequest | None = None, status: int = 200, **context: Any) -> Page: ...


class Audit(Protocol):
    def record(
        self, staff: StaffMember, action: str, reference: str, *, source_ip: str, details: Mapping[str, str] = ...
    ) -> Any: ...


@dataclass
class Journey:
    """Where a submission for a resident stands: what the form carries from page to page."""

    service: str
    channel: str
    reason: str
    answers: dict[str, Any]

    def encoded(self) -> str:
        return json.dumps(
            {"service": self.service, "channel": self.channel, "reason": self.reason, "answers": self.answers}
        )

    @classmethod
    def decoded(cls, text: str) -> Journey | None:
        try:
            data = json.loads(text)
            journey = cls(str(data["service"]), str(data["channel"]), str(data["reason"]), dict(data["answers"]))
        except (ValueError, KeyError, TypeError):
            return None
        ok = journey.service in load_catalogue() and journey.channel in CHANNELS and clean_reason(journey.reason)
        return journey if ok else None

    @property
    def definition(self) -> ServiceDefinition:
        return load_catalogue()[self.service]


def clean_reason(text: str) -> str:
    return " ".join(text.split())


class AssistedPages:
    """The views of `/staff/assisted...` (routes in console/routes.py, permission `act-for-resident`)."""

    def __init__(self, pages: Renderer, audit: Audit, submitter: Submitter) -> None:
        self.pages, self.audit, self.submitter = pages, audit, submitter

    # -- choose the service, channel and reason -------------------------------------------------------------------
    def assisted_start(self, request: StaffRequest) -> Page:
        return self._start(request, {}, [])

    def assisted_begin(self, request: StaffRequest) -> Page:
        form = request.form
        service, channel, reason = (
            form.get("service", ""),
            form.get("channel", ""),
            clean_reason(form.get("reason", "")),
        )
        errors = []
        if service not in load_catalogue():
            errors.append({"field": "service", "message": "Select the service"})
        if channel not in CHANNELS:
            errors.append({"field": "channel", "message": "Select how the resident contacted us"})
        if not reason:
            errors.append({"field": "reason", "message": "Enter why you are submitting this for the resident"})
        elif len(reason) > MAX_REASON_LENGTH:
            errors.append({"field": "reason", "message": f"The reason must be {MAX_REASON_LENGTH} characters or fewer"})
        if errors:
            return self._start(request, form, errors)
        journey = Journey(service, channel, reason, {})
        first = forms.next_page(journey.definition, {})
        assert first is not None  # a definition has at least one page
        return self._question_page(request, journey, first, {}, [])

    # -- the service's pages ----------------------------------------------------------------------------------------
    def assisted_answers(self, request: StaffRequest) -> Page:
        journey = Journey.decoded(request.form.get("state", ""))
        if journey is None:
            return self._start_again(request)
        definition = journey.definition
        try:
            page = definition.page(request.form.get("page", ""))
        except KeyError:
            return self._start_again(request)
        raw = form_to_raw(page, request.form)
        result = forms.validate_page(definition, page.id, raw, journey.answers, on=forms.today())
        if result.errors:
            errors = [{"field": e["field"], "message": e["message"]} for e in result.errors]
            return self._question_page(request, journey, page, request.form, errors, status=400)
        answers = {k: v for k, v in journey.answers.items() if k not in {q.id for q in page.questions}}
        journey.answers = forms.shown_answers(definition, {**answers, **result.values})
        following = forms.next_page(definition, journey.answers, after=page.id)
        if following is not None:
            return self._question_page(request, journey, following, {}, [])
        return self._check(request, journey)

    # -- check and submit -------------------------------------------------------------------------------------------
    def assisted_submit(self, request: StaffRequest) -> Page:
        journey = Journey.decoded(request.form.get("state", ""))
        if journey is None:
            return self._start_again(request)
        staff = _staff(request)
        submission = str(uuid.uuid4())
        details = {"channel": journey.channel, "reason": journey.reason, "service": journey.service}
        # Before the submit: if this cannot be written, nothing is submitted (the exception fails the page).
        self.audit.record(staff, ACTION, f"submission:{submission}", source_ip=request.source_ip, details=details)
        submitted = self.submitter.submit(
            {
                "action": "submit",
                "service_id": journey.service,
                "answers": journey.answers,
                "channel": journey.channel,
                "staff": staff.subject,
                "reason": journey.reason,
                "correlation_id": submission,
            }
        )
        if submitted.status != 201:
            errors = submitted.body.get("errors") or [{"field": "", "message": submitted.body.get("detail", "")}]
            return self._check(request, journey, errors=errors, status=submitted.status)
        reference = str(submitted.body["reference"])
        self.audit.record(
            staff, ACTION, reference, source_ip=request.source_ip, details={**details, "submission": submission}
        )
        return self.pages.render(
            "assisted_done.html",
            request,
            title="Request submitted",
            reference=reference,
            service=journey.definition,
            channel=CHANNELS[journey.channel],
            amount_pence=int(submitted.body.get("amount_due_pence", 0)),
        )

    # -- rendering --------------------------------------------------------------------------------------------------
    def _start(self, request: StaffRequest, form: Mapping[str, str], errors: list[dict[str, str]]) -> Page:
        return start_page(self.pages, request, form, errors)

    def _start_again(self, request: StaffRequest) -> Page:
        return self.pages.render(
            "message.html",
            request,
            status=400,
            title="Sorry, there is a problem",
            message="The form could not be read. Start the request again from 'Submit a request for a resident'.",
        )

    def _question_page(
        self,
        request: StaffRequest,
        journey: Journey,
        page: FormPage,
        form: Mapping[str, str],
        errors: list[dict[str, str]],
        *,
        status: int = 200,
    ) -> Page:
        questions = forms.visible_questions(journey.definition, page, journey.answers)
        values = dict(form) or _form_values(page, journey.answers)
        return self.pages.render(
            "assisted_questions.html",
            request,
            status=status,
            title=page.title or (questions[0].label if questions else journey.definition.title),
            service=journey.definition,
            channel=CHANNELS[journey.channel],
            page=page,
            questions=questions,
            parts=PARTS,
            values=values,
            errors=errors,
            error_for={e["field"]: e["message"] for e in errors},
            question_errors={
                q.id: next((e["message"] for e in errors if e["field"].split(".")[0] == q.id), "") for q in questions
            },
            state=journey.encoded(),
        )

    def _check(
        self, request: StaffRequest, journey: Journey, *, errors: list[dict[str, str]] | None = None, status: int = 200
    ) -> Page:
        definition = journey.definition
        submission = forms.validate_submission(definition, journey.answers, on=forms.today())
        rows = [
            (q.label, _shown(q, journey.answers[q.id])) for _, q in definition.questions() if q.id in journey.answers
        ]
        return self.pages.render(
            "assisted_check.html",
            request,
            status=status,
            title="Check the answers before submitting",
            service=definition,
            channel=CHANNELS[journey.channel],
            reason=journey.reason,
            rows=rows,
            amount_pence=submission.amount_due_pence,
            errors=errors or [],
            state=journey.encoded(),
        )


def start_page(pages: Renderer, request: StaffRequest, form: Mapping[str, str], errors: list[dict[str, str]]) -> Page:
    """The assisted-digital start page: submit a request for a resident, or take a payment for one already made."""
    services = sorted(load_catalogue().values(), key=lambda d: d.title)
    return pages.render(
        "assisted_start.html",
        request,
        status=400 if errors else 200,
        title="Submit a request for a resident",
        services=services,
        channels=CHANNELS,
        form=form,
        errors=errors,
    )


def form_to_raw(page: FormPage, form: Mapping[str, str]) -> dict[str, Any]:
    """One page's raw answers (shared/answer_cleaners.py's shapes) from the console's form fields."""
    raw: dict[str, Any] = {}
    for question in page.questions:
        if question.type in PARTS:
            parts = {part: form.get(f"{question.id}.{part}", "") for part in PARTS[question.type]}
            raw[question.id] = parts if question.type == "address" else {k: v for k, v in parts.items() if v}
        elif question.type == "checkboxes":
            # One field per option (`<question>.<value>`): the console's form parser keeps one value per name.
            raw[question.id] = [o.value for o in question.options or () if form.get(f"{question.id}.{o.value}")]
        elif question.type != "file":  # file answers need an upload: not taken in the console
            raw[question.id] = form.get(question.id, "")
    return raw


def _form_values(page: FormPage, answers: Mapping[str, Any]) -> dict[str, str]:
    """Clean answers back as the page's form fields (going back over a page keeps what was typed)."""
    values: dict[str, str] = {}
    for question in page.questions:
        value = answers.get(question.id)
        if value is None:
            continue
        if question.type == "date":
            year, month, day = str(value).split("-")
            values.update({f"{question.id}.day": day, f"{question.id}.month": month, f"{question.id}.year": year})
        elif isinstance(value, dict):
            values.update({f"{question.id}.{k}": str(v) for k, v in value.items()})
        elif isinstance(value, list):
            values.update({f"{question.id}.{v}": "yes" for v in value})
        else:
            values[question.id] = str(value)
    return values


def _shown(question: Question, value: Any) -> str:
    labels = {o.value: o.label for o in question.options or ()}
    if isinstance(value, dict):
        return ", ".join(str(v) for k, v in value.items() if v not in (None, "") and k != "uprn")
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(str(value), str(value))


def _staff(request: StaffRequest) -> StaffMember:
    assert request.staff is not None  # the guard let only signed-in staff through
    return request.staff


# -- taking the fee by phone (MOTO) ----------------------------------------------------------------------------------
CARD_FIELDS = ("card_number", "expiry_date", "cardholder_name", "cvc")
TAKE_PAYMENT = "take-payment"
READ_PAYMENT = "read-payment-due"  # coming back to a request's fee: what was found is audited before it is shown
CHECK_PAYMENT = "check-payment"  # reading the latest attempt's outcome back
PAY_REFERENCE = "pay_reference"  # the start page's reference box ("Take a payment for a request already made")
NOT_A_REFERENCE = "Enter the request's reference, like 7KXM-3RAH"


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
            _staff(request), READ_PAYMENT, canonical, source_ip=request.source_ip, details={"found": due.state.value}
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
        self.audit.record(_staff(request), TAKE_PAYMENT, reference, source_ip=request.source_ip)
        answer = self.taker.take(reference, card, correlation_id=str(uuid.uuid4()))
        return self._outcome(request, reference, answer)

    def assisted_pay_status(self, request: StaffRequest) -> Page:
        reference = _reference(request.form.get("reference", ""))
        if not reference:
            return _form_unreadable(self.pages, request)
        self.audit.record(_staff(request), CHECK_PAYMENT, reference, source_ip=request.source_ip)
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
