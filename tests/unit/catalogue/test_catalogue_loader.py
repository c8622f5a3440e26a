"""The definition loader: every shipped file loads, and each kind of broken definition is refused with a message
that names the file, the field and the fix. The same broken examples check the JSON Schema agrees (see
test_catalogue_schema.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.catalogue import SERVICES_DIR, CatalogueError, load_catalogue, load_definition

pytestmark = pytest.mark.unit

SHIPPED = sorted(SERVICES_DIR.glob("*.yaml"))
BASE = yaml.safe_load((SERVICES_DIR / "bulky-waste.yaml").read_text())


def test_at_least_the_eight_issue_services_and_street_cleansing_ship():
    ids = set(load_catalogue(SERVICES_DIR))
    assert {
        "missed-bin",
        "fly-tipping",
        "abandoned-shopping-trolley",
        "graffiti",
        "street-cleansing",
        "bulky-waste",
        "garden-waste",
        "foi-request",
        "complaint",
    } <= ids


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_definition_loads(path: Path):
    definition = load_definition(path)
    assert definition.id == path.stem
    assert path.read_text().startswith("# yaml-language-server: $schema=../schemas/service.schema.json")


def test_statutory_and_policy_deadlines():
    catalogue = load_catalogue(SERVICES_DIR)
    assert catalogue["foi-request"].sla_working_days == 20
    assert catalogue["complaint"].sla_working_days == 10


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets (or, with value DELETE, deletes) the field at a dotted path like pages.1.title."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        key: Any = int(last) if last.isdigit() else last
        if value is DELETE:
            del target[key]
        else:
            target[key] = copy.deepcopy(value)

    return mutate


DELETE = object()
OTHER = {"id": "other", "type": "text", "label": "Other", "validation": {"required": {"message": "Enter it"}}}


def _two_questions_no_title(data: dict[str, Any]) -> None:
    data["pages"][0]["questions"].append(copy.deepcopy(OTHER))


def _duplicate_question(data: dict[str, Any]) -> None:
    data["pages"][2]["questions"][0]["id"] = "item_count"


def _second_contact(data: dict[str, Any]) -> None:
    data["pages"].append({"id": "more", "questions": [{"id": "contact_two", "type": "contact", "label": "Again"}]})


def _duplicate_page(data: dict[str, Any]) -> None:
    data["pages"][1]["id"] = "address"


# (case id, mutation, the message expected, whether the JSON Schema also refuses it)
BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str, bool]] = [
    (
        "unknown-question-type",
        _set("pages.1.questions.0.type", "dropdown"),
        "bulky-waste.yaml: pages[1].questions[0].type: 'dropdown' is not one of ['text', 'textarea', 'number', "
        "'date', 'email', 'uk-phone', 'uk-postcode', 'address', 'location', 'radios', 'checkboxes', 'yes-no', "
        "'file', 'contact']; use one of text, textarea",
        True,
    ),
    (
        "type-near-miss",
        _set("pages.3.questions.0.type", "radio"),
        "pages[3].questions[0].type: 'radio' is not one of [",
        True,
    ),
    (
        "missing-label",
        _set("pages.0.questions.0.label", DELETE),
        "pages[0].questions[0].label: is missing; add it",
        True,
    ),
    (
        "misspelt-field",
        _set("pages.0.questions.0.lable", "x"),
        "'lable' is not a field here; did you mean 'label'?",
        True,
    ),
    (
        "rule-without-message",
        _set("pages.0.questions.0.validation.required", {}),
        "pages[0].questions[0].validation.required.message: is missing; add it",
        True,
    ),
    (
        "rule-not-for-type",
        _set("pages.1.questions.0.validation.pattern", {"value": "[0-9]+", "message": "Enter digits"}),
        "pages[1].questions[0].validation.pattern: a 'number' question cannot have this rule; it may have: format, "
        "max, min, required",
        True,
    ),
    (
        "radios-without-options",
        _set("pages.3.questions.0.options", DELETE),
        "pages[3].questions[0].options: a 'radios' question needs options",
        True,
    ),
    (
        "options-on-text",
        _set("pages.3.questions.1.options", [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]),
        "pages[3].questions[1].options: only radios and checkboxes have options",
        True,
    ),
    (
        "one-radio",
        _set("pages.3.questions.0.options", [{"value": "a", "label": "A"}]),
        "radios need at least two options",
        True,
    ),
    (
        "sla-too-long",
        _set("sla_working_days", 70),
        "sla_working_days: Input should be less than or equal to 60 (got 70)",
        True,
    ),
    ("sla-not-a-number", _set("sla_working_days", "ten"), "sla_working_days: Input should be a valid integer", True),
    ("missing-team", _set("team", DELETE), "bulky-waste.yaml: team: is missing; add it", True),
    ("missing-privacy", _set("privacy_notice", DELETE), "privacy_notice: is missing", True),
    (
        "bad-privacy-url",
        _set("privacy_notice.url", "http://example.org"),
        "privacy_notice.url: 'http://example.org' does not match",
        True,
    ),
    (
        "bad-id",
        _set("pages.0.questions.0.id", "Collection Address"),
        "pages[0].questions[0].id: 'Collection Address' does not match",
        True,
    ),
    ("unknown-workflow", _set("workflow", "magic"), "workflow: 'magic' is not one of ['triage']", True),
    (
        "upload-too-big",
        _set(
            "pages.0.questions.0",
            {"id": "f", "type": "file", "label": "F", "accept": ["pdf"], "max_size_bytes": 8_000_000},
        ),
        "pages[0].questions[0].max_size_bytes: Input should be less than or equal to 7340032",
        True,
    ),
    (
        "file-without-accept",
        _set("pages.0.questions.0", {"id": "f", "type": "file", "label": "F"}),
        "pages[0].questions[0].accept: a file question needs accept",
        True,
    ),
    (
        "unknown-file-type",
        _set("pages.0.questions.0", {"id": "f", "type": "file", "label": "F", "accept": ["exe"]}),
        "pages[0].questions[0].accept[0]: 'exe' is not one of",
        True,
    ),
    (
        "bad-regex",
        _set("pages.2.questions.0", {**OTHER, "validation": {"pattern": {"value": "([a-z", "message": "M"}}}),
        "pages[2].questions[0].validation.pattern.value: not a valid regular expression",
        True,
    ),
    (
        "fee-kind",
        _set("fee.type", "sliding"),
        "fee: 'sliding' is not one of ['none', 'fixed', 'per-item', 'table']",
        True,
    ),
    ("fee-missing-field", _set("fee.each_extra_pence", DELETE), "fee.each_extra_pence: is missing; add it", True),
    ("fee-in-pounds", _set("fee.base_pence", 25.5), "fee.base_pence: Input should be a valid integer", True),
    (
        "two-questions-no-title",
        _two_questions_no_title,
        "pages[0].title: a page with more than one question needs a title",
        True,
    ),
    ("no-pages", _set("pages", []), "bulky-waste.yaml: pages: has 0 items; give at least 1", True),
    (
        "condition-two-operators",
        _set("pages.3.questions.1.show_if.0.one_of", ["other"]),
        "pages[3].questions[1].show_if[0]: give exactly one of equals, one_of or not",
        True,
    ),
    (
        "condition-yaml-boolean",
        _set("pages.3.questions.1.show_if.0.equals", True),
        "show_if[0].equals: YAML read this as True; put the value in quotes",
        True,
    ),
    # What a JSON Schema cannot express: the model checks it when the catalogue loads.
    (
        "condition-on-later-question",
        _set("pages.1.show_if", [{"question": "where_left", "equals": "other"}]),
        "bulky-waste.yaml: pages[1].show_if[0].question: 'where_left' is not a question asked on an earlier page; "
        "a condition can only refer to an earlier answer",
        False,
    ),
    (
        "condition-on-unknown-question",
        _set("pages.3.questions.1.show_if.0.question", "colour"),
        "pages[3].questions[1].show_if[0].question: 'colour' is not a question asked earlier",
        False,
    ),
    (
        "condition-on-a-number",
        _set("pages.2.show_if", [{"question": "item_count", "equals": "3"}]),
        "pages[2].show_if[0].question: 'item_count' is a 'number' question; conditions refer to radios",
        False,
    ),
    (
        "condition-value-not-an-option",
        _set("pages.3.questions.1.show_if.0.equals", "garage"),
        "pages[3].questions[1].show_if[0]: 'garage' is not an option of 'where_left'; "
        "use one of ['front-garden', 'driveway', 'kerbside', 'other']",
        False,
    ),
    (
        "duplicate-question-id",
        _duplicate_question,
        "pages[2].questions[0].id: the question id 'item_count' is used twice",
        False,
    ),
    ("duplicate-page-id", _duplicate_page, "pages[1].id: the page id 'address' is used twice", False),
    (
        "duplicate-option",
        _set("pages.3.questions.0.options.1.value", "front-garden"),
        "pages[3].questions[0].options: the value 'front-garden' is used twice",
        False,
    ),
    (
        "two-contact-questions",
        _second_contact,
        "pages: only one contact question is allowed; found contact, contact_two",
        False,
    ),
    (
        "min-above-max",
        _set("pages.1.questions.0.validation.min.value", 20),
        "pages[1].questions[0].validation.min: min (20) is more than max (10); swap them",
        False,
    ),
    (
        "fee-on-unknown-question",
        _set("fee.question", "items_count"),
        "fee.question: 'items_count' is not a question of this service",
        False,
    ),
    (
        "fee-on-optional-question",
        _set("pages.1.questions.0.validation.required", DELETE),
        "fee.question: 'item_count' must be required and always shown",
        False,
    ),
    (
        "fee-on-text",
        _set("fee.question", "items"),
        "fee.question: a per-item fee counts a number or checkboxes question",
        False,
    ),
    (
        "table-fee-missing-option",
        _set("fee", {"type": "table", "question": "where_left", "amounts": {"kerbside": 100}, "description": "D"}),
        "fee.amounts: give an amount for each option of 'where_left'",
        False,
    ),
    (
        "fee-without-ledger-code",
        _set("ledger_code", DELETE),
        "ledger_code: a service with a fee needs the finance system's code its income is booked to, like GW-4021",
        True,
    ),
    (
        "ledger-code-a-spreadsheet-would-run",
        _set("ledger_code", "=HYPERLINK(1)"),
        "ledger_code: ",
        True,
    ),
]


@pytest.mark.parametrize(("mutate", "message"), [pytest.param(m, msg, id=i) for i, m, msg, _ in BROKEN])
def test_a_broken_definition_names_the_file_the_field_and_the_fix(tmp_path: Path, mutate, message: str):
    data = copy.deepcopy(BASE)
    mutate(data)
    path = tmp_path / "bulky-waste.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(CatalogueError) as caught:
        load_definition(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith("bulky-waste.yaml: ")


def test_a_file_whose_id_differs_from_its_name(tmp_path: Path):
    path = tmp_path / "bulky-rubbish.yaml"
    path.write_text(yaml.safe_dump(BASE))
    with pytest.raises(
        CatalogueError, match=r"bulky-rubbish.yaml: id: is 'bulky-waste'; rename the file or set id: bulky-rubbish"
    ):
        load_definition(path)


def test_not_yaml_and_not_a_mapping(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(CatalogueError, match=r"(?s)^broken.yaml: not valid YAML .*Fix the syntax"):
        load_definition(path)
    path.write_text("- a list\n")
    with pytest.raises(
        CatalogueError, match=r"^broken.yaml: \(top level\): expected a mapping of fields; start with `id: broken`"
    ):
        load_definition(path)


def test_every_problem_in_a_file_is_listed_at_once(tmp_path: Path):
    data = copy.deepcopy(BASE)
    data["sla_working_days"] = 99
    data["pages"][1]["questions"][0]["type"] = "dropdown"
    path = tmp_path / "bulky-waste.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(CatalogueError) as caught:
        load_definition(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert all(line.strip().startswith("bulky-waste.yaml: ") for line in lines)


def test_an_empty_folder_is_an_error(tmp_path: Path):
    with pytest.raises(CatalogueError, match="No service definitions found"):
        load_catalogue(tmp_path)
