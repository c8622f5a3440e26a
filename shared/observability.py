"""Powertools Logger, Metrics and Tracer: one instance of each for every handler and logic module.

The service name and metrics namespace come from each function's environment (POWERTOOLS_SERVICE_NAME,
POWERTOOLS_METRICS_NAMESPACE), set by the function construct.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()

CORRELATION_HEADER = "x-correlation-id"


def correlation_id_from_http(event: dict[str, Any]) -> str:
    """The caller's correlation id if it sent one, otherwise API Gateway's request id."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    supplied = headers.get(CORRELATION_HEADER, "")
    if supplied and len(supplied) <= 128 and supplied.replace("-", "").isalnum():
        return supplied
    return str((event.get("requestContext") or {}).get("requestId") or "unknown")
