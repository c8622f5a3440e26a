"""Assisted digital in the synthesized templates (decision 0007): the console-only catalogue function, which no
route integrates, which only the console's role may invoke (an exact grant), and which may only create requests."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.infra
ASSISTED = "catalogue.assisted_handler.handler"


def _function(synth, handler):
    (function,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == handler]
    return function


def _list(value):
    return value if isinstance(value, list) else [value]


def test_no_route_or_permission_lets_api_gateway_reach_the_assisted_function(synth):
    assisted = _function(synth, ASSISTED)
    for integration in synth.resources("AWS::ApiGatewayV2::Integration"):
        assert assisted.id not in set(synth.references(integration.stack, integration.props.get("IntegrationUri")))
    for permission in synth.resources("AWS::Lambda::Permission"):
        assert synth.refers_to(permission.stack, permission.props["FunctionName"]) != assisted.id


def test_only_the_console_may_invoke_it_and_exactly_it(synth):
    assisted = _function(synth, ASSISTED)
    invokers = []
    for function in synth.resources("AWS::Lambda::Function"):
        for statement in synth.role_statements(function):
            if "lambda:InvokeFunction" not in _list(statement["Action"]):
                continue
            resources = _list(statement["Resource"])
            named = {rid for r in resources for rid in synth.references(function.stack, r)}
            if assisted.id in named or "*" in json.dumps(resources):
                invokers.append((function.props["Handler"], resources))
    assert [handler for handler, _ in invokers] == ["console.handler.handler"]
    [(_, resources)] = invokers
    assert len(resources) == 1  # the function itself: no `:*` for versions or aliases
    assert synth.refers_to(_function(synth, "console.handler.handler").stack, resources[0]) == assisted.id


def test_the_web_cannot_invoke_it(synth):
    web = _function(synth, "web.handler.handler")
    assisted = _function(synth, ASSISTED)
    for statement in synth.role_statements(web):
        for resource in _list(statement["Resource"]):
            assert assisted.id not in set(synth.references(web.stack, resource))


def test_the_assisted_function_only_creates_requests(synth):
    assisted = _function(synth, ASSISTED)
    statements = synth.role_statements(assisted)
    dynamodb = sorted(a for s in statements for a in _list(s["Action"]) if str(a).startswith("dynamodb:"))
    assert dynamodb == ["dynamodb:PutItem"]
    (put,) = [s for s in statements if s["Action"] == "dynamodb:PutItem"]
    (table,) = set(synth.references(assisted.stack, put["Resource"]))
    assert "Requests" in table.logical_id
    env = assisted.props["Environment"]["Variables"]
    assert "IDEMPOTENCY_TABLE" not in env
    assert not env.get("UPLOADS_BUCKET_PARAMETER")  # file answers are refused on this path


def test_the_console_knows_the_assisted_function_by_name(synth):
    console = _function(synth, "console.handler.handler")
    assisted = _function(synth, ASSISTED)
    named = console.props["Environment"]["Variables"]["ASSISTED_FUNCTION"]
    assert synth.refers_to(console.stack, named) == assisted.id
