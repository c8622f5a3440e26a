"""Every client fits inside its function's timeout (issue 9, item 4): for each function in the synthesized template,
the worst case of each SDK client its role lets it call (shared/aws.py's budgets) and of its HTTP clients, against
the function's `Timeout`."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from shared.aws import call_budget

pytestmark = pytest.mark.infra

CLIENT_MARGIN = 0.6  # no single client may take more than this share of its function's timeout
# Services a role names that the function's own code does not call through a client: the runtime writes the logs,
# X-Ray's daemon takes the traces, and KMS is called by DynamoDB, SNS and SQS on the function's behalf.
NOT_CLIENTS = {"logs", "xray", "kms"}
# Functions whose code calls an outside HTTP service, the module of that client and the names its worst case (in
# seconds) may have there, first found wins.
HTTP_CLIENTS = {
    "notifications.handler.handler": (
        "notifications.adapters.notify",
        ("WORST_CASE_SECONDS", "REQUEST_TIMEOUT_SECONDS"),
    ),
    "web.handler.handler": ("web.addresses", ("WORST_CASE_SECONDS", "TIMEOUT_SECONDS")),
    **dict.fromkeys(
        ("payments.handler.handler", "payments.worker.handler", "payments.reconciler.handler"),
        ("payments.adapters.pay", ("WORST_CASE_SECONDS",)),
    ),
}


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def _client_services(synth: Any, function: Any) -> set[str]:
    services = {action.split(":")[0] for s in synth.role_statements(function) for action in _actions(s)}
    return services - NOT_CLIENTS


def _functions(synth: Any) -> list[Any]:
    # CDK's own Node.js handlers (e.g. the bucket deployment) are not ours; synth.resources leaves them out.
    return [f for f in synth.resources("AWS::Lambda::Function") if str(f.props["Runtime"]).startswith("python")]


def test_every_function_tells_its_clients_its_timeout(synth):
    for function in _functions(synth):
        variables = function.props["Environment"]["Variables"]
        assert variables.get("BOROUGH_FUNCTION_TIMEOUT_SECONDS") == str(function.props["Timeout"]), function.id


def test_every_sdk_client_fits_inside_its_functions_timeout(synth):
    checked = 0
    for function in _functions(synth):
        timeout = function.props["Timeout"]
        services = _client_services(synth, function)
        assert services, f"{function.props['Handler']} calls no AWS service?"
        for service in services:
            budget = call_budget(service, timeout)
            assert budget.connect_timeout > 0
            assert budget.read_timeout > 0
            assert budget.worst_case_seconds <= CLIENT_MARGIN * timeout, (function.props["Handler"], service, budget)
            checked += 1
    assert checked >= len(_functions(synth))


def test_a_write_a_slow_publish_and_the_compensating_delete_fit_together(synth):
    # The failure in issue 9, item 4: the request is written, SNS is slow, the delete must still run in time.
    writers = [f for f in _functions(synth) if {"dynamodb", "sns"} <= _client_services(synth, f)]
    assert writers, "no function writes a table and publishes"
    for function in writers:
        timeout = function.props["Timeout"]
        table, topic = call_budget("dynamodb", timeout), call_budget("sns", timeout)
        together = 2 * table.worst_case_seconds + topic.worst_case_seconds
        assert together <= timeout - 1.0, (function.props["Handler"], together, timeout)


def test_every_http_client_fits_inside_its_functions_timeout(synth):
    by_handler = {f.props["Handler"]: f for f in _functions(synth)}
    for handler, (module_name, names) in HTTP_CLIENTS.items():
        module = importlib.import_module(module_name)
        declared = next((getattr(module, name) for name in names if hasattr(module, name)), None)
        assert declared is not None, f"{module_name} declares no worst case ({' or '.join(names)})"
        worst = declared() if callable(declared) else declared
        timeout = by_handler[handler].props["Timeout"]
        assert worst <= CLIENT_MARGIN * timeout, (handler, worst, timeout)
