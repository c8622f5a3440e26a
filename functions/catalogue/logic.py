"""Catalogue logic: list services, validate answers against a definition, and record a new request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.catalogue import Question, ServiceDefinition, load_catalogue
from shared.contact import Contact
from shared.errors import DependencyFailed, NotFound, ValidationFailed, pydantic_errors
from shared.events import EventType, new_event
from shared.location import Location
from shared.publisher import publish
from shared.references import new_reference
from shared.requests_repo import ReferenceTaken, RequestsRepository
from shared.statuses import Status, label, open311_status

CHANNELS = ("online", "phone", "face-to-face", "email")
_MODEL_FOR_TYPE: dict[str, type[BaseModel]] = {"location": Location, "contact": Contact}
_REFERENCE_ATTEMPTS = 5


def list_services() -> list[dict[str, Any]]:
    return [
        {
            "id": d.id,
            "title": d.title,
            "summary": d.summary,
            "topic": d.topic,
            "links": {"self": f"/api/v1/services/{d.id}"},
        }
        for d in load_catalogue().values()
    ]


def get_service(service_id: str) -> ServiceDefinition:
    definition = load_catalogue().get(service_id)
    if definition is None:
        raise NotFound(f"There is no service called {service_id!r}. GET /api/v1/services lists them.")
    return definition


def _validate_answer(question: Question, value: Any, errors: list[dict[str, str]]) -> Any:
    if question.type in _MODEL_FOR_TYPE:
        if not isinstance(value, dict):
            errors.append({"field": question.id, "message": f"{question.label}: send an object."})
            return None
        try:
            return _MODEL_FOR_TYPE[question.type].model_validate(value).model_dump(exclude_none=True)
        except ValidationError as error:
            errors.extend(pydantic_errors(error, prefix=f"{question.id}."))
            return None
    if not isinstance(value, str):
        errors.append({"field": question.id, "message": f"{question.label}: send text."})
        return None
    text = value.strip()
    if question.required and not text:
        errors.append({"field": question.id, "message": f"Enter {question.label.lower().rstrip('?')}."})
    elif len(text) > question.max_length:
        errors.append({"field": question.id, "message": f"Use {question.max_length} characters or fewer."})
    return text


def validate_answers(definition: ServiceDefinition, body: dict[str, Any]) -> dict[str, Any]:
    """Answers keyed by question id, cleaned; raises ValidationFailed listing every problem at once."""
    errors: list[dict[str, str]] = []
    known = {q.id for q in definition.questions}
    errors.extend(
        {"field": key, "message": "This service does not ask this question."} for key in body if key not in known
    )
    answers: dict[str, Any] = {}
    for question in definition.questions:
        value = body.get(question.id)
        if value is None or value == "" or value == {}:
            if question.required:
                errors.append({"field": question.id, "message": f"Answer: {question.label}"})
            continue
        answers[question.id] = _validate_answer(question, value, errors)
    if errors:
        raise ValidationFailed("Some answers need correcting.", errors=errors)
    return answers


def public_summary(item: dict[str, Any]) -> dict[str, Any]:
    status = Status(item["status"])
    return {
        "reference": item["reference"],
        "service_id": item["service_id"],
        "status": status.value,
        "status_label": label(status),
        "open311_status": open311_status(status),
        "submitted_at": item["submitted_at"],
        "links": {"self": f"/api/v1/requests/{item['reference']}"},
    }


def submit_request(
    service_id: str,
    body: dict[str, Any],
    *,
    correlation_id: str,
    channel: str = "online",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Store a new request and announce it. Either both happen or neither: a failed publish removes the record."""
    definition = get_service(service_id)
    answers = validate_answers(definition, body)
    now = now or datetime.now(UTC)
    contact = answers.pop("contact", None)
    item: dict[str, Any] = {
        "service_id": definition.id,
        "service_title": definition.title,
        "status": Status.RECEIVED.value,
        "channel": channel,
        "answers": answers,
        "submitted_at": now.isoformat(timespec="seconds"),
        "history": [{"status": Status.RECEIVED.value, "at": now.isoformat(timespec="seconds")}],
        "correlation_id": correlation_id,
        # Retention: DynamoDB's TTL deletes the request (and its personal data) when it expires.
        "expires_at": int((now + timedelta(days=definition.retention_days)).timestamp()),
    }
    if contact:
        item["contact"] = contact
    repository = RequestsRepository()
    for _ in range(_REFERENCE_ATTEMPTS):
        item["reference"] = new_reference()
        try:
            repository.put_new(item)
            break
        except ReferenceTaken:
            continue
    else:
        raise DependencyFailed("We could not give your request a reference. Please try again.")
    event = new_event(
        EventType.REPORT_SUBMITTED,
        source="catalogue",
        correlation_id=correlation_id,
        data={"reference": item["reference"], "service_id": definition.id, "channel": channel},
    )
    try:
        publish(event)
    except DependencyFailed:
        repository.delete(item["reference"])  # nothing half-written: the caller can simply retry
        raise
    return public_summary(item)
