"""HTTP API plumbing shared by every API function: the resolver, error mapping, request bodies, route matching.

Errors map to HTTP in one place: a `BoroughError` (or a pydantic ValidationError) raised anywhere below a route
becomes an RFC 9457 problem+json response here. A body that cannot be read (too large, not UTF-8, not JSON, hostile
JSON) is refused with a 4xx before or as the route reads it (shared/request_body.py), never with a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from pydantic import ValidationError, field_validator

from shared import origin_verify
from shared.errors import (
    PROBLEM_CONTENT_TYPE,
    BoroughError,
    Forbidden,
    MethodNotAllowed,
    NotFound,
    ValidationFailed,
    problem_body,
    pydantic_errors,
)
from shared.observability import correlation_id_from_http, logger, observed
from shared.origin_verify import OriginVerifySettings
from shared.request_body import parse_json_object, refused_body
from shared.settings import current

_ROUTE_KEY = re.compile(r"^[A-Z]+ /\S*$")


class ApiSettings(OriginVerifySettings):
    """What a function behind the HTTP API needs: its settings model derives from this one."""

    # The API's route keys (`GET /api/v1/services;...`), filled by the API stack from its own route table, for
    # 404 and 405 answers; empty: every unserved path is 404.
    api_routes: str = ""

    @field_validator("api_routes")
    @classmethod
    def _route_keys(cls, routes: str) -> str:
        wrong = [route for route in filter(None, routes.split(";")) if not _ROUTE_KEY.match(route)]
        if wrong:
            raise ValueError(f"not route keys (METHOD /path): {wrong}")
        return routes


def api_settings() -> ApiSettings:
    """For a function that passes no settings of its own to `make_resolver` and `http_handler`."""
    return current(ApiSettings)


SettingsSource = Callable[[], ApiSettings]  # the calling function's settings loader (cached after its cold start)


def problem_response(error: BoroughError, instance: str | None = None) -> Response[str]:
    return Response(
        status_code=error.status,
        content_type=PROBLEM_CONTENT_TYPE,
        body=problem_body(error.status, error.title, error.detail, instance=instance, errors=error.errors),
        headers=error.headers,
    )


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body), headers=headers)


def make_resolver(settings: SettingsSource = api_settings) -> APIGatewayHttpResolver:
    """A resolver whose errors, unknown routes and unknown methods (from the settings' routes) all answer in
    problem+json."""
    app = APIGatewayHttpResolver()

    @app.exception_handler(BoroughError)
    def _domain_error(error: BoroughError) -> Response[str]:
        if error.status >= 500:
            logger.error("Request failed", extra={"detail": error.detail})
        return problem_response(error, instance=app.current_event.path)

    @app.exception_handler(ValidationError)
    def _invalid(error: ValidationError) -> Response[str]:
        failed = ValidationFailed("Check the fields listed in errors.", errors=pydantic_errors(error))
        return problem_response(failed, instance=app.current_event.path)

    @app.not_found
    def _not_found(_: NotFoundError) -> Response[str]:
        event = app.current_event
        error = unmatched_route_error(event.http_method, event.path, settings().api_routes)
        return problem_response(error, instance=event.path)

    return app


def read_json_object(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The request body as a JSON object: 400 saying why when it is not one (shared/request_body.py). The body's
    size, encoding and media type were checked by `http_handler` before the route ran."""
    return parse_json_object(app.current_event.decoded_body or "")


@lru_cache(maxsize=8)
def _route_patterns(routes: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    patterns = []
    for route in filter(None, routes.split(";")):
        method, path = route.split(" ", 1)
        regex = re.sub(r"\\\{[^/]+?\\\+\\\}", ".+", re.escape(path))  # {proxy+}: one or more segments
        regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", regex)  # {name}: one segment
        patterns.append((method, re.compile(f"^{regex}$")))
    return tuple(patterns)


def unmatched_route_error(method: str, path: str, routes: str) -> BoroughError:
    """404 for a path no route serves; 405 (with Allow) for a known path asked with another method.

    `routes` is the function's `ApiSettings.api_routes`, which the API stack fills from its own route table.
    """
    allowed = sorted({m for m, pattern in _route_patterns(routes) if pattern.match(path)})
    if allowed:
        return MethodNotAllowed(
            f"{method} is not supported on {path}. Use {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)},
        )
    return NotFound(f"There is nothing at {path}.")


def _problem_result(error: BoroughError, event: dict[str, Any]) -> dict[str, Any]:
    """A Lambda result in problem+json, for answers given before the resolver runs."""
    path = str(event.get("rawPath") or "")
    body = problem_body(error.status, error.title, error.detail, instance=path or None)
    return {
        "statusCode": error.status,
        "headers": {"content-type": PROBLEM_CONTENT_TYPE, **error.headers},
        "body": body,
    }


def not_through_cloudfront(event: dict[str, Any]) -> dict[str, Any]:
    """403 in problem+json for a request that did not come through CloudFront (see shared/origin_verify.py)."""
    logger.warning(
        "Refused: no valid origin-verify header (not through CloudFront)", extra={"path": event.get("rawPath")}
    )
    return _problem_result(
        Forbidden("Use the council's website address: this address does not serve requests directly."), event
    )


def http_handler(
    app: APIGatewayHttpResolver, settings: SettingsSource = api_settings
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The Lambda entry point of an HTTP API function: observed, with the caller's correlation id, resolved by `app`.

    First of all, a request that did not come through CloudFront (no valid origin-verify header) is refused with
    403: the API's own execute-api address would otherwise skip the WAF (shared/origin_verify.py)."""

    @observed
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # The function's settings, read on its first invocation (cached after): a missing or malformed variable
        # fails the cold start with its name, before anything is written.
        secret_id = settings().origin_verify_secret_id
        if not origin_verify.is_from_origin(event, secret_id):
            return not_through_cloudfront(event)
        logger.set_correlation_id(correlation_id_from_http(event))
        refused, event = refused_body(event)
        if refused is not None:
            return _problem_result(refused, event)
        return app.resolve(event, context)

    return handler
