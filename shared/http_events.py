"""API Gateway HTTP API events, payload format 2.0: the one builder for the local gateway (`local/gateway.py`), the
web's direct calls to the API's functions (`functions/web/api.py`) and the tests.

    http_api_event("GET", "/api/v1/requests/BR-1", route_key="GET /api/v1/requests/{reference}",
                   path_parameters={"reference": "BR-1"}, headers=[("host", "example.org")])

What API Gateway does, and so this does: header names in lower case, repeated headers (and query parameters)
joined with commas, `cookie` headers moved to `cookies`, a body that is not text (by content type, or not UTF-8)
base64-encoded with `isBase64Encoded`. Part of the layer: it imports nothing outside the standard library.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

ACCOUNT_ID = "123456789012"  # what the local cloud and the tests use; a deployed API fills in its own
TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)


def http_api_event(
    method: str,
    path: str,
    *,
    route_key: str | None = None,
    query: str = "",
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    body: bytes | str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    api_id: str = "local",
    authorizer: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The event a Lambda proxy integration (payload 2.0) receives for one request. `body` as text goes in as it
    is; as bytes it is judged by its content type, as API Gateway does. `route_key` defaults to `METHOD path`."""
    method = method.upper()
    route_key = route_key or f"{method} {path}"
    joined: dict[str, str] = {}
    cookies: list[str] = []
    pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
    for raw_name, value in pairs:
        name = raw_name.lower()
        if name == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    query_parameters: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        query_parameters[name] = f"{query_parameters[name]},{value}" if name in query_parameters else value
    moment = now or datetime.now(UTC)
    host = joined.get("host", "127.0.0.1")
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip,
            "userAgent": joined.get("user-agent", ""),
        },
        "requestId": base64.b32encode(uuid.uuid4().bytes).decode()[:16].lower() + "=",
        "routeKey": route_key,
        "stage": "$default",
        "time": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(moment.timestamp() * 1000),
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": joined,
        "requestContext": context,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query_parameters:
        event["queryStringParameters"] = query_parameters
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if isinstance(body, str):
        event["body"] = body
    elif body:
        text = _as_text(body) if is_text(joined.get("content-type", "")) else None
        event["body"] = base64.b64encode(body).decode() if text is None else text
        event["isBase64Encoded"] = text is None
    return event


def is_text(content_type: str) -> bool:
    """Whether API Gateway passes a body of this content type as text (else base64)."""
    bare = content_type.split(";")[0].strip().lower()
    return bare.startswith(TEXT_TYPES) or bare.endswith(("+json", "+xml"))


def _as_text(body: bytes) -> str | None:
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None
