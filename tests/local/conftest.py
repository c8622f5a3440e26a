"""One local cloud for the whole session: the synthesized app on moto, served on a free port of 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.cloud import LocalCloud
from local.staff import DEMO_PASSWORD, DEMO_USERNAME

TEST_FUNCTIONS_DIR = Path(__file__).parent / "lambdas"


@pytest.fixture(scope="session")
def test_functions_dir() -> Path:
    """Test-only handlers (only where a real function cannot show the behaviour, e.g. failing on purpose)."""
    return TEST_FUNCTIONS_DIR


@pytest.fixture(scope="session")
def staff_token(local_cloud: LocalCloud) -> str:
    response = local_cloud.handle(
        "POST", "/sandbox/sign-in", json_body={"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    )
    assert response.status == 200, response.body
    token: str = response.json()["id_token"]
    return token
