"""Council services as data: each `services/<id>.yaml` defines one service. Adding a service is adding a file.

The format is specified by `schemas/service.schema.json` (JSON Schema 2020-12, for editors and reviewers) and
documented in `docs/services.md`; the pydantic models here are the same format for the code, and a unit test keeps
the two in step. The models also check what a JSON Schema cannot: ids are unique, a condition refers to a choice
question asked earlier and to one of its options, a fee is computed from a required, always-shown question.

In Lambda the layer holds the definitions at /opt/services; in the working tree they are at ./services. Both
sit beside the `shared` package's parent folder, so one rule finds them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared.settings import FunctionSettings, current, local_only

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


class ServicesSettings(FunctionSettings):
    """Where the service definitions are: beside the layer's `shared/`, or a directory of one's own locally."""

    borough_services_dir: str = local_only(description="another directory of service definitions (local only)")


QuestionType = Literal[
    "text",
    "textarea",
    "number",
    "date",
    "email",
    "uk-phone",
    "uk-postcode",
    "address",
    "location",
    "radios",
    "checkboxes",
    "yes-no",
    "file",
    "contact",
]
QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)
CHOICE_TYPES = frozenset({"radios", "checkboxes", "yes-no"})
YES_NO_OPTIONS = ("yes", "no")

# Which validation rules each question type may carry. `required` applies to every type.
RULES_FOR_TYPE: dict[str, frozenset[str]] = {
    "text": frozenset({"required", "min_length", "max_length", "pattern"}),
    "textarea": frozenset({"required", "min_length", "max_length"}),
    "number": frozenset({"required", "min", "max", "format"}),
    "date": frozenset({"required", "past", "future", "format"}),
    "email": frozenset({"required", "format"}),
    "uk-phone": frozenset({"required", "format"}),
    "uk-postcode": frozenset({"required", "format"}),
    "address": frozenset({"required"}),
    "location": frozenset({"required"}),
    "radios": frozenset({"required", "options"}),
    "checkboxes": frozenset({"required", "options", "max_selected"}),
    "yes-no": frozenset({"required", "options"}),
    "file": frozenset({"required"}),
    "contact": frozenset({"required"}),
}

# Upload types a question may accept, by the extension residents know, with the MIME types that carry them.
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "jpg": ("image/jpeg",),
    "png": ("image/png",),
    "heic": ("image/heic", "image/heif"),
    "pdf": ("application/pdf",),
    "doc": ("application/msword",),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "odt": ("application/vnd.oasis.opendocument.text",),
    "txt": ("text/plain",),
}
MAX_UPLOAD_BYTES = 7 * 1024 * 1024  # 7 MB: the platform's upload limit (API Gateway and the scanner allow more)
DEFAULT_MAX_LENGTH = {"text": 500, "textarea": 5000}  # characters, when a definition sets no max_length

_ID = r"^[a-z][a-z0-9_]*$"
_SLUG = r"^[a-z][a-z0-9-]{1,62}$"

Text = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _problem(field: str, problem: str) -> PydanticCustomError:
    """A definition error about `field` (relative to the model that raises it), with the fix in `problem`."""
    return PydanticCustomError("definition", "{problem}", {"field": field, "problem": problem})


# --- validation rules ------------------------------------------------------------------------------------------


class Rule(_Model):
    """A rule with no value (required, options, format): just the message a resident sees when it fails."""

    message: Text


class LengthRule(Rule):
    value: int = Field(gt=0)


class ValueRule(Rule):
    value: int


class PatternRule(Rule):
    value: Text

    @field_validator("value")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise PydanticCustomError(  # noqa: B904 - the message carries the cause; pydantic shows only it
                "definition", "{problem}", {"problem": f"not a valid regular expression ({error})"}
            )
        return value


class DateRule(Rule):
    allow_today: bool = True


class Validation(_Model):
    required: Rule | None = None
    min_length: LengthRule | None = None
    max_length: LengthRule | None = None
    min: ValueRule | None = None
    max: ValueRule | None = None
    pattern: PatternRule | None = None
    past: DateRule | None = None
    future: DateRule | None = None
    options: Rule | None = None
    max_selected: LengthRule | None = None
    format: Rule | None = None

    def rules(self) -> dict[str, Rule]:
        return {name: rule for name in type(self).model_fields if isinstance(rule := getattr(self, name), Rule)}


# --- conditions ------------------------------------------------------------------------------------------------


class Condition(_Model):
    """Show a page or question only if an earlier choice question's answer matches. Exactly one operator."""

    question: str = Field(pattern=_ID)
    equals: str | None = Field(default=None, strict=True)
    one_of: tuple[Annotated[str, Field(strict=True)], ...] | None = Field(default=None, min_length=1)
    not_: str | None = Field(default=None, alias="not", strict=True)

    @model_validator(mode="after")
    def _one_operator(self) -> Self:
        given = [name for name, v in (("equals", self.equals), ("one_of", self.one_of), ("not", self.not_)) if v]
        if len(given) != 1:
            raise _problem("", "give exactly one of equals, one_of or not")
        return self

    def values(self) -> tuple[str, ...]:
        if self.one_of is not None:
            return self.one_of
        return (self.equals or self.not_ or "",)

    def holds(self, answer: object) -> bool:
        """Whether the condition holds for `answer` (a cleaned answer; None when unanswered or hidden)."""
        if answer is None or answer == [] or answer == ():
            return False  # an unanswered or hidden question satisfies no condition
        chosen = set(answer) if isinstance(answer, list | tuple) else {answer}
        if self.not_ is not None:
            return self.not_ not in chosen
        return bool(chosen & set(self.values()))


