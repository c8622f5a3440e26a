"""Test-wide settings: fake AWS credentials (never real ones), a fixed region, Powertools quiet and offline."""

from __future__ import annotations

import os

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


def pytest_collection_modifyitems(config, items):
    """Keep moto users apart under pytest-xdist (`--dist loadgroup`): the unit tests' `mock_aws` and the session's
    LocalCloud share moto's process-global backends, so each family runs in a worker of its own."""
    import pytest

    for item in items:
        path = item.path.as_posix()
        if "/tests/local/" in path or "/tests/browser/" in path:
            item.add_marker(pytest.mark.xdist_group("local-cloud"))
        elif "/tests/unit/" in path:
            item.add_marker(pytest.mark.xdist_group("moto-unit"))
