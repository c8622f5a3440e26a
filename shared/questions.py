"""What a service asks: question types and the rules each may carry, conditions on earlier answers, options,
questions and pages. Part of a service definition (`shared.catalogue.ServiceDefinition` holds the pages)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from shared.definition_base import ID_PATTERN, SLUG_PATTERN, DefinitionModel, Text, definition_problem

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

# --- validation rules ------------------------------------------------------------------------------------------


class Rule(DefinitionModel):
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


class Validation(DefinitionModel):
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


class Condition(DefinitionModel):
    """Show a page or question only if an earlier choice question's answer matches. Exactly one operator."""

    question: str = Field(pattern=ID_PATTERN)
    equals: str | None = Field(default=None, strict=True)
    one_of: tuple[Annotated[str, Field(strict=True)], ...] | None = Field(default=None, min_length=1)
    not_: str | None = Field(default=None, alias="not", strict=True)

    @model_validator(mode="after")
    def _one_operator(self) -> Self:
        given = [name for name, v in (("equals", self.equals), ("one_of", self.one_of), ("not", self.not_)) if v]
        if len(given) != 1:
            raise definition_problem("", "give exactly one of equals, one_of or not")
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


class Option(DefinitionModel):
    value: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", strict=True)
    label: Text
    hint: str = ""


class Question(DefinitionModel):
    id: str = Field(pattern=ID_PATTERN)
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
                raise definition_problem(
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
                raise definition_problem("options", f"a {self.type!r} question needs options: add at least two")
            raise definition_problem(
                "options", f"only radios and checkboxes have options; remove them from a {self.type!r}"
            )
        if self.options is None:
            return
        if self.type == "radios" and len(self.options) < 2:
            raise definition_problem("options", "radios need at least two options; use yes-no or checkboxes for one")
        values = [o.value for o in self.options]
        if duplicate := next((v for v in values if values.count(v) > 1), None):
            raise definition_problem(
                "options", f"the value {duplicate!r} is used twice; give each option its own value"
            )

    def _check_type_fields(self) -> None:
        if (self.accept is not None) != (self.type == "file"):
            if self.accept is None:
                raise definition_problem(
                    "accept", "a file question needs accept: the file types allowed, e.g. [jpg, png]"
                )
            raise definition_problem("accept", f"only a file question has accept; remove it from a {self.type!r}")
        if self.max_size_bytes is not None and self.type != "file":
            raise definition_problem(
                "max_size_bytes", f"only a file question has max_size_bytes; remove it from a {self.type!r}"
            )
        if self.autocomplete is not None and self.type != "text":
            raise definition_problem(
                "autocomplete", "only a text question sets autocomplete; other types have their own"
            )

    def _check_bounds(self) -> None:
        v = self.validation
        if v.min and v.max and v.min.value > v.max.value:
            raise definition_problem(
                "validation.min", f"min ({v.min.value}) is more than max ({v.max.value}); swap them"
            )
        if v.min_length and v.max_length and v.min_length.value > v.max_length.value:
            raise definition_problem("validation.min_length", "min_length is more than max_length; swap them")
        if v.past and v.future:
            raise definition_problem("validation.future", "a date cannot have to be both past and future; keep one")
        if v.max_selected and self.options and v.max_selected.value > len(self.options):
            raise definition_problem("validation.max_selected", f"there are only {len(self.options)} options; lower it")

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


class Page(DefinitionModel):
    """One thing per page: usually one question, whose label is then the page's heading."""

    id: str = Field(pattern=SLUG_PATTERN)
    title: str | None = Field(default=None, min_length=1)
    hint: str = ""
    show_if: Conditions | None = None
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _heading(self) -> Self:
        if len(self.questions) > 1 and not self.title:
            raise definition_problem("title", "a page with more than one question needs a title (its heading); add one")
        return self

    @property
    def heading(self) -> str:
        return self.title or self.questions[0].label