Conditions = Annotated[tuple[Condition, ...], Field(min_length=1)]


def conditions_hold(conditions: tuple[Condition, ...] | None, answers: dict[str, Any]) -> bool:
    """All conditions hold (a page or question with none is always shown)."""
    return all(c.holds(answers.get(c.question)) for c in conditions or ())


# --- questions and pages ---------------------------------------------------------------------------------------


class Option(_Model):
    value: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", strict=True)
    label: Text
    hint: str = ""


class Question(_Model):
    id: str = Field(pattern=_ID)
    type: QuestionType
    label: Text
    hint: str = ""
    validation: Validation = Validation()
    show_if: Conditions | None = None
    options: tuple[Option, ...] | None = Field(default=None, min_length=1)
    accept: tuple[Literal["jpg", "png", "heic", "pdf", "doc", "docx", "odt", "txt"], ...] | None = Field(
        default=None, min_length=1
    )
    max_size_bytes: int | None = Field(default=None, gt=0, le=MAX_UPLOAD_BYTES)
    autocomplete: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9 -]*$")

    @model_validator(mode="after")
    def _fits_its_type(self) -> Self:
        allowed = RULES_FOR_TYPE[self.type]
        for name in self.validation.rules():
            if name not in allowed:
                raise _problem(
                    f"validation.{name}",
                    f"a {self.type!r} question cannot have this rule; it may have: {', '.join(sorted(allowed))}",
                )
        self._check_options()
        self._check_type_fields()
        self._check_bounds()
        return self

    def _check_options(self) -> None:
        if (self.options is not None) != (self.type in {"radios", "checkboxes"}):
            if self.options is None:
                raise _problem("options", f"a {self.type!r} question needs options: add at least two")
            raise _problem("options", f"only radios and checkboxes have options; remove them from a {self.type!r}")
        if self.options is None:
            return
        if self.type == "radios" and len(self.options) < 2:
            raise _problem("options", "radios need at least two options; use yes-no or checkboxes for one")
        values = [o.value for o in self.options]
        if duplicate := next((v for v in values if values.count(v) > 1), None):
            raise _problem("options", f"the value {duplicate!r} is used twice; give each option its own value")

    def _check_type_fields(self) -> None:
        if (self.accept is not None) != (self.type == "file"):
            if self.accept is None:
                raise _problem("accept", "a file question needs accept: the file types allowed, e.g. [jpg, png]")
            raise _problem("accept", f"only a file question has accept; remove it from a {self.type!r}")
        if self.max_size_bytes is not None and self.type != "file":
            raise _problem("max_size_bytes", f"only a file question has max_size_bytes; remove it from a {self.type!r}")
        if self.autocomplete is not None and self.type != "text":
            raise _problem("autocomplete", "only a text question sets autocomplete; other types have their own")

    def _check_bounds(self) -> None:
        v = self.validation
        if v.min and v.max and v.min.value > v.max.value:
            raise _problem("validation.min", f"min ({v.min.value}) is more than max ({v.max.value}); swap them")
        if v.min_length and v.max_length and v.min_length.value > v.max_length.value:
            raise _problem("validation.min_length", "min_length is more than max_length; swap them")
        if v.past and v.future:
            raise _problem("validation.future", "a date cannot have to be both past and future; keep one")
        if v.max_selected and self.options and v.max_selected.value > len(self.options):
            raise _problem("validation.max_selected", f"there are only {len(self.options)} options; lower it")

    @property
    def required(self) -> bool:
        return self.validation.required is not None

    @property
    def max_length(self) -> int:
        rule = self.validation.max_length
        return rule.value if rule else DEFAULT_MAX_LENGTH.get(self.type, DEFAULT_MAX_LENGTH["text"])

    @property
    def max_bytes(self) -> int:
        return self.max_size_bytes or MAX_UPLOAD_BYTES

    def option_values(self) -> tuple[str, ...]:
        if self.type == "yes-no":
            return YES_NO_OPTIONS
        return tuple(o.value for o in self.options or ())

    def option_label(self, value: str) -> str:
        if self.type == "yes-no":
            return value.capitalize()
        return next((o.label for o in self.options or () if o.value == value), value)


