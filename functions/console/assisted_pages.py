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

from console.app import Page, StaffRequest
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
        staff = staff_of(request)
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


def staff_of(request: StaffRequest) -> StaffMember:
    assert request.staff is not None  # the guard let only signed-in staff through
    return request.staff


# -- taking the fee by phone (MOTO) ----------------------------------------------------------------------------------
