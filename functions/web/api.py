"""The web submits and looks up requests through the same API as every other channel.

In AWS (and the local cloud) the web function invokes the catalogue and cases functions directly with the
API Gateway payload 2.0 event that `POST /api/v1/services/{id}/requests` and `GET /api/v1/requests/{ref}` would
produce, so the API's validation, idempotency and events apply unchanged. Those functions refuse a request without
CloudFront's origin-verify header (shared/origin_verify.py), so the web adds it to these events too: the web
function reads the same secret (the request it serves has been checked already). Bin collection reminders go the same
way to the notifications service's subscriptions function (`POST /api/v1/reminders/{subscriptions,confirm,
unsubscribe}`). Unit tests use a fake with this shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import quote

from shared import http_events, origin_verify

ReminderAction = Literal["subscriptions", "confirm", "unsubscribe"]


@dataclass(frozen=True)
class Client:
    """Where a page's request came from: its X-Forwarded-For header and its connecting address, as received."""

    forwarded_for: str
    source_ip: str


@dataclass(frozen=True)
class ApiResult:
    status: int
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Api(Protocol):
    def submit(
        self, service_id: str, answers: dict[str, Any], *, idempotency_key: str, correlation_id: str
    ) -> ApiResult: ...

    def track(self, reference: str, *, correlation_id: str) -> ApiResult: ...

    def reminders(
        self, action: ReminderAction, body: dict[str, Any], *, correlation_id: str, client: Client | None = None
    ) -> ApiResult: ...


def api_event(
    method: str,
    route_key: str,
    path: str,
    *,
    path_parameters: dict[str, str],
    headers: dict[str, str],
    body: str | None = None,
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event for one route, with the origin-verify header (if on)."""
    verify = origin_verify.current_value()
    if verify is not None:
        headers = {**headers, origin_verify.HEADER: verify}
    return http_events.http_api_event(
        method,
        path,
        route_key=route_key,
        headers=headers,
        body=body,
        path_parameters=path_parameters,
        source_ip=source_ip,
    )


class LambdaApi:
    """Invokes the API's functions (catalogue, cases and subscriptions, by name) synchronously."""

    def __init__(self, catalogue_function: str, cases_function: str, subscriptions_function: str = "") -> None:
        self._catalogue = catalogue_function
        self._cases = cases_function
        self._subscriptions = subscriptions_function

    def submit(
        self, service_id: str, answers: dict[str, Any], *, idempotency_key: str, correlation_id: str
    ) -> ApiResult:
        path = f"/api/v1/services/{quote(service_id, safe='')}/requests"
        event = api_event(
            "POST",
            "POST /api/v1/services/{service_id}/requests",
            path,
            path_parameters={"service_id": service_id},
            headers={
                "content-type": "application/json",
                "idempotency-key": idempotency_key,
                "x-correlation-id": correlation_id,
                "x-borough-channel": "web",
            },
            body=json.dumps(answers),
        )
        return self._invoke(self._catalogue, event)

    def track(self, reference: str, *, correlation_id: str) -> ApiResult:
        event = api_event(
            "GET",
            "GET /api/v1/requests/{reference}",
            f"/api/v1/requests/{quote(reference, safe='')}",
            path_parameters={"reference": reference},
            headers={"x-correlation-id": correlation_id},
        )
        return self._invoke(self._cases, event)

    def reminders(
        self, action: ReminderAction, body: dict[str, Any], *, correlation_id: str, client: Client | None = None
    ) -> ApiResult:
        """`POST /api/v1/reminders/{action}` with a JSON body (the link's token goes in the body, not the URL).

        `client` passes on where the page's request came from, so the subscriptions function limits requests per
        client address for the web's sign-ups as it does for the API's."""
        if not self._subscriptions:
            return ApiResult(status=502, body={"detail": "SUBSCRIPTIONS_FUNCTION is not set"})
        path = f"/api/v1/reminders/{action}"
        event = api_event(
            "POST",
            f"POST {path}",
            path,
            path_parameters={},
            headers={
                "content-type": "application/json",
                "x-correlation-id": correlation_id,
                "x-borough-channel": "web",
                **({"x-forwarded-for": client.forwarded_for} if client and client.forwarded_for else {}),
            },
            body=json.dumps(body),
            source_ip=client.source_ip if client and client.source_ip else "127.0.0.1",
        )
        return self._invoke(self._subscriptions, event)

    @staticmethod
    def _invoke(function: str, event: dict[str, Any]) -> ApiResult:
        from shared import aws

        response = aws.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError") or "statusCode" not in payload:
            return ApiResult(status=502, body={"detail": str(payload.get("errorMessage", "No response"))})
        raw = payload.get("body") or "{}"
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"detail": raw}
        return ApiResult(status=int(payload["statusCode"]), body=body if isinstance(body, dict) else {})