class Page(_Model):
    """One thing per page: usually one question, whose label is then the page's heading."""

    id: str = Field(pattern=_SLUG)
    title: str | None = Field(default=None, min_length=1)
    hint: str = ""
    show_if: Conditions | None = None
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _heading(self) -> Self:
        if len(self.questions) > 1 and not self.title:
            raise _problem("title", "a page with more than one question needs a title (its heading); add one")
        return self

    @property
    def heading(self) -> str:
        return self.title or self.questions[0].label


# --- fees ------------------------------------------------------------------------------------------------------


class NoFee(_Model):
    type: Literal["none"]


class FixedFee(_Model):
    type: Literal["fixed"]
    amount_pence: int = Field(gt=0)
    description: Text


class PerItemFee(_Model):
    """`base_pence` covers up to `included_items` items; each further item costs `each_extra_pence`."""

    type: Literal["per-item"]
    question: str = Field(pattern=_ID)
    base_pence: int = Field(ge=0)
    included_items: int = Field(ge=0)
    each_extra_pence: int = Field(gt=0)
    max_pence: int | None = Field(default=None, gt=0)
    description: Text


class TableFee(_Model):
    """The amount for each option of one question."""

    type: Literal["table"]
    question: str = Field(pattern=_ID)
    amounts: dict[str, Annotated[int, Field(ge=0)]] = Field(min_length=1)
    description: Text


Fee = Annotated[NoFee | FixedFee | PerItemFee | TableFee, Field(discriminator="type")]


class PrivacyNotice(_Model):
    summary: Text
    url: str | None = Field(default=None, pattern=r"^(https://|/)\S+$")


# --- the service -----------------------------------------------------------------------------------------------


