"""Search by postcode and email in the synthesized templates: the Requests table's keyed-hash indexes (projecting only
the queue's fields), the generated search key `<prefix>/search-key`, and who may read it and query the indexes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from console.queue import QUEUE_FIELDS
from console.search_index import INDEXES
from console.settings import ConsoleSettings
from shared.search_keys import SearchKeySettings
from stacks.data_stack import SEARCH_INDEXES

pytestmark = pytest.mark.infra
CATALOGUE, CONSOLE = "catalogue.handler.handler", "console.handler.handler"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _functions(synth) -> dict[str, Any]:
    return {f.props["Handler"]: f for f in synth.resources("AWS::Lambda::Function") if "Handler" in f.props}


def _search_key(synth):
    (secret,) = [s for s in synth.resources("AWS::SecretsManager::Secret") if s.logical_id.startswith("SearchKey")]
    return secret


def test_the_stack_and_the_console_name_the_same_indexes_and_keys():
    assert dict(INDEXES.values()) == SEARCH_INDEXES


def test_the_requests_table_has_an_index_on_each_key_projecting_only_the_queues_fields(synth):
    (requests,) = [t for t in synth.resources("AWS::DynamoDB::Table") if "Requests" in t.logical_id]
    indexes = {i["IndexName"]: i for i in requests.props["GlobalSecondaryIndexes"]}
    for name, attribute in SEARCH_INDEXES.items():
        index = indexes[name]
        assert [k["AttributeName"] for k in index["KeySchema"]] == [attribute, "submitted_at"]
        assert index["Projection"]["ProjectionType"] == "INCLUDE"
        assert set(index["Projection"]["NonKeyAttributes"]) == set(QUEUE_FIELDS) - {"reference"}
    types = {d["AttributeName"]: d["AttributeType"] for d in requests.props["AttributeDefinitions"]}
    assert {types[a] for a in (*SEARCH_INDEXES.values(), "submitted_at")} == {"S"}


def test_the_search_key_is_a_generated_secret_named_by_the_prefix(synth):
    secret = _search_key(synth)
    assert secret.props["Name"] == f"Borough-{synth.environment}/search-key"
    assert "SecretString" not in secret.props
    assert secret.props["GenerateSecretString"]["PasswordLength"] >= 32


def test_the_search_key_is_kept_in_production(prod):
    assert _search_key(prod).body["DeletionPolicy"] == "Retain"


def _reads_search_key(statement: dict[str, Any]) -> bool:
    return "search-key" in json.dumps(statement.get("Resource"))


def test_only_the_catalogues_and_the_console_read_the_search_key_and_only_its_value(synth):
    readers = set()
    for policy in synth.resources("AWS::IAM::Policy"):
        for statement in policy.props["PolicyDocument"]["Statement"]:
            if _reads_search_key(statement):
                assert _list(statement["Action"]) == ["secretsmanager:GetSecretValue"]
                readers.add(policy.id)
    functions = _functions(synth)
    # the public catalogue and the console-only one (assisted digital) write keys; the console hashes searches
    for handler in (CATALOGUE, "catalogue.assisted_handler.handler", CONSOLE):
        statements = [s for s in synth.role_statements(functions[handler]) if _reads_search_key(s)]
        (grant,) = statements
        resource = json.dumps(grant["Resource"])
        assert f"secret:Borough-{synth.environment}/search-key-??????" in resource  # that secret, by its name
        assert functions[handler].props["Environment"]["Variables"]["SEARCH_KEY_SECRET_ID"] == (
            f"Borough-{synth.environment}/search-key"
        )
    assert len(readers) == 3


def test_the_console_queries_exactly_the_search_indexes_and_the_catalogue_queries_none(synth):
    functions = _functions(synth)
    console = [
        str(resource["Fn::Join"][1][-1])
        for s in synth.role_statements(functions[CONSOLE])
        if s["Action"] == "dynamodb:Query"
        for resource in _list(s["Resource"])
        if "Fn::Join" in resource
    ]
    assert {f"/index/{name}" for name in SEARCH_INDEXES} <= set(console)
    for name in SEARCH_INDEXES:
        assert console.count(f"/index/{name}") == 1
    for handler, function in functions.items():
        if handler == CONSOLE:
            continue
        for statement in synth.role_statements(function):
            assert not any(name in json.dumps(statement.get("Resource")) for name in SEARCH_INDEXES), handler


def test_the_environments_fit_the_search_key_settings(synth, monkeypatch):
    functions = _functions(synth)
    for handler, model in ((CATALOGUE, SearchKeySettings), (CONSOLE, ConsoleSettings)):
        variables = functions[handler].props["Environment"]["Variables"]
        for name in model.model_fields:
            monkeypatch.delenv(name.upper(), raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value if isinstance(value, str) else f"resolved-{name.lower()}")
        from shared.settings import load

        assert load(model).search_key_secret_id == f"Borough-{synth.environment}/search-key"


def test_the_console_may_read_the_audit_record_for_exports_but_never_change_it(synth):
    console = _functions(synth)[CONSOLE]
    (audit,) = [t for t in synth.resources("AWS::DynamoDB::Table") if t.logical_id.startswith("Audit")]
    actions = {
        action
        for s in synth.role_statements(console)
        for action in _list(s["Action"])
        if str(action).startswith("dynamodb:")
        for resource in _list(s["Resource"])
        if audit.id in set(synth.references(console.stack, resource))
    }
    assert actions == {"dynamodb:PutItem", "dynamodb:Query"}


def _data_stack_indexes(**context: str) -> list[str]:
    """The Requests table's index names in a data stack synthesized on its own with this context."""
    import aws_cdk as cdk
    from aws_cdk import aws_kms as kms
    from aws_cdk.assertions import Template

    from app import CDK_JSON
    from stacks.config import load_config
    from stacks.data_stack import DataStack

    app = cdk.App(context=context)
    config = load_config(json.loads(CDK_JSON.read_text())["context"], "dev")
    key = kms.Key(cdk.Stack(app, "Keys"), "Key")
    template = Template.from_stack(DataStack(app, "Data", config=config, key=key)).to_json()
    (requests,) = [r for name, r in template["Resources"].items() if name.startswith("Requests")]
    return [index["IndexName"] for index in requests["Properties"]["GlobalSecondaryIndexes"]]


def test_an_existing_deployment_can_add_the_search_indexes_one_per_deploy():
    """CloudFormation creates one index of a table per update: `-c search_indexes=1` declares only the first."""
    assert _data_stack_indexes() == ["by-team-due", *SEARCH_INDEXES]
    assert _data_stack_indexes(search_indexes="1") == ["by-team-due", next(iter(SEARCH_INDEXES))]
    with pytest.raises(ValueError, match="takes 0 to 2"):
        _data_stack_indexes(search_indexes="3")
