from __future__ import annotations

import os

import pytest

from shared.catalogue import ServiceDefinition, load_catalogue

os.environ.setdefault("SIGNING_KEY", "unit-test-signing-key-not-secret")


@pytest.fixture(scope="session")
def catalogue() -> dict[str, ServiceDefinition]:
    return load_catalogue()