class ServiceDefinition(_Model):
    id: str = Field(pattern=_SLUG)
    title: Text
    summary: Text
    topic: Text
    audience: Text
    eligibility: tuple[Text, ...] = ()
    keywords: tuple[Text, ...] = ()
    team: Text
    sla_working_days: int = Field(ge=0, le=60)
    workflow: Literal["triage"] = "triage"
    retention_days: int = Field(gt=0, le=3650)
    privacy_notice: PrivacyNotice
    what_happens_next: str = ""
    fee: Fee = NoFee(type="none")
    # A request with a fee that is still unpaid this long after it was sent is cancelled (the resident is told).
    unpaid_cancel_after_hours: int = Field(default=72, ge=1, le=720)
    pages: tuple[Page, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Self:
        asked: dict[str, Question] = {}
        pages_seen: set[str] = set()
        for p, page in enumerate(self.pages):
            if page.id in pages_seen:
                raise _problem(f"pages[{p}].id", f"the page id {page.id!r} is used twice; give each page its own id")
            pages_seen.add(page.id)
            self._check_conditions(f"pages[{p}].show_if", page.show_if, asked, "on an earlier page")
            for q, question in enumerate(page.questions):
                where = f"pages[{p}].questions[{q}]"
                if question.id in asked:
                    raise _problem(f"{where}.id", f"the question id {question.id!r} is used twice; make it unique")
                self._check_conditions(f"{where}.show_if", question.show_if, asked, "earlier")
                asked[question.id] = question
        contacts = [q.id for q in asked.values() if q.type == "contact"]
        if len(contacts) > 1:
            raise _problem("pages", f"only one contact question is allowed; found {', '.join(contacts)}")
        self._check_fee(asked)
        return self

    @staticmethod
    def _check_conditions(
        where: str, conditions: tuple[Condition, ...] | None, asked: dict[str, Question], place: str
    ) -> None:
        for c, condition in enumerate(conditions or ()):
            target = asked.get(condition.question)
            if target is None:
                raise _problem(
                    f"{where}[{c}].question",
                    f"{condition.question!r} is not a question asked {place}; "
                    "a condition can only refer to an earlier answer",
                )
            if target.type not in CHOICE_TYPES:
                raise _problem(
                    f"{where}[{c}].question",
                    f"{condition.question!r} is a {target.type!r} question; conditions refer to radios, "
                    "checkboxes or yes-no questions",
                )
            for value in condition.values():
                if value not in target.option_values():
                    raise _problem(
                        f"{where}[{c}]",
                        f"{value!r} is not an option of {condition.question!r}; "
                        f"use one of {list(target.option_values())}",
                    )

    def _check_fee(self, asked: dict[str, Question]) -> None:
        fee = self.fee
        if not isinstance(fee, PerItemFee | TableFee):
            return
        question = asked.get(fee.question)
        if question is None:
            raise _problem("fee.question", f"{fee.question!r} is not a question of this service; name one")
        if not question.required or question.show_if or self._page_of(question.id).show_if:
            raise _problem("fee.question", f"{fee.question!r} must be required and always shown to compute a fee")
        if isinstance(fee, PerItemFee) and question.type not in {"number", "checkboxes"}:
            raise _problem("fee.question", "a per-item fee counts a number or checkboxes question")
        if isinstance(fee, TableFee):
            if question.type not in {"radios", "yes-no"}:
                raise _problem("fee.question", "a table fee is keyed by a radios or yes-no question")
            options = set(question.option_values())
            if set(fee.amounts) != options:
                raise _problem("fee.amounts", f"give an amount for each option of {fee.question!r}: {sorted(options)}")

    def _page_of(self, question_id: str) -> Page:
        return next(p for p in self.pages if any(q.id == question_id for q in p.questions))

    # Lookups the form engine and the web pages use.

    def questions(self) -> Iterator[tuple[Page, Question]]:
        for page in self.pages:
            for question in page.questions:
                yield page, question

    def question(self, question_id: str) -> Question:
        for _, question in self.questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def page(self, page_id: str) -> Page:
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(page_id)

    @property
    def charges(self) -> bool:
        return not isinstance(self.fee, NoFee)

    def public(self) -> dict[str, object]:
        """What residents and other channels see of a definition (everything here is public)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- loading ---------------------------------------------------------------------------------------------------


class CatalogueError(ValueError):
    """A service definition file is broken; the message names the file, the field and the fix."""


def _all_field_names() -> set[str]:
    models: list[type[BaseModel]] = [
        Rule, LengthRule, ValueRule, PatternRule, DateRule, Validation, Condition, Option, Question, Page,
        FixedFee, PerItemFee, TableFee, PrivacyNotice, ServiceDefinition,
    ]  # fmt: skip
    return {info.alias or name for model in models for name, info in model.model_fields.items()}


_FEE_TAGS = {"none", "fixed", "per-item", "table"}


def _path(loc: tuple[int | str, ...], extra: str = "") -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i > 0 and loc[i - 1] == "fee" and part in _FEE_TAGS:
            continue  # pydantic names the fee variant it tried; the file has no such level
        else:
            out += f".{part}" if out else str(part)
    if extra:
        out = f"{out}.{extra}" if out else extra
    return out or "(top level)"


def _describe(error: Any) -> str:
    """One pydantic error as `path: what is wrong; how to fix it`."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc = tuple(error["loc"])
    if kind == "definition":
        return f"{_path(loc, ctx.get('field', ''))}: {ctx['problem']}"
    where = _path(loc)
    if kind == "literal_error":
        expected = [e.strip().strip("'") for e in re.split(r",| or ", ctx.get("expected", "")) if e.strip()]
        close = difflib.get_close_matches(str(value), expected, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(expected)}"
        return f"{where}: {value!r} is not one of {expected}; {hint}"
    if kind == "union_tag_invalid":
        return f"{where}: {ctx.get('tag')!r} is not one of [{ctx.get('expected_tags')}]; use one of them"
    if kind == "extra_forbidden":
        field = str(loc[-1])
        close = difflib.get_close_matches(field, _all_field_names(), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "remove it (see docs/services.md for the fields)"
        return f"{where}: {field!r} is not a field here; {hint}"
    if kind == "missing":
        return f"{where}: is missing; add it (see docs/services.md)"
    if kind == "string_pattern_mismatch":
        return f"{where}: {value!r} does not match {ctx.get('pattern')}; use lower-case letters, digits and - or _"
    if kind == "too_short":
        return f"{where}: has {ctx.get('actual_length', 0)} items; give at least {ctx.get('min_length')}"
    if kind == "string_type" and isinstance(value, bool):
        return f'{where}: YAML read this as {value}; put the value in quotes, e.g. "yes"'
    shown = repr(value) if len(repr(value)) <= 60 else f"{repr(value)[:57]}..."
    return f"{where}: {error['msg']} (got {shown}); correct it"


def definition_errors(data: object) -> list[str]:
    """Every problem pydantic finds in a definition's data, as `path: problem; fix` (empty when it is valid)."""
    try:
        ServiceDefinition.model_validate(data)
    except ValidationError as error:
        return [_describe(e) for e in _causes(error)]
    return []


def _causes(error: ValidationError) -> list[Any]:
    """The errors to report: a list that is only "too short" because its items failed is not a cause."""
    out = []
    for e in error.errors():
        ctx = e.get("ctx") or {}
        items = e.get("input")
        if e["type"] == "too_short" and isinstance(items, list | tuple) and len(items) >= ctx.get("min_length", 0):
            continue
        out.append(e)
    return out


def load_definition(path: Path) -> ServiceDefinition:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path.name}: not valid YAML ({error}). Fix the syntax.") from error
    if not isinstance(data, dict):
        raise CatalogueError(f"{path.name}: (top level): expected a mapping of fields; start with `id: {path.stem}`")
    try:
        definition = ServiceDefinition.model_validate(data)
    except ValidationError as error:
        problems = "\n  ".join(f"{path.name}: {_describe(e)}" for e in _causes(error))
        raise CatalogueError(problems) from error
    if definition.id != path.stem:
        raise CatalogueError(f"{path.name}: id: is {definition.id!r}; rename the file or set id: {path.stem}")
    return definition


@lru_cache(maxsize=4)
def load_catalogue(directory: Path | None = None) -> dict[str, ServiceDefinition]:
    """Every service definition, keyed by id, in title order. Cached: definitions are read once per process."""
    directory = directory or Path(current(ServicesSettings).borough_services_dir or SERVICES_DIR)
    definitions = [load_definition(path) for path in sorted(directory.glob("*.yaml"))]
    if not definitions:
        raise CatalogueError(f"No service definitions found in {directory}.")
    return {d.id: d for d in sorted(definitions, key=lambda d: d.title)}
