"""Council services as data: each `services/<id>.yaml` defines one service. Adding a service is adding a file.

The format is specified by `schemas/service.schema.json` (JSON Schema 2020-12, for editors and reviewers) and
documented in `docs/services.md`; the pydantic models are the same format for the code, and a unit test keeps
the two in step. The models also check what a JSON Schema cannot: ids are unique, a condition refers to a choice
question asked earlier and to one of its options, a fee is computed from a required, always-shown question.

Here: the service as a whole (`ServiceDefinition`, with the checks across its pages and fee) and loading the
files. Its parts have their own modules: `shared.questions` (question types, rules, conditions, pages) and
`shared.fees` (fee models and the fee due); `shared.definition_errors` words a broken file's errors. Their names
are importable from here too, as every channel has always imported them.

In Lambda the layer holds the definitions at /opt/services; in the working tree they are at ./services. Both
sit beside the `shared` package's parent folder, so one rule finds them.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from shared.definition_base import SLUG_PATTERN, DefinitionModel, Text, definition_problem
from shared.definition_errors import causes, describe
from shared.fees import Fee, FixedFee, NoFee, PerItemFee, TableFee
from shared.questions import (
    CHOICE_TYPES,
    DEFAULT_MAX_LENGTH,
    FILE_TYPES,
    MAX_UPLOAD_BYTES,
    QUESTION_TYPES,
    RULES_FOR_TYPE,
    YES_NO_OPTIONS,
    Condition,
    DateRule,
    LengthRule,
    Option,
    Page,
    PatternRule,
    Question,
    QuestionType,
    Rule,
    Validation,
    ValueRule,
    conditions_hold,
)
from shared.settings import FunctionSettings, current, local_only

__all__ = [
    "CHOICE_TYPES",
    "DEFAULT_MAX_LENGTH",
    "FILE_TYPES",
    "MAX_UPLOAD_BYTES",
    "QUESTION_TYPES",
    "RULES_FOR_TYPE",
    "SERVICES_DIR",
    "YES_NO_OPTIONS",
    "CatalogueError",
    "Condition",
    "DateRule",
    "Fee",
    "FixedFee",
    "LengthRule",
    "NoFee",
    "Option",
    "Page",
    "PatternRule",
    "PerItemFee",
    "PrivacyNotice",
    "Question",
    "QuestionType",
    "Rule",
    "ServiceDefinition",
    "ServicesSettings",
    "Subscription",
    "TableFee",
    "Validation",
    "ValueRule",
    "conditions_hold",
    "definition_errors",
    "load_catalogue",
    "load_definition",
]

LEDGER_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$"
SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


class ServicesSettings(FunctionSettings):
    """Where the service definitions are: beside the layer's `shared/`, or a directory of one's own locally."""

    borough_services_dir: str = local_only(description="another directory of service definitions (local only)")


class PrivacyNotice(DefinitionModel):
    summary: Text
    url: str | None = Field(default=None, pattern=r"^(https://|/)\S+$")


# A yearly (or other) subscription: a paid request starts one; a reminder with a renewal link goes out before it
# ends (functions/renewals/, docs/renewals.md).
class Subscription(DefinitionModel):
    months: int = Field(ge=1, le=36)
    remind_days_before: int = Field(ge=1, le=90)


# --- the service -----------------------------------------------------------------------------------------------


class ServiceDefinition(DefinitionModel):
    id: str = Field(pattern=SLUG_PATTERN)
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
    # The finance system's code the service's income is booked to (the finance export's `ledger_code` column):
    # required with a fee. Starts with a letter or digit, so a spreadsheet never reads it as a formula.
    ledger_code: str | None = Field(default=None, pattern=LEDGER_CODE_PATTERN)
    # A paid request starts a subscription of `months`; the resident is reminded `remind_days_before` its end.
    subscription: Subscription | None = None
    pages: tuple[Page, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _references(self) -> Self:
        asked: dict[str, Question] = {}
        pages_seen: set[str] = set()
        for p, page in enumerate(self.pages):
            if page.id in pages_seen:
                raise definition_problem(
                    f"pages[{p}].id", f"the page id {page.id!r} is used twice; give each page its own id"
                )
            pages_seen.add(page.id)
            self._check_conditions(f"pages[{p}].show_if", page.show_if, asked, "on an earlier page")
            for q, question in enumerate(page.questions):
                where = f"pages[{p}].questions[{q}]"
                if question.id in asked:
                    raise definition_problem(
                        f"{where}.id", f"the question id {question.id!r} is used twice; make it unique"
                    )
                self._check_conditions(f"{where}.show_if", question.show_if, asked, "earlier")
                asked[question.id] = question
        contacts = [q.id for q in asked.values() if q.type == "contact"]
        if len(contacts) > 1:
            raise definition_problem("pages", f"only one contact question is allowed; found {', '.join(contacts)}")
        self._check_fee(asked)
        self._check_subscription()
        return self

    def _check_subscription(self) -> None:
        subscription = self.subscription
        if subscription is None:
            return
        if not self.charges:
            raise definition_problem("subscription", "a subscription is paid for: give the service a fee")
        if subscription.remind_days_before >= subscription.months * 28:
            raise definition_problem(
                "subscription.remind_days_before",
                f"remind before the end but after the start: fewer than {subscription.months * 28} days",
            )

    @staticmethod
    def _check_conditions(
        where: str, conditions: tuple[Condition, ...] | None, asked: dict[str, Question], place: str
    ) -> None:
        for c, condition in enumerate(conditions or ()):
            target = asked.get(condition.question)
            if target is None:
                raise definition_problem(
                    f"{where}[{c}].question",
                    f"{condition.question!r} is not a question asked {place}; "
                    "a condition can only refer to an earlier answer",
                )
            if target.type not in CHOICE_TYPES:
                raise definition_problem(
                    f"{where}[{c}].question",
                    f"{condition.question!r} is a {target.type!r} question; conditions refer to radios, "
                    "checkboxes or yes-no questions",
                )
            for value in condition.values():
                if value not in target.option_values():
                    raise definition_problem(
                        f"{where}[{c}]",
                        f"{value!r} is not an option of {condition.question!r}; "
                        f"use one of {list(target.option_values())}",
                    )

    def _check_fee(self, asked: dict[str, Question]) -> None:
        fee = self.fee
        if self.charges and not self.ledger_code:
            raise definition_problem(
                "ledger_code",
                "a service with a fee needs the finance system's code its income is booked to, like GW-4021",
            )
        if not isinstance(fee, PerItemFee | TableFee):
            return
        question = asked.get(fee.question)
        if question is None:
            raise definition_problem("fee.question", f"{fee.question!r} is not a question of this service; name one")
        if not question.required or question.show_if or self._page_of(question.id).show_if:
            raise definition_problem(
                "fee.question", f"{fee.question!r} must be required and always shown to compute a fee"
            )
        if isinstance(fee, PerItemFee) and question.type not in {"number", "checkboxes"}:
            raise definition_problem("fee.question", "a per-item fee counts a number or checkboxes question")
        if isinstance(fee, TableFee):
            if question.type not in {"radios", "yes-no"}:
                raise definition_problem("fee.question", "a table fee is keyed by a radios or yes-no question")
            options = set(question.option_values())
            if set(fee.amounts) != options:
                raise definition_problem(
                    "fee.amounts", f"give an amount for each option of {fee.question!r}: {sorted(options)}"
                )

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
        """What residents and other channels see of a definition: all of it but the ledger code (finance's own)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"ledger_code"})


# --- loading ---------------------------------------------------------------------------------------------------


class CatalogueError(ValueError):
    """A service definition file is broken; the message names the file, the field and the fix."""


def _all_field_names() -> set[str]:
    models: list[type[BaseModel]] = [
        Rule, LengthRule, ValueRule, PatternRule, DateRule, Validation, Condition, Option, Question, Page,
        FixedFee, PerItemFee, TableFee, PrivacyNotice, Subscription, ServiceDefinition,
    ]  # fmt: skip
    return {info.alias or name for model in models for name, info in model.model_fields.items()}


def definition_errors(data: object) -> list[str]:
    """Every problem pydantic finds in a definition's data, as `path: problem; fix` (empty when it is valid)."""
    try:
        ServiceDefinition.model_validate(data)
    except ValidationError as error:
        return [describe(e, _all_field_names()) for e in causes(error)]
    return []


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
        problems = "\n  ".join(f"{path.name}: {describe(e, _all_field_names())}" for e in causes(error))
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
