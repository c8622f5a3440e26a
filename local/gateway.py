"""API Gateway v2 (HTTP API) in-process: routes from the template, payload format 2.0 events, JWT authorizers.

Route selection follows HTTP APIs: a route whose path matches in full beats a greedy `{proxy+}` route, which
beats `$default`; among full matches literal segments beat variables (leftmost first); among greedy routes the
longest prefix wins; a route's own method beats `ANY`.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from local.authorizer import Forbidden, JwtAuthorizer, Unauthorized
from local.model import Inventory
from local.moto_session import MotoSession
from shared.http_events import http_api_event

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit

Headers = list[tuple[str, str]]
Response = tuple[int, Headers, bytes]


@dataclass(frozen=True)
class Route:
    api_id: str
    route_key: str
    method: str  # an HTTP method, ANY, or "" for $default
    segments: tuple[str, ...]
    function_arn: str
    payload_version: str
    authorizer: JwtAuthorizer | None = None
    scopes: tuple[str, ...] = ()

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].endswith("+}")

    def match(self, method: str, segments: list[str]) -> dict[str, str] | None:
        """Path parameters if this route matches, else None."""
        if self.method not in ("ANY", method):
            return None
        parameters: dict[str, str] = {}
        fixed = self.segments[:-1] if self.greedy else self.segments
        if len(segments) < len(fixed) + (1 if self.greedy else 0) or (not self.greedy and len(segments) != len(fixed)):
            return None
        for pattern, segment in zip(fixed, segments, strict=False):
            if _is_variable(pattern):
                if not segment:
                    return None
                parameters[pattern[1:-1]] = unquote(segment)
            elif pattern != segment:
                return None
        if self.greedy:
            parameters[self.segments[-1][1:-2]] = unquote("/".join(segments[len(fixed) :]))
        return parameters

    def rank(self) -> tuple[Any, ...]:
        """Sort key: lower is more specific."""
        literal_pattern = tuple(0 if not _is_variable(s) else 1 for s in self.segments)
        if self.greedy:
            return (1, -len(self.segments), literal_pattern, self.method == "ANY")
        return (0, literal_pattern, self.method == "ANY")


def _is_variable(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


@dataclass
class Gateway:
    session: MotoSession
    routes: list[Route] = field(default_factory=list)
    default_routes: list[Route] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)

    @classmethod
    def from_inventory(cls, session: MotoSession, inventory: Inventory) -> Gateway:
        gateway = cls(session)
        integrations = {r.physical_id: r.properties for r in inventory.of_type("AWS::ApiGatewayV2::Integration")}
        authorizers = {r.physical_id: r.properties for r in inventory.of_type("AWS::ApiGatewayV2::Authorizer")}
        for resource in inventory.of_type("AWS::ApiGatewayV2::Route"):
            props = resource.properties
            integration = integrations.get(str(props.get("Target", "")).removeprefix("integrations/"))
            if integration is None or integration.get("IntegrationType") != "AWS_PROXY":
                gateway.unsupported.append(f"{props['RouteKey']}: only Lambda proxy integrations are served")
                continue
            authorizer = None
            if props.get("AuthorizationType") == "JWT":
                authorizer = JwtAuthorizer.from_properties(authorizers[props["AuthorizerId"]])
            elif props.get("AuthorizationType") not in (None, "NONE"):
                gateway.unsupported.append(f"{props['RouteKey']}: {props['AuthorizationType']} authorization")
                continue
            route_key = str(props["RouteKey"])
            method, _, path = route_key.partition(" ")
            route = Route(
                api_id=str(props["ApiId"]),
                route_key=route_key,
                method="" if route_key == "$default" else method.upper(),
                segments=tuple(path.strip("/").split("/")) if path.strip("/") else (),
                function_arn=str(integration["IntegrationUri"]),
                payload_version=str(integration.get("PayloadFormatVersion", "1.0")),
                authorizer=authorizer,
                scopes=tuple(props.get("AuthorizationScopes", [])),
            )
            if route.payload_version != "2.0":
                gateway.unsupported.append(f"{route_key}: payload format {route.payload_version} (only 2.0 is served)")
                continue
            (gateway.default_routes if route_key == "$default" else gateway.routes).append(route)
        gateway.routes.sort(key=Route.rank)
        return gateway

    def select(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        segments = path.strip("/").split("/") if path.strip("/") else []
        for route in self.routes:
            parameters = route.match(method, segments)
            if parameters is not None:
                return route, parameters
        if self.default_routes:
            return self.default_routes[0], {}
        return None

    def handle(
        self, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes, source_ip: str = "127.0.0.1"
    ) -> Response:
        if len(body) > MAX_BODY_BYTES:
            return _message(413, "Request Entity Too Large")
        url = urlsplit(target)
        header_list = [(name.lower(), value) for name, value in headers]
        selected = self.select(method.upper(), url.path)
        if selected is None:
            return _message(404, "Not Found")
        route, parameters = selected
        event = http_api_event(
            method,
            url.path,
            route_key=route.route_key,
            query=url.query,
            headers=header_list,
            body=body,
            path_parameters=parameters,
            source_ip=source_ip,
            api_id=route.api_id,
        )
        if route.authorizer is not None:
            try:
                event["requestContext"]["authorizer"] = route.authorizer.authorize(
                    event["headers"], event.get("queryStringParameters") or {}, list(route.scopes)
                )
            except Unauthorized:
                return _message(401, "Unauthorized", event)
            except Forbidden:
                return _message(403, "Forbidden", event)
        response = self.session.client("lambda").invoke(FunctionName=route.function_arn, Payload=json.dumps(event))
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            return _message(500, "Internal Server Error", event)
        return to_http_response(payload, event)


def to_http_response(payload: bytes, event: dict[str, Any] | None) -> Response:
    """The function's result as API Gateway turns it into HTTP (payload format 2.0)."""
    try:
        result = json.loads(payload) if payload else None
    except ValueError:
        return _message(500, "Internal Server Error", event)
    if not (isinstance(result, dict) and "statusCode" in result):
        # No statusCode: API Gateway treats the whole result as a JSON body with status 200.
        body = payload if payload else b""
        return 200, _standard_headers(event, [("content-type", "application/json")], body), body
    try:
        status = int(result["statusCode"])
        headers: Headers = [(str(k).lower(), str(v)) for k, v in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name).lower(), str(v)) for v in values)
        headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
        raw = result.get("body")
        text = raw if isinstance(raw, str) else "" if raw is None else json.dumps(raw)
        body = base64.b64decode(text) if result.get("isBase64Encoded") else text.encode()
    except (TypeError, ValueError):
        return _message(500, "Internal Server Error", event)
    if not any(name == "content-type" for name, _ in headers) and body:
        headers.append(("content-type", "application/json"))
    return status, _standard_headers(event, headers, body), body


def _standard_headers(event: dict[str, Any] | None, headers: Headers, body: bytes) -> Headers:
    extra = [("apigw-requestid", event["requestContext"]["requestId"])] if event else []
    return [
        *[(n, v) for n, v in headers if n not in ("content-length", "date")],
        *extra,
        ("date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())),
        ("content-length", str(len(body))),
    ]


def _message(status: int, message: str, event: dict[str, Any] | None = None) -> Response:
    body = json.dumps({"message": message}).encode()
    return status, _standard_headers(event, [("content-type", "application/json")], body), body
