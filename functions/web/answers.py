"""Answers as the resident web shows them: check your answers, the fee, and HTML form fields in and out.

The form engine (`shared.forms`: validation, conditions, fees) is shared with the API; what is here only the web
needs. `form_to_raw` turns a posted HTML form into the raw answers the engine validates, and `display_value` is
its inverse: a clean answer back in the shape its form fields show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.catalogue import FixedFee, Page, PerItemFee, Question, ServiceDefinition, TableFee, conditions_hold
from shared.forms import compute_fee, is_blank, shown_answers, visible_pages

# The HTML field names of each compound type's parts: `<question id>.<part>`.
FORM_PARTS: dict[str, tuple[str, ...]] = {
    "date": ("day", "month", "year"),
    "address": ("line1", "line2", "town", "county", "postcode", "uprn"),
    "location": ("postcode", "latitude", "longitude", "description"),
    "contact": ("email", "phone", "preference"),
}
NOT_PROVIDED = "Not provided"


@dataclass(frozen=True)
class AnswerRow:
    """A row of "check your answers": the question, the answer as lines of text, and where to change it."""

    question_id: str
    label: str
    lines: tuple[str, ...]
    page_id: str

    @property
    def value(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class FeeSummary:
    amount_pence: int
    display: str
    description: str


# --- the fee ----------------------------------------------------------------------------------------------------------


def format_pence(pence: int) -> str:
    """Money as GOV.UK writes it: £25, £25.50, £1,250."""
    pounds, rest = divmod(pence, 100)
    return f"£{pounds:,}" if rest == 0 else f"£{pounds:,}.{rest:02d}"


def fee_summary(definition: ServiceDefinition, answers: Mapping[str, Any]) -> FeeSummary | None:
    """The fee to show on check your answers, or None for a free service."""
    fee = definition.fee
    if not isinstance(fee, FixedFee | PerItemFee | TableFee):
        return None
    amount = compute_fee(definition, answers)
    return FeeSummary(amount_pence=amount, display=format_pence(amount), description=fee.description)


# --- check your answers ----------------------------------------------------------------------------------------------


def check_your_answers(definition: ServiceDefinition, answers: Mapping[str, Any]) -> list[AnswerRow]:
    """A row for each shown question, in page order: label, the answer as text, and the page to change it on."""
    shown = shown_answers(definition, answers)
    rows = []
    for page in visible_pages(definition, shown):
        for question in page.questions:
            if conditions_hold(question.show_if, shown):
                lines = display_answer(question, shown.get(question.id))
                rows.append(AnswerRow(question_id=question.id, label=question.label, lines=lines, page_id=page.id))
    return rows


def display_answer(question: Question, value: Any) -> tuple[str, ...]:
    """A clean answer as the lines of text a resident reads (not escaped: templates escape)."""
    if is_blank(value):
        return (NOT_PROVIDED,)
    lines: tuple[str, ...]
    match question.type:
        case "radios" | "yes-no":
            lines = (question.option_label(value),)
        case "checkboxes":
            lines = tuple(question.option_label(v) for v in value)
        case "date":
            day = date.fromisoformat(value)
            lines = (f"{day.day} {day:%B %Y}",)
        case "uk-phone":
            lines = (display_phone(value),)
        case "address":
            lines = tuple(value[p] for p in ("line1", "line2", "town", "county", "postcode") if value.get(p))
        case "location":
            lines = _location_lines(value)
        case "file":
            lines = (value["filename"],)
        case "contact":
            lines = _contact_lines(value)
        case _:
            lines = tuple(str(value).split("\n"))
    return lines


def display_phone(e164: str) -> str:
    """+447700900123 -> 07700 900123; other forms as they are."""
    if not e164.startswith("+44"):
        return e164
    national = "0" + e164[3:]
    return f"{national[:5]} {national[5:]}" if len(national) == 11 else national


def _location_lines(value: Mapping[str, Any]) -> tuple[str, ...]:
    lines = [value["postcode"]] if value.get("postcode") else []
    if value.get("latitude") is not None and value.get("longitude") is not None:
        lines.append(f"Point on the map: {float(value['latitude']):.5f}, {float(value['longitude']):.5f}")
    if value.get("description"):
        lines.append(value["description"])
    return tuple(lines)


def _contact_lines(value: Mapping[str, Any]) -> tuple[str, ...]:
    lines = [value["email"]] if value.get("email") else []
    if value.get("phone"):
        lines.append(display_phone(value["phone"]))
    lines.append(
        {"email": "Updates by email", "sms": "Updates by text message"}.get(value.get("preference", ""), "No updates")
    )
    return tuple(lines)


# --- HTML forms ------------------------------------------------------------------------------------------------------


def form_to_raw(page: Page, form: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """The raw answers of one page from a posted HTML form (as `urllib.parse.parse_qs` gives it).

    Field names: `<id>` for simple questions and each checkbox, `<id>.<part>` for the parts in FORM_PARTS.
    File questions are left out: the web sets their answer from the upload it stored.
    """
    raw: dict[str, Any] = {}
    for question in page.questions:
        if question.type == "file":
            continue
        if question.type in FORM_PARTS:
            raw[question.id] = {part: _first(form, f"{question.id}.{part}") for part in FORM_PARTS[question.type]}
            if question.type != "address":
                raw[question.id] = {k: v for k, v in raw[question.id].items() if v != ""}
        elif question.type == "checkboxes":
            raw[question.id] = [v for v in form.get(question.id, ()) if v]
        else:
            raw[question.id] = _first(form, question.id)
    return raw


def _first(form: Mapping[str, Sequence[str]], name: str) -> str:
    values = form.get(name) or ("",)
    return values[0]


def display_value(question: Question, value: Any) -> Any:
    """A clean answer back in the shape its form fields show (the shape `form_to_raw` reads)."""
    if value is None:
        return None
    match question.type:
        case "date":
            day = date.fromisoformat(value)
            return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}
        case "uk-phone":
            return display_phone(value)
        case "number":
            return str(value)
        case "contact":
            shown = dict(value)
            if shown.get("phone"):
                shown["phone"] = display_phone(shown["phone"])
            return shown
        case "location":
            return {k: str(v) for k, v in value.items()}
    return value
