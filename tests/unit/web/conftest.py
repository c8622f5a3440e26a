from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.catalogue import ServiceDefinition, load_catalogue
from web import security
from web import settings as web_settings


@pytest.fixture(autouse=True)
def _signing_key_given_directly(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The pages sign CSRF and upload tokens. Unit tests give the key directly, which only the local cloud may
    (web/settings.py): so they say they stand in for it."""
    monkeypatch.setenv("SIGNING_KEY", "unit-test-signing-key-not-secret")
    monkeypatch.setenv("BOROUGH_LOCAL_CLOUD", "1")
    web_settings.reset()
    security.signing_key.cache_clear()
    yield
    web_settings.reset()
    security.signing_key.cache_clear()


@pytest.fixture(scope="session")
def catalogue() -> dict[str, ServiceDefinition]:
    return load_catalogue()
