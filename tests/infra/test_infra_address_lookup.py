"""Address lookup: the web function and the staff console (its permits search by postcode) know where OS Places is
and which secret holds its key, and they alone may read that secret (GetSecretValue only). The key itself is never
in a template."""

from __future__ import annotations

import json

import pytest

from stacks.web_stack import OS_PLACES_BASE_URL
from tests.infra.test_infra_notifications import _secrets

pytestmark = pytest.mark.infra

WEB = "web.handler.handler"
CONSOLE = "console.handler.handler"


def _web(synth):
    return next(f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == WEB)


def _function(synth, handler: str):
    return next(f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == handler)


@pytest.mark.parametrize("handler", [WEB, CONSOLE])
def test_the_web_and_console_functions_are_configured_for_os_places_by_the_secrets_name(synth, handler):
    variables = _function(synth, handler).props["Environment"]["Variables"]
    assert variables["OS_PLACES_BASE_URL"] == OS_PLACES_BASE_URL == "https://api.os.uk"
    assert variables["OS_PLACES_API_KEY_SECRET_ID"] == f"borough/{synth.environment}/os-places-api-key"
    assert not any(name.startswith("OS_PLACES_API_KEY") and name.endswith("KEY") for name in variables)
    # A person creates the secret: no stack declares it (a stack deletion never takes it; its value is in no template).
    assert not [s for s in synth.resources("AWS::SecretsManager::Secret") if "OsPlaces" in s.logical_id]


def test_the_web_function_reads_exactly_its_signing_key_and_the_os_places_key(synth):
    signing = next(s.logical_id for s in synth.resources("AWS::SecretsManager::Secret") if "SigningKey" in s.logical_id)
    # `_secrets` also insists on GetSecretValue alone: no DescribeSecret, no listing, no wildcard beyond the six
    # random characters Secrets Manager appends to a secret's name.
    # ... and the API stack's origin-verify secret, like every function behind the HTTP API.
    verify = next(s.logical_id for s in synth.resources("AWS::SecretsManager::Secret") if "OriginVer" in s.logical_id)
    assert _secrets(synth, _web(synth)) == {signing, verify, f"borough/{synth.environment}/os-places-api-key-??????"}


def test_the_console_may_read_the_os_places_key(synth):
    assert f"borough/{synth.environment}/os-places-api-key-??????" in _secrets(synth, _function(synth, CONSOLE))


def test_no_other_function_may_read_the_os_places_key(synth):
    for function in synth.resources("AWS::Lambda::Function"):
        if function.props.get("Handler") not in (WEB, CONSOLE):
            assert not any("os-places" in name for name in _secrets(synth, function)), function.id
    assert "os-places" not in json.dumps([r.props for r in synth.resources("AWS::IAM::Policy")]).replace(
        f"borough/{synth.environment}/os-places-api-key-??????", ""
    )
