"""The form engine: what a service asks, given the answers so far, and whether the answers are good.

Pure Python over a `ServiceDefinition` (no AWS, no HTTP), shared by every channel: the API validates a whole
submission with it, the resident web pages walk a journey page by page with it, and both get the same answers,
the same messages and the same fee.

Answers are keyed by question id; each is cleaned by `shared.answer_cleaners` (the raw and clean shapes of
every question type are listed there), and a fee is computed by `shared.fees`. Errors are `{"field": ...,
"message": ...}` in page order. How answers are shown (check your answers, the fee summary) is the web's
business: `functions/web/answers.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.answer_cleaners import (
    ADDRESS_MESSAGES,
    ADDRESS_PART_MAX,
    ADDRESS_PART_NAMES,
    CONTACT_MESSAGES,
    CONTACT_PREFERENCES,
    DEFAULT_MESSAGES,
    LONDON,
    FieldError,
    FieldErrors,
    clean_answer,
    file_size_message,
    file_type_message,
    is_blank,
    today,
)
from shared.catalogue import ServiceDefinition
from shared.fees import compute_fee
from shared.questions import FILE_TYPES, Page, Question, conditions_hold

# The form engine's names, in one place for its callers (the API, the web, tests).
__all__ = [
    "ADDRESS_MESSAGES",
    "ADDRESS_PART_MAX",
    "ADDRESS_PART_NAMES",
    "CONTACT_MESSAGES",
    "CONTACT_PREFERENCES",
    "DEFAULT_MESSAGES",
    "FILE_TYPES",
    "LONDON",
    "FieldError",
    "FieldErrors",
    "PageResult",
    "Submission",
    "clean_answer",
    "compute_fee",
    "conditions_hold",
    "file_size_message",
    "file_type_message",
    "is_blank",
    "next_page",
    "previous_page",
    "shown_answers",
    "today",
    "validate_page",
    "validate_submission",
    "visible_pages",
    "visible_questions",
]


@dataclass(frozen=True)
class PageResult:
    """One page's answers, cleaned (hidden questions left out), and its errors in question order."""

    values: dict[str, Any]
    errors: list[FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Submission:
    """A whole submission: the answers to store (only shown questions), every error, and the fee due."""

    answers: dict[str, Any]
    errors: list[FieldError]
    amount_due_pence: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# --- journeys --------------------------------------------------------------------------------------------------


def shown_answers(definition: ServiceDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers whose questions are shown, given the answers themselves (hidden ones dropped)."""
    shown: dict[str, Any] = {}
    for page in definition.pages:
        if not conditions_hold(page.show_if, shown):
            continue
        for question in page.questions:
            if question.id in answers and conditions_hold(question.show_if, shown):
                shown[question.id] = answers[question.id]
    return shown


def visible_pages(definition: ServiceDefinition, answers: Mapping[str, Any]) -> list[Page]:
    """The pages a resident sees, in order, given the (clean) answers so far."""
    shown = shown_answers(definition, answers)
    return [page for page in definition.pages if conditions_hold(page.show_if, shown)]


def visible_questions(definition: ServiceDefinition, page: Page, answers: Mapping[str, Any]) -> list[Question]:
    """The questions of `page` to show, given the answers so far (a page's own earlier answers count too)."""
    shown = shown_answers(definition, answers)
    return [question for question in page.questions if conditions_hold(question.show_if, shown)]


def next_page(definition: ServiceDefinition, answers: Mapping[str, Any], after: str | None = None) -> Page | None:
    """The first shown page after page `after` (or the first page); None when the next step is check answers."""
    start = 0 if after is None else [p.id for p in definition.pages].index(after) + 1
    visible = {page.id for page in visible_pages(definition, answers)}
    return next((page for page in definition.pages[start:] if page.id in visible), None)


def previous_page(definition: ServiceDefinition, answers: Mapping[str, Any], before: str) -> Page | None:
    """The shown page before page `before` (for the back link), or None on the first page."""
    end = [p.id for p in definition.pages].index(before)
    visible = {page.id for page in visible_pages(definition, answers)}
    return next((page for page in reversed(definition.pages[:end]) if page.id in visible), None)


# --- validation ------------------------------------------------------------------------------------------------


def validate_page(
    definition: ServiceDefinition,
    page_id: str,
    raw: Mapping[str, Any],
    answers: Mapping[str, Any] | None = None,
    *,
    on: date | None = None,
) -> PageResult:
    """Validate one page's raw answers; `answers` are the clean answers of the other pages (for conditions).

    Keys of `raw` that are not this page's questions are ignored (a web form also posts its CSRF token).
    Raises KeyError for an unknown page id.
    """
    page = definition.page(page_id)
    context = shown_answers(definition, {k: v for k, v in (answers or {}).items() if k not in _ids(page)})
    errors = FieldErrors()
    values: dict[str, Any] = {}
    for question in page.questions:
        if not conditions_hold(question.show_if, {**context, **values}):
            continue
        value = clean_answer(question, raw.get(question.id), errors, on=on or today())
        if value is not None:
            values[question.id] = value
    return PageResult(values=values, errors=errors.items)


def validate_submission(
    definition: ServiceDefinition, body: Mapping[str, Any], *, on: date | None = None
) -> Submission:
    """Validate every shown question of a whole submission and compute the fee.

    Answers to questions that the other answers hide are dropped, not stored; keys that are no question of the
    service are errors (a client would otherwise lose data silently).
    """
    errors = FieldErrors()
    for key in body:
        if not _is_question(definition, key):
            errors.add(str(key), "This service does not ask this question.")
    answers: dict[str, Any] = {}
    day = on or today()
    for page in definition.pages:
        if not conditions_hold(page.show_if, answers):
            continue
        for question in page.questions:
            if not conditions_hold(question.show_if, answers):
                continue
            value = clean_answer(question, body.get(question.id), errors, on=day)
            if value is not None:
                answers[question.id] = value
    amount = 0 if errors.items else compute_fee(definition, answers)
    return Submission(answers=answers, errors=errors.items, amount_due_pence=amount)


def _ids(page: Page) -> set[str]:
    return {q.id for q in page.questions}


def _is_question(definition: ServiceDefinition, key: object) -> bool:
    return any(q.id == key for _, q in definition.questions())
