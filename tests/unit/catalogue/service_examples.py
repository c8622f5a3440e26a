"""Answers built from the service definitions themselves: a valid answer to any question, a whole valid body for
any service, the answers that make a conditional question shown, and a failing answer for every rule.

Shared by the form engine's tests and the API's tests, so that a new definition is tested without new test code.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.catalogue import FILE_TYPES, Condition, Question, ServiceDefinition

ON = date(2026, 3, 27)  # "today" in these tests: a Friday

# Answers that match each shipped `pattern` rule (a regex cannot be inverted in general). A test fails if a
# definition gains a pattern without an entry here.
PATTERN_EXAMPLES = {
    ("garden-waste", "subscription_number"): "gw123456",
    ("complaint", "earlier_reference"): "ABCD-EFGH",
}


def valid_answer(definition: ServiceDefinition, question: Question) -> Any:  # noqa: C901 - a case per type
    v = question.validation
    match question.type:
        case "text" if v.pattern:
            return PATTERN_EXAMPLES[(definition.id, question.id)]
        case "text" | "textarea":
            return "A clear answer"[: question.max_length].ljust(v.min_length.value if v.min_length else 1, "x")
        case "number":
            return v.min.value if v.min else v.max.value if v.max else 1
        case "date":
            return (ON + timedelta(days=7) if v.future else ON - timedelta(days=1)).isoformat()
        case "email":
            return "resident@example.org"
        case "uk-phone":
            return "07700 900123"
        case "uk-postcode":
            return "ME15 6JQ"
        case "address":
            return {"line1": "1 High Street", "town": "Maidstone", "postcode": "ME15 6JQ"}
        case "location":
            return {"postcode": "ME15 6JQ", "description": "By the gate"}
        case "radios":
            return question.option_values()[0]
        case "checkboxes":
            return [question.option_values()[0]]
        case "yes-no":
            return "yes"
        case "file":
            extension = (question.accept or ("pdf",))[0]
            return {
                "upload_id": "upload-0001",
                "filename": f"evidence.{extension}",
                "content_type": FILE_TYPES[extension][0],
                "size_bytes": 1024,
            }
        case "contact":
            return {"email": "resident@example.org"}
    raise AssertionError(question.type)


def satisfying(definition: ServiceDefinition, condition: Condition) -> Any:
    """An answer to the condition's question that makes the condition hold."""
    target = definition.question(condition.question)
    if condition.not_ is not None:
        value = next(v for v in target.option_values() if v != condition.not_)
    else:
        value = condition.values()[0]
    return [value] if target.type == "checkboxes" else value


def valid_body(definition: ServiceDefinition, show: Question | None = None) -> dict[str, Any]:
    """A valid answer to every question; with `show`, the controlling answers are chosen so `show` is shown."""
    body = {question.id: valid_answer(definition, question) for _, question in definition.questions()}
    if show is not None:
        page = next(p for p, q in definition.questions() if q.id == show.id)
        pending = list(page.show_if or ()) + list(show.show_if or ())
        while pending:
            condition = pending.pop()
            body[condition.question] = satisfying(definition, condition)
            controller = definition.question(condition.question)
            controller_page = next(p for p, q in definition.questions() if q.id == controller.id)
            pending.extend(list(controller_page.show_if or ()) + list(controller.show_if or ()))
    return body


def failing_answers(question: Question) -> list[tuple[str, Any, str]]:  # noqa: C901 - a case per rule
    """(rule, an answer that breaks it, the message expected) for every rule the question has."""
    v = question.validation
    cases: list[tuple[str, Any, str]] = []
    if v.required:
        cases += [("required", None, v.required.message), ("required", "  ", v.required.message)]
    if v.min_length and v.min_length.value > 1:
        cases.append(("min_length", "x" * (v.min_length.value - 1), v.min_length.message))
    if v.max_length:
        cases.append(("max_length", "x" * (v.max_length.value + 1), v.max_length.message))
    if v.pattern:
        cases.append(("pattern", "\u2603 not this", v.pattern.message))
    if v.min:
        cases.append(("min", v.min.value - 1, v.min.message))
    if v.max:
        cases.append(("max", v.max.value + 1, v.max.message))
    if v.past:
        later = ON if not v.past.allow_today else ON + timedelta(days=1)
        cases.append(("past", later.isoformat(), v.past.message))
    if v.future:
        earlier = ON if not v.future.allow_today else ON - timedelta(days=1)
        cases.append(("future", earlier.isoformat(), v.future.message))
    if v.options:
        bad = ["not-an-option"] if question.type == "checkboxes" else "not-an-option"
        cases.append(("options", bad, v.options.message))
    if v.max_selected:
        cases.append(("max_selected", list(question.option_values()), v.max_selected.message))
    if v.format:
        cases.append(("format", _badly_formatted[question.type], v.format.message))
    return cases


_badly_formatted: dict[str, Any] = {
    "number": "three",
    "date": {"day": "31", "month": "2", "year": "2026"},
    "email": "resident-at-example.org",
    "uk-phone": "12345",
    "uk-postcode": "90210",
}
