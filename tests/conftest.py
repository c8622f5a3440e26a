"""Test-wide settings: fake AWS credentials (never real ones), a fixed region, Powertools quiet and offline."""

from __future__ import annotations

import os

import pytest

# Set before any test module imports boto3 or Powertools. Real credentials must never reach a test.
for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(name, None)
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_REGION": "eu-west-2",
        "POWERTOOLS_SERVICE_NAME": "borough-tests",
        "POWERTOOLS_METRICS_NAMESPACE": "Borough",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
)


# One local cloud per test process, shared by tests/local and tests/browser (only one can run in a process: moto's
# backends and os.environ are process-global). `make test` runs these in a pytest process of their own, apart from
# the unit tests' own moto (nested mocks would share state).
@pytest.fixture(scope="session")
def assembly_dir():
    from local.assembly import ensure_assembly

    return ensure_assembly()


@pytest.fixture(scope="session")
def local_cloud(assembly_dir, tmp_path_factory):
    from local.cloud import LocalCloud
    from stacks.constructs.web_assets import ensure_assets

    ensure_assets()  # `make test` builds them; a bare pytest run builds them here if missing
    cloud = LocalCloud(assembly_dir, state_dir=tmp_path_factory.mktemp("local-state"), port=0)
    cloud.start()
    yield cloud
    cloud.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In one process, run the tests that use the local cloud last: the unit tests' moto must finish before the
    session's LocalCloud starts, or their nested mocks would share its state."""
    uses_cloud = ("/tests/local/", "/tests/browser/")
    items.sort(key=lambda item: any(part in item.path.as_posix() for part in uses_cloud))
