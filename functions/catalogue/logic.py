"""Catalogue logic: list services, validate answers against a definition, and record a new request.

Every channel submits through `submit_request`: the resident web pages, the API, and staff taking a request by
phone or face to face (another `channel`). Validation and fees come from the form engine (`shared.forms`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from catalogue.uploads import CleanUploads, refused_files
from shared import forms
from shared.catalogue import ServiceDefinition, load_catalogue
from shared.errors import BadRequest, DependencyFailed, NotFound, ValidationFailed
from shared.events import EventType, derived_id, new_event
from shared.forms import Submission
from shared.references import new_reference
from shared.requests_repo import ReferenceTaken, RequestsRepository
from shared.search_keys import search_keys
from shared.statuses import Status, label, open311_status

CHANNELS = ("online", "phone", "face-to-face", "email", "letter")
ASSISTED_CHANNELS = CHANNELS[1:]  # staff submitting for a resident (assisted digital)
MAX_REASON_LENGTH = 500
_REFERENCE_ATTEMPTS = 5


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def list_services() -> list[dict[str, Any]]:
    return [
        {
            "id": d.id,
            "title": d.title,
            "summary": d.summary,
            "topic": d.topic,
            "topic_id": _slug(d.topic),
            "keywords": list(d.keywords),
            "charges": d.charges,
            "links": {"self": f"/api/v1/services/{d.id}"},
        }
        for d in load_catalogue().values()
    ]


def list_topics() -> list[dict[str, Any]]:
    """The services grouped by topic, topics in alphabetical order and services in title order within each."""
    topics: dict[str, dict[str, Any]] = {}
    for d in load_catalogue().values():
        topic = topics.setdefault(d.topic, {"id": _slug(d.topic), "title": d.topic, "services": []})
        topic["services"].append(d.id)
    return [topics[name] for name in sorted(topics)]


def get_service(service_id: str) -> ServiceDefinition:
    definition = load_catalogue().get(service_id)
    if definition is None:
        raise NotFound(f"There is no service called {service_id!r}. GET /api/v1/services lists them.")
    return definition


def validate_answers(definition: ServiceDefinition, body: dict[str, Any], *, now: datetime | None = None) -> Submission:
    """Answers cleaned against the definition (hidden questions dropped) and the fee due.

    Raises ValidationFailed listing every problem at once, in page order.
    """
    submission = forms.validate_submission(definition, body, on=forms.today(now))
    if not submission.ok:
        raise ValidationFailed(
            "Some answers need correcting.",
            errors=[{"field": e["field"], "message": e["message"]} for e in submission.errors],
        )
    return submission


def _clean_uploads() -> CleanUploads:
    from catalogue.settings import settings

    return _clean_uploads_named(settings().uploads_bucket_parameter)


@cache
def _clean_uploads_named(parameter_name: str) -> CleanUploads:
    from catalogue.uploads import S3CleanUploads

    return S3CleanUploads(parameter_name)  # reads the parameter once, on the first file answer


def _for_dynamodb(value: Any) -> Any:
    """DynamoDB takes numbers as Decimal, never float (a point on the map has float coordinates)."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _for_dynamodb(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_for_dynamodb(v) for v in value]
    return value


@dataclass(frozen=True)
class Assisted:
    """A member of staff submitting for a resident: who (their Cognito `sub`) and why (required).

    Only the console passes this (decision 0007): the public API's handler never builds one, and a body naming
    `channel` or `submitted_by_staff` is refused there like any other unknown question."""

    staff: str
    reason: str

    def checked(self, channel: str) -> Assisted:
        if channel not in ASSISTED_CHANNELS:
            raise BadRequest(f"Staff submit by {', '.join(ASSISTED_CHANNELS)}, not {channel!r}.")
        if not self.staff.strip():
            raise BadRequest("A request submitted by staff must name the member of staff.")
        reason = " ".join(self.reason.split())
        if not reason:
            raise ValidationFailed(
                "Some answers need correcting.",
                errors=[{"field": "reason", "message": "Enter why you are submitting this for the resident"}],
            )
        if len(reason) > MAX_REASON_LENGTH:
            raise ValidationFailed(
                "Some answers need correcting.",
                errors=[{"field": "reason", "message": f"The reason must be {MAX_REASON_LENGTH} characters or fewer"}],
            )
        return Assisted(staff=self.staff.strip(), reason=reason)


_POSTCODE_PARTS = ("location", "address")  # question types whose answer has a `postcode` part


