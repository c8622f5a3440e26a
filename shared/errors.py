"""Domain errors and their one mapping to HTTP: RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

import json
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"


class BoroughError(Exception):
    """Base of every error a resident or caller can be told about."""

    status = 500
    title = "Something went wrong"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}


class BadRequest(BoroughError):
    status = 400
    title = "The request could not be read"


class Unauthorized(BoroughError):
    status = 401
    title = "Sign in to do this"


class Forbidden(BoroughError):
    status = 403
    title = "You do not have permission to do this"


class NotFound(BoroughError):
    status = 404
    title = "Not found"


class MethodNotAllowed(BoroughError):
    status = 405
    title = "Method not allowed"


class Conflict(BoroughError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(BoroughError):
    status = 413
    title = "The request is too large"


class UnsupportedMediaType(BoroughError):
    status = 415
    title = "The request body is not JSON"


class ValidationFailed(BoroughError):
    status = 422
    title = "There is a problem with what was sent"


class TooManyRequests(BoroughError):
    status = 429
    title = "Too many requests"


class DependencyFailed(BoroughError):
    status = 503
    title = "Service temporarily unavailable"


def problem_body(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
) -> str:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return json.dumps(body)


def pydantic_errors(exc: Any, prefix: str = "") -> list[dict[str, str]]:
    """Flatten a pydantic ValidationError into `[{"field": "location.postcode", "message": "..."}]`."""
    out = []
    for error in exc.errors():
        path = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
        message = str(error.get("msg", "Invalid value")).removeprefix("Value error, ")
        out.append({"field": f"{prefix}{path}" if path else prefix.rstrip(".") or "body", "message": message})
    return out
