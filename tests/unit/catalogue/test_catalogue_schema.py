"""The JSON Schema (schemas/service.schema.json) and the pydantic models (shared/catalogue.py and its parts)
describe the same format: the same fields, required fields, question types and rules per type; both accept every
shipped definition; both refuse the structurally broken examples of the loader's tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from shared import catalogue as c
from shared import definition_base
from tests.unit.catalogue.test_catalogue_loader import BASE, BROKEN, SHIPPED

pytestmark = pytest.mark.unit

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "schemas" / "service.schema.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
DEFS = SCHEMA["$defs"]


def test_the_schema_is_valid_draft_2020_12():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_both_accept_every_shipped_definition(path: Path):
    data = yaml.safe_load(path.read_text())
    assert [e.message for e in VALIDATOR.iter_errors(data)] == []
    assert c.definition_errors(data) == []


@pytest.mark.parametrize(("mutate", "schema_refuses"), [pytest.param(m, r, id=i) for i, m, _, r in BROKEN])
def test_both_refuse_the_broken_examples(mutate, schema_refuses: bool):
    data = copy.deepcopy(BASE)
    mutate(data)
    assert c.definition_errors(data), "the model accepted a broken definition"
    # Cross-references (earlier questions, options, unique ids, the fee's question) are beyond a JSON Schema:
    # the model alone checks them, and the schema's own description says so.
    assert bool(list(VALIDATOR.iter_errors(data))) is schema_refuses


def _properties(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


def _required(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items() if info.is_required()}


FEES = {"none": c.NoFee, "fixed": c.FixedFee, "per-item": c.PerItemFee, "table": c.TableFee}
OBJECTS: list[tuple[str, dict[str, Any], type[BaseModel]]] = [
    ("service", SCHEMA, c.ServiceDefinition),
    ("page", DEFS["page"], c.Page),
    ("question", DEFS["question"], c.Question),
    ("validation", DEFS["validation"], c.Validation),
    ("condition", DEFS["condition"], c.Condition),
    ("option", DEFS["option"], c.Option),
    ("privacy_notice", DEFS["privacy_notice"], c.PrivacyNotice),
    ("rule", DEFS["rule"], c.Rule),
    ("length_rule", DEFS["length_rule"], c.LengthRule),
    ("value_rule", DEFS["value_rule"], c.ValueRule),
    ("pattern_rule", DEFS["pattern_rule"], c.PatternRule),
    ("date_rule", DEFS["date_rule"], c.DateRule),
    *[(f"fee {kind}", next(v for v in DEFS["fee"]["oneOf"] if v["properties"]["type"]["const"] == kind), model)
      for kind, model in FEES.items()],
]  # fmt: skip


@pytest.mark.parametrize(("schema", "model"), [pytest.param(s, m, id=i) for i, s, m in OBJECTS])
def test_same_fields_and_same_required_fields(schema: dict[str, Any], model: type[BaseModel]):
    assert set(schema["properties"]) == _properties(model)
    assert schema["additionalProperties"] is False
    required = set(schema.get("required", ()))
    if model in FEES.values():
        required |= {"type"}  # required on the fee object as a whole
    assert required == _required(model)


def test_same_question_types_rules_and_file_limits():
    assert DEFS["question"]["properties"]["type"]["enum"] == list(c.QUESTION_TYPES) == list(get_args(c.QuestionType))
    rules_by_type = {
        entry["if"]["properties"]["type"]["const"]: set(
            entry["then"]["properties"]["validation"]["propertyNames"]["enum"]
        )
        for entry in DEFS["question"]["allOf"]
    }
    assert rules_by_type == {t: set(r) for t, r in c.RULES_FOR_TYPE.items()}
    assert set(DEFS["validation"]["properties"]) == set().union(*c.RULES_FOR_TYPE.values())
    assert DEFS["question"]["properties"]["accept"]["items"]["enum"] == list(c.FILE_TYPES)
    assert DEFS["question"]["properties"]["max_size_bytes"]["maximum"] == c.MAX_UPLOAD_BYTES == 7 * 1024 * 1024
    assert SCHEMA["properties"]["workflow"]["enum"] == list(
        get_args(c.ServiceDefinition.model_fields["workflow"].annotation)
    )
    assert [v["properties"]["type"]["const"] for v in DEFS["fee"]["oneOf"]] == list(FEES)


def test_same_id_patterns():
    assert (
        SCHEMA["properties"]["id"]["pattern"]
        == DEFS["page"]["properties"]["id"]["pattern"]
        == definition_base.SLUG_PATTERN
    )
    assert DEFS["id"]["pattern"] == definition_base.ID_PATTERN


def test_the_documented_example_is_a_valid_definition():
    docs = (SCHEMA_PATH.parents[1] / "docs" / "services.md").read_text()
    example = docs.split("## A whole example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    assert example.startswith("# yaml-language-server: $schema=../schemas/service.schema.json")
    data = yaml.safe_load(example)
    assert [e.message for e in VALIDATOR.iter_errors(data)] == []
    assert c.definition_errors(data) == []
