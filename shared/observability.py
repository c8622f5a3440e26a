"""Powertools Logger, Metrics and Tracer: one instance of each for every handler and logic module.

The service name and metrics namespace come from each function's environment (POWERTOOLS_SERVICE_NAME,
POWERTOOLS_METRICS_NAMESPACE), set by the function construct.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()

CORRELATION_HEADER = "x-correlation-id"
Handler = TypeVar("Handler", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Outcome:
    """What the traced call gave: its value, or the exception it raised (re-raised outside the trace segment)."""

    value: Any = None
    error: Exception | None = None


class LazyTracer:
    """The Powertools Tracer, created on the first invocation rather than at import, that records no personal data.

    Creating a Tracer imports the X-Ray SDK, whose recorder builds a botocore client for sampling: about 300 ms
    on a 2-core machine. Deferring it keeps handler imports fast (see docs/benchmarks.md) and costs nothing when
    tracing is off; with tracing on, the first invocation pays it once.

    By default Powertools puts each handler's response (the web's pages, with residents' answers and contact
    details, and its Set-Cookie draft token) and each exception (whose message may quote what a resident typed) in
    the trace. Here neither is: responses and errors are never captured as metadata, and an exception leaves the
    traced function as a value, so the X-Ray segment does not record its message and stack either. The segment is
    marked as failed and annotated with the exception's type only; the exception is then raised again, outside it.
    """

    def __init__(self) -> None:
        self._tracer: Any = None

    @property
    def tracer(self) -> Any:
        if self._tracer is None:
            from aws_lambda_powertools import Tracer

            self._tracer = Tracer()
        return self._tracer

    def _run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> _Outcome:
        try:
            return _Outcome(value=function(*args, **kwargs))
        except Exception as error:  # handed back to the caller, who raises it again outside the segment
            self._mark_failed(error)
            return _Outcome(error=error)

    def _mark_failed(self, error: Exception) -> None:
        tracer = self.tracer
        tracer.put_annotation(key="Error", value=type(error).__name__)
        current = getattr(tracer.provider, "current_subsegment", None)
        subsegment = current() if callable(current) and not tracer.disabled else None
        if subsegment is not None:
            subsegment.add_fault_flag()

    def capture_lambda_handler(self, handler: Handler) -> Handler:
        traced: list[Callable[..., _Outcome]] = []

        def run(event: Any, context: Any) -> _Outcome:
            return self._run(handler, event, context)

        functools.update_wrapper(run, handler)  # the subsegment is named after the handler

        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            if not traced:
                capture = self.tracer.capture_lambda_handler
                traced.append(capture(run, capture_response=False, capture_error=False))
            outcome = traced[0](event, context)
            if outcome.error is not None:
                raise outcome.error
            return outcome.value

        wrapper.traced_without_data = True  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    def capture_method(self, method: Handler) -> Handler:
        traced: list[Callable[..., _Outcome]] = []

        def run(*args: Any, **kwargs: Any) -> _Outcome:
            return self._run(method, *args, **kwargs)

        functools.update_wrapper(run, method)  # the subsegment is named after the method

        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not traced:
                traced.append(self.tracer.capture_method(run, capture_response=False, capture_error=False))
            outcome = traced[0](*args, **kwargs)
            if outcome.error is not None:
                raise outcome.error
            return outcome.value

        wrapper.traced_without_data = True  # type: ignore[attr-defined]
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
