"""Settings models against the synthesized templates: no deployed function declares a local-only switch (or the
local cloud's own `BOROUGH_LOCAL_CLOUD`), and each function's environment is one its settings model accepts."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from shared.settings import LOCAL_CLOUD_VARIABLE, FunctionSettings, SettingsError, load

pytestmark = pytest.mark.infra

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
SHARED_MODULES_WITH_SETTINGS = (
    "shared.api",
    "shared.catalogue",
    "shared.maps",
    "shared.publisher",
    "shared.requests_repo",
)
# Handler -> its settings model (module, class). The web's and notifications' models are their engineers'.
MODELS = {
    "catalogue.handler.handler": ("catalogue.settings", "CatalogueSettings"),
    "cases.handler.handler": ("cases.settings", "CasesSettings"),
    "cases.triage.assign": ("cases.settings", "TriageSettings"),
    "outbox.handler.handler": ("outbox.settings", "OutboxSettings"),
    "payments.handler.handler": ("payments.settings", "PaymentsSettings"),
    "payments.worker.handler": ("payments.settings", "PaymentsSettings"),
    "payments.reconciler.handler": ("payments.settings", "PaymentsSettings"),
    "payments.creator_handler.handler": ("payments.settings", "PaymentsSettings"),
    "payments.reconciler.nightly_handler": ("payments.settings", "ComparisonSettings"),
    "payments.webhooks.handler": ("payments.settings", "WebhookSettings"),
    "payments.staff_api.handler": ("payments.settings", "StaffApiSettings"),
}


def _every_settings_model() -> set[type[FunctionSettings]]:
    """Every FunctionSettings model in shared/ and in every function's `settings.py`."""
    for module in SHARED_MODULES_WITH_SETTINGS:
        importlib.import_module(module)
    for path in sorted(FUNCTIONS_DIR.glob("*/settings.py")):
        importlib.import_module(f"{path.parent.name}.settings")
    found: set[type[FunctionSettings]] = set()
    pending = [FunctionSettings]
    while pending:
        model = pending.pop()
        found.add(model)
        pending.extend(model.__subclasses__())
    return found


def _local_only_variables() -> set[str]:
    names = {LOCAL_CLOUD_VARIABLE}
    for model in _every_settings_model():
        for name, field in model.model_fields.items():
            if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("local_only"):
                names.add(name.upper())
    return names


def test_local_only_variables_are_known():
    # The list the next test checks against is not empty by accident: the services directory is one of them.
    assert {"BOROUGH_LOCAL_CLOUD", "BOROUGH_SERVICES_DIR"} <= _local_only_variables()


def test_no_deployed_function_declares_a_local_only_variable(synth):
    local_only = _local_only_variables()
    for function in synth.resources("AWS::Lambda::Function"):
        variables = set(function.props.get("Environment", {}).get("Variables", {}))
        declared = variables & local_only
        assert not declared, f"{function.props.get('Handler')} in {synth.environment} declares {declared}"


def _placeholder(value: Any) -> str:
    """A template value as the function would see it: a Ref or GetAtt becomes some name (its shape is not ours)."""
    return value if isinstance(value, str) else "resolved-at-deploy-time"


def test_each_functions_environment_fits_its_settings_model(synth, monkeypatch):
    by_handler = {f.props["Handler"]: f for f in synth.resources("AWS::Lambda::Function")}
    for handler, (module, name) in MODELS.items():
        model = getattr(importlib.import_module(module), name)
        variables = by_handler[handler].props["Environment"]["Variables"]
        with monkeypatch.context() as patch:
            for field in model.model_fields:
                patch.delenv(field.upper(), raising=False)
            for variable, value in variables.items():
                patch.setenv(variable, _placeholder(value))
            try:
                load(model)
            except SettingsError as error:
                pytest.fail(f"{handler} in {synth.environment}: {error}")
