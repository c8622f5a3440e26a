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
