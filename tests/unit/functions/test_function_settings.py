"""The catalogue's and cases' settings models, and the shared modules' parts of them: a missing or malformed
variable fails the function's first invocation with its name, before anything is read or written."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from cases import handler as cases_handler
from cases import triage
from catalogue import handler as catalogue_handler
from catalogue.settings import CatalogueSettings
from local.lambda_runtime import LambdaRuntime
from outbox import handler as outbox_handler
from shared import maps, settings
from shared.catalogue import SERVICES_DIR, ServicesSettings, load_catalogue
from shared.settings import SettingsError, load
from tests.helpers import FakeContext, http_event

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch):
    monkeypatch.delenv("BOROUGH_LOCAL_CLOUD", raising=False)
    settings.reset()
    yield
    settings.reset()


def _services() -> dict:
    event = http_event("GET", "/api/v1/services", route_key="GET /api/v1/services")
    return catalogue_handler.handler(event, FakeContext())


def test_the_catalogue_reads_its_settings_once(cloud, monkeypatch):
    assert _services()["statusCode"] == 200
    monkeypatch.setenv("API_ROUTES", "not a route")
    assert _services()["statusCode"] == 200  # already read at the first invocation: not read again


@pytest.mark.parametrize("name", ["REQUESTS_TABLE", "IDEMPOTENCY_TABLE"])
def test_the_catalogue_without_a_variable_fails_its_first_invocation_with_the_name(cloud, monkeypatch, name):
    monkeypatch.delenv(name)
    with pytest.raises(SettingsError, match=f"{name}: Field required"):
        _services()


def test_the_catalogue_needs_no_topic_and_the_outbox_fails_without_it(cloud, monkeypatch):
    # The catalogue stores its events with its writes; the outbox publishes them (shared/outbox.py).
    monkeypatch.delenv("EVENTS_TOPIC_ARN")
    assert _services()["statusCode"] == 200
    with pytest.raises(SettingsError, match=r"OutboxSettings .*EVENTS_TOPIC_ARN: Field required"):
        outbox_handler.handler({"Records": []}, FakeContext())


def test_malformed_api_routes_fail_with_the_name(cloud, monkeypatch):
    monkeypatch.setenv("API_ROUTES", "GET /api/v1/services;/api/v1/requests")
    with pytest.raises(SettingsError, match=r"API_ROUTES: .*not route keys"):
        _services()


def test_the_cases_api_and_triage_fail_with_the_missing_name(cloud, monkeypatch):
    monkeypatch.delenv("REQUESTS_TABLE")
    event = http_event("GET", "/api/v1/requests/X", path_parameters={"reference": "X"})
    with pytest.raises(SettingsError, match=r"CasesSettings .*REQUESTS_TABLE: Field required"):
        cases_handler.handler(event, FakeContext())
    with pytest.raises(SettingsError, match=r"TriageSettings .*REQUESTS_TABLE: Field required"):
        triage.assign({}, FakeContext())


def test_the_catalogue_settings_name_the_secret_by_id(cloud, monkeypatch):
    monkeypatch.setenv("ORIGIN_VERIFY_SECRET_ID", "borough/dev/origin-verify")
    assert load(CatalogueSettings).origin_verify_secret_id == "borough/dev/origin-verify"


def test_another_services_directory_is_local_only(monkeypatch, tmp_path):
    monkeypatch.setenv("BOROUGH_SERVICES_DIR", str(tmp_path))
    with pytest.raises(SettingsError, match="BOROUGH_SERVICES_DIR: local-only"):
        load(ServicesSettings)
    monkeypatch.setenv("BOROUGH_LOCAL_CLOUD", "1")
    (tmp_path / "graffiti.yaml").write_text((SERVICES_DIR / "graffiti.yaml").read_text())
    load_catalogue.cache_clear()
    try:
        assert list(load_catalogue()) == ["graffiti"]
    finally:
        load_catalogue.cache_clear()


def test_the_map_setting_is_json_of_a_map_or_blank(monkeypatch):
    example = {
        "tiles_origin": "api.os.uk",
        "attribution": "Contains OS data",
        "centre": {"latitude": 51.27, "longitude": 0.52},
        "south_west": {"latitude": 51.1, "longitude": 0.3},
        "north_east": {"latitude": 51.4, "longitude": 0.8},
        "zoom": 13,
    }
    monkeypatch.setenv(maps.ENVIRONMENT_VARIABLE, json.dumps(example))
    found = maps.from_environment()
    assert found is not None
    assert found.zoom == 13
    monkeypatch.setenv(maps.ENVIRONMENT_VARIABLE, " ")
    assert maps.from_environment() is None
    monkeypatch.setenv(maps.ENVIRONMENT_VARIABLE, json.dumps({**example, "zoom": 3}))
    with pytest.raises(SettingsError, match="MAP_SETTINGS"):
        maps.from_environment()


def test_the_local_cloud_runs_every_function_with_borough_local_cloud_set(tmp_path: Path):
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "__init__.py").write_text("")
    (tmp_path / "probe" / "handler.py").write_text(
        "import os\n\ndef handler(event, context):\n    return os.environ.get('BOROUGH_LOCAL_CLOUD')\n"
    )
    runtime = LambdaRuntime(base_environment={})
    runtime.register("probe", tmp_path)
    function = SimpleNamespace(
        function_name="probe",
        function_arn="arn:aws:lambda:eu-west-2:123456789012:function:probe",
        memory_size=128,
        timeout=3,
        handler="probe.handler.handler",
        run_time="python3.14",
        environment_vars={},
    )
    assert runtime.call(function, {}) == (False, '"1"')


def test_the_idempotency_store_uses_the_budgeted_dynamodb_client(cloud, monkeypatch):
    # Powertools would otherwise build its own client with boto3's 60 s timeouts (shared/aws.py).
    from shared import aws

    asked: list[str] = []
    real = aws.client
    catalogue_handler._idempotent_submit.cache_clear()
    with monkeypatch.context() as patch:
        patch.setattr(aws, "client", lambda service: asked.append(service) or real(service))
        try:
            catalogue_handler._idempotent_submit()
        finally:
            catalogue_handler._idempotent_submit.cache_clear()
    assert asked == ["dynamodb"]
