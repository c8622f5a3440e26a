"""The web functions' environments in the synthesized templates fit their settings models (web/settings.py), and
declare none of the local-only switches."""

from __future__ import annotations

import pytest
from web.settings import DraftReminderSettings, WebSettings

from shared.settings import LOCAL_CLOUD_VARIABLE, FunctionSettings, load

pytestmark = pytest.mark.infra


def _local_only(model: type[FunctionSettings]) -> set[str]:
    return {
        name.upper()
        for name, field in model.model_fields.items()
        if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("local_only")
    }


@pytest.mark.parametrize(
    ("handler", "model"), [("web.handler.handler", WebSettings), ("web.reminders.handler", DraftReminderSettings)]
)
def test_each_web_functions_environment_fits_its_settings_model(synth, monkeypatch, handler, model):
    (function,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == handler]
    variables = function.props["Environment"]["Variables"]
    assert not (_local_only(model) | {LOCAL_CLOUD_VARIABLE}) & set(variables)
    for name in (*(name.upper() for name in model.model_fields), *_local_only(WebSettings)):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():  # references to other resources resolve to strings when deployed
        monkeypatch.setenv(name, value if isinstance(value, str) else f"resolved-{name.lower()}")
    configured = load(model)
    assert configured.borough_local_cloud is False
    assert configured.drafts_table