def _searchable(
    definition: ServiceDefinition, answers: dict[str, Any], contact: dict[str, Any] | None
) -> dict[str, str | None]:
    """The resident's postcode and email, the first of each in page order, for the search keys (shared/search_keys.py):
    a location's or an address's postcode or a postcode answer; the contact's email or an email answer."""
    postcodes: list[str] = []
    emails = [str(contact["email"])] if contact and contact.get("email") else []
    for _, question in definition.questions():
        answer = answers.get(question.id)
        if question.type in _POSTCODE_PARTS and isinstance(answer, dict) and answer.get("postcode"):
            postcodes.append(str(answer["postcode"]))
        elif question.type == "uk-postcode" and answer:
            postcodes.append(str(answer))
        elif question.type == "email" and answer:
            emails.append(str(answer))
    return {"postcode": next(iter(postcodes), None), "email": next(iter(emails), None)}


def public_summary(item: dict[str, Any]) -> dict[str, Any]:
    status = Status(item["status"])
    return {
        "reference": item["reference"],
        "service_id": item["service_id"],
        "status": status.value,
        "status_label": label(status),
        "open311_status": open311_status(status),
        "submitted_at": item["submitted_at"],
        "amount_due_pence": int(item.get("amount_due_pence", 0)),
        "links": {"self": f"/api/v1/requests/{item['reference']}"},
    }


def submit_request(
    service_id: str,
    body: dict[str, Any],
    *,
    correlation_id: str,
    channel: str = "online",
    now: datetime | None = None,
    uploads: CleanUploads | None = None,
    assisted: Assisted | None = None,
) -> dict[str, Any]:
    """Store a new request with the event announcing it, in one write: the table's stream publishes the event
    (shared/outbox.py), so a request is never stored unannounced, nor announced twice under two ids.

    A service with a fee is recorded as awaiting payment with the amount due, computed here from the answers.
    A file answer must name a scanned-clean upload of this service (`catalogue.uploads`). A request `assisted` by
    staff is stored with the staff member (`submitted_by_staff`) and the reason (`assisted_reason`).
    """
    if channel not in CHANNELS:
        raise BadRequest(f"Unknown channel {channel!r}; use one of {', '.join(CHANNELS)}.")
    assisted = assisted.checked(channel) if assisted is not None else None
    definition = get_service(service_id)
    now = now or datetime.now(UTC)
    submission = validate_answers(definition, body, now=now)
    refused = refused_files(definition, submission.answers, uploads or _clean_uploads())
    if refused:
        raise ValidationFailed(
            "Some answers need correcting.", errors=[{"field": e["field"], "message": e["message"]} for e in refused]
        )
    answers = dict(submission.answers)
    contact_ids = [q.id for _, q in definition.questions() if q.type == "contact"]
    contact = answers.pop(contact_ids[0], None) if contact_ids else None
    status = Status.AWAITING_PAYMENT if submission.amount_due_pence > 0 else Status.RECEIVED
    at = now.isoformat(timespec="seconds")
    item: dict[str, Any] = {
        "service_id": definition.id,
        "service_title": definition.title,
        "status": status.value,
        "channel": channel,
        "answers": _for_dynamodb(answers),
        "amount_due_pence": submission.amount_due_pence,
        "submitted_at": at,
        "history": [{"status": status.value, "at": at}],
        "correlation_id": correlation_id,
        # Retention: DynamoDB's TTL deletes the request (and its personal data) when it expires.
        "expires_at": int((now + timedelta(days=definition.retention_days)).timestamp()),
    }
    if contact:
        item["contact"] = contact
    item.update(search_keys().attributes(**_searchable(definition, answers, contact)))
    if assisted is not None:
        item["submitted_by_staff"] = assisted.staff
        item["assisted_reason"] = assisted.reason
    repository = RequestsRepository()
    for _ in range(_REFERENCE_ATTEMPTS):
        item["reference"] = new_reference()
        event = new_event(
            EventType.REPORT_SUBMITTED,
            id_=derived_id(f"{item['reference']}:submitted"),
            source="catalogue",
            correlation_id=correlation_id,
            data={"reference": item["reference"], "service_id": definition.id, "channel": channel},
        )
        try:
            repository.put_new(item, event=event)
            break
        except ReferenceTaken:
            continue
    else:
        raise DependencyFailed("We could not give your request a reference. Please try again.")
    return public_summary(item)
