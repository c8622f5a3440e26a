"""Assisted digital in the synthesized templates (decision 0007): the console-only catalogue function, which no
route integrates, which only the console's role may invoke (an exact grant), and which may only create requests;
and the MOTO function (fees by phone), likewise the console's only, with a timeout that fits Pay's MOTO_POLICY."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.infra
ASSISTED = "catalogue.assisted_handler.handler"
MOTO = "payments.moto_handler.handler"
CONSOLE = "console.handler.handler"


def _function(synth, handler):
    (function,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == handler]
    return function


def _list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("handler", [ASSISTED, MOTO])
def test_no_route_or_permission_lets_api_gateway_reach_it(synth, handler):
    function = _function(synth, handler)
    for integration in synth.resources("AWS::ApiGatewayV2::Integration"):
        assert function.id not in set(synth.references(integration.stack, integration.props.get("IntegrationUri")))
    for permission in synth.resources("AWS::Lambda::Permission"):
        assert synth.refers_to(permission.stack, permission.props["FunctionName"]) != function.id


@pytest.mark.parametrize("handler", [ASSISTED, MOTO])
def test_only_the_console_may_invoke_it_and_exactly_it(synth, handler):
    target = _function(synth, handler)
    invokers = []
    for function in synth.resources("AWS::Lambda::Function"):
        for statement in synth.role_statements(function):
            if "lambda:InvokeFunction" not in _list(statement["Action"]):
                continue
            resources = _list(statement["Resource"])
            named = {rid for r in resources for rid in synth.references(function.stack, r)}
            if target.id in named or "*" in json.dumps(resources):
                invokers.append((function.props["Handler"], resources))
    assert [name for name, _ in invokers] == [CONSOLE]
    [(_, resources)] = invokers
    console = _function(synth, CONSOLE)
    # Each resource is one function itself: no `:*` for versions or aliases.
    # CDK merges the console's invoke statements: the staff payments function is named by an ARN string (no ref).
    assert {synth.refers_to(console.stack, r) for r in resources if synth.refers_to(console.stack, r)} == {
        _function(synth, ASSISTED).id,
        _function(synth, MOTO).id,
    }


def test_the_moto_function_outlasts_pays_moto_policy():
    """A test of the numbers: the MOTO function's timeout covers one authorisation's worst case and the calls
    around it; the console's own page is bounded by API Gateway (30 s) and reads the outcome back."""
    from payments.adapters.pay import DEFAULT_POLICY, MOTO_POLICY, worst_case_seconds
    from stacks.payments_stack import MOTO_TIMEOUT

    assert MOTO_TIMEOUT.to_seconds() >= 50
    assert MOTO_TIMEOUT.to_seconds() >= worst_case_seconds(MOTO_POLICY) + 3 * worst_case_seconds(DEFAULT_POLICY)


def test_the_deployed_moto_function_has_that_timeout(synth):
    from stacks.payments_stack import MOTO_TIMEOUT

    assert _function(synth, MOTO).props["Timeout"] == MOTO_TIMEOUT.to_seconds()
    assert _function(synth, CONSOLE).props["Timeout"] < 30  # within API Gateway's limit: it never waits for Pay


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


def test_the_console_knows_both_functions_by_name(synth):
    console = _function(synth, CONSOLE)
    variables = console.props["Environment"]["Variables"]
    assert synth.refers_to(console.stack, variables["ASSISTED_FUNCTION"]) == _function(synth, ASSISTED).id
    assert synth.refers_to(console.stack, variables["MOTO_FUNCTION"]) == _function(synth, MOTO).id
