"""Every client fits inside its function's timeout (issue 9, item 4): for each function in the synthesized template,
the worst case of each SDK client its role lets it call (shared/aws.py's budgets) and of its HTTP clients, against
the function's `Timeout`."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from shared.aws import call_budget

pytestmark = pytest.mark.infra

CLIENT_MARGIN = 0.6  # no single client may take more than this share of its function's timeout
# Services a role names that the function's own code does not call through a client: the runtime writes the logs,
# X-Ray's daemon takes the traces, and KMS is called by DynamoDB, SNS and SQS on the function's behalf.
NOT_CLIENTS = {"logs", "xray", "kms"}
ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
# A module's declared worst case, in seconds: a constant ending in WORST_CASE_SECONDS, or worst_case_seconds().
_DECLARED = re.compile(r"^(?:(\w*WORST_CASE_SECONDS)\s*[:=]|def (worst_case_seconds)\()", re.MULTILINE)
# The outside HTTP services the functions call, by client module: each should declare its worst case.
HTTP_CLIENT_MODULES = (
    "notifications.adapters.notify",  # GOV.UK Notify
    "payments.adapters.pay",  # GOV.UK Pay
    "permits.adapters.dvla",  # DVLA Vehicle Enquiry Service
    "shared.addresses",  # OS Places (the layer's: the web's address lookup and the console's permit search)
)
# HTTP clients in the shared layer, by the function packages that call them: their worst case must fit those too.
SHARED_CLIENT_USERS = {"shared.addresses": ("web", "console")}


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


def _declared_budgets(package: str) -> dict[str, float]:
    """Every worst case a module of `functions/<package>/` (or the layer's `shared/`) declares (its outside
    clients'), by module and name; a function package's include the shared clients it calls."""
    found = {}
    base = ROOT if package == "shared" else FUNCTIONS_DIR
    for path in sorted((base / package).rglob("*.py")):
        names = [a or b for a, b in _DECLARED.findall(path.read_text(encoding="utf-8"))]
        if not names:
            continue
        module_name = ".".join(path.relative_to(base).with_suffix("").parts)
        module = importlib.import_module(module_name)
        for name in names:
            value = getattr(module, name)
            found[f"{module_name}.{name}"] = float(value() if callable(value) else value)
    if package != "shared":
        users = {client for client, packages in SHARED_CLIENT_USERS.items() if package in packages}
        found.update({k: v for k, v in _declared_budgets("shared").items() if k.rsplit(".", 1)[0] in users})
    return found


def test_every_declared_client_budget_fits_inside_its_functions_timeout(synth):
    checked = set()
    for function in _functions(synth):
        timeout = function.props["Timeout"]
        for name, worst in _declared_budgets(function.props["Handler"].split(".", 1)[0]).items():
            assert worst <= CLIENT_MARGIN * timeout, (function.props["Handler"], name, worst, timeout)
            checked.add(name)
    assert "notifications.adapters.notify.WORST_CASE_SECONDS" in checked  # the discovery finds what it should
    assert "shared.addresses.WORST_CASE_SECONDS" in checked  # and the layer's clients, for the functions that call them


@pytest.mark.parametrize("module_name", HTTP_CLIENT_MODULES)
def test_every_http_client_declares_its_worst_case(module_name):
    package = module_name.split(".", 1)[0]
    declared = [name for name in _declared_budgets(package) if name.startswith(f"{module_name}.")]
    assert declared, f"{module_name} declares no worst case (*WORST_CASE_SECONDS or worst_case_seconds())"
