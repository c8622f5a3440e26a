"""Powertools Logger, Metrics and Tracer: one instance of each for every handler and logic module.

The service name and metrics namespace come from each function's environment (POWERTOOLS_SERVICE_NAME,
POWERTOOLS_METRICS_NAMESPACE), set by the function construct.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()

CORRELATION_HEADER = "x-correlation-id"
Handler = TypeVar("Handler", bound=Callable[..., Any])


class LazyTracer:
    """The Powertools Tracer, created on the first invocation rather than at import.

    Creating a Tracer imports the X-Ray SDK, whose recorder builds a botocore client for sampling: about 300 ms
    on a 2-core machine. Deferring it keeps handler imports fast (see docs/benchmarks.md) and costs nothing when
    tracing is off; with tracing on, the first invocation pays it once.
    """

    def __init__(self) -> None:
        self._tracer: Any = None

    @property
    def tracer(self) -> Any:
        if self._tracer is None:
            from aws_lambda_powertools import Tracer

            self._tracer = Tracer()
        return self._tracer

    def capture_lambda_handler(self, handler: Handler) -> Handler:
        traced: list[Callable[..., Any]] = []

        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            if not traced:
                traced.append(self.tracer.capture_lambda_handler(handler))
            return traced[0](event, context)

        return wrapper  # type: ignore[return-value]

    def capture_method(self, method: Handler) -> Handler:
        traced: list[Callable[..., Any]] = []

        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not traced:
                traced.append(self.tracer.capture_method(method))
            return traced[0](*args, **kwargs)

        return wrapper  # type: ignore[return-value]


tracer = LazyTracer()


def observed(handler: Handler) -> Handler:
    """Every Lambda entry point: JSON logs with the Lambda context (state cleared per invocation), X-Ray tracing,
    EMF metrics flushed at the end."""
    traced = tracer.capture_lambda_handler(metrics.log_metrics(handler))
    return logger.inject_lambda_context(clear_state=True)(traced)  # type: ignore[return-value]


def correlation_id_from_http(event: dict[str, Any]) -> str:
    """The caller's correlation id if it sent one, otherwise API Gateway's request id."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    supplied = headers.get(CORRELATION_HEADER, "")
    if supplied and len(supplied) <= 128 and supplied.replace("-", "").isalnum():
        return supplied
    return str((event.get("requestContext") or {}).get("requestId") or "unknown")
