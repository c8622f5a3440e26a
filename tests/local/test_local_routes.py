"""Route selection and the payload 2.0 mapping, as API Gateway HTTP APIs do them (no cloud needed)."""

from __future__ import annotations

import base64
import json

import pytest

from local.gateway import Gateway, Route, to_http_response
from local.moto_session import MotoSession

pytestmark = pytest.mark.local


def _route(route_key: str) -> Route:
    method, _, path = route_key.partition(" ")
    return Route(
        api_id="api",
        route_key=route_key,
        method="" if route_key == "$default" else method,
        segments=tuple(path.strip("/").split("/")) if path.strip("/") else (),
        function_arn=f"arn:aws:lambda:eu-west-2:123456789012:function:{route_key}",
        payload_version="2.0",
    )


def _gateway(*route_keys: str) -> Gateway:
    gateway = Gateway(MotoSession())
    for key in route_keys:
        (gateway.default_routes if key == "$default" else gateway.routes).append(_route(key))
    gateway.routes.sort(key=Route.rank)
    return gateway


ROUTES = (
    "GET /api/v1/services",
    "GET /api/v1/services/{service_id}",
    "POST /api/v1/services/{service_id}/requests",
    "GET /api/v1/requests/{reference}",
    "PATCH /api/v1/requests/{reference}",
    "ANY /api/v1/{proxy+}",
)


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/api/v1/services", "GET /api/v1/services", {}),
        ("GET", "/api/v1/services/fly-tipping", "GET /api/v1/services/{service_id}", {"service_id": "fly-tipping"}),
        ("POST", "/api/v1/services/fly-tipping/requests", "POST /api/v1/services/{service_id}/requests",
         {"service_id": "fly-tipping"}),
        ("PATCH", "/api/v1/requests/BRG-1", "PATCH /api/v1/requests/{reference}", {"reference": "BRG-1"}),
        # A method with no route of its own on a path falls through to the greedy route.
        ("DELETE", "/api/v1/requests/BRG-1", "ANY /api/v1/{proxy+}", {"proxy": "requests/BRG-1"}),
        ("POST", "/api/v1/services", "ANY /api/v1/{proxy+}", {"proxy": "services"}),
        ("GET", "/api/v1/no/such/thing", "ANY /api/v1/{proxy+}", {"proxy": "no/such/thing"}),
        ("GET", "/api/v1/services/a%20b", "GET /api/v1/services/{service_id}", {"service_id": "a b"}),
    ],
)  # fmt: skip
def test_the_most_specific_route_wins(method, path, route_key, parameters):
    route, found = _gateway(*ROUTES).select(method, path)
    assert (route.route_key, found) == (route_key, parameters)


def test_literal_segments_beat_variables_and_methods_beat_any():
    gateway = _gateway("GET /pets/{id}", "GET /pets/dog", "ANY /pets/dog", "ANY /{proxy+}", "GET /pets/{proxy+}")
    assert gateway.select("GET", "/pets/dog")[0].route_key == "GET /pets/dog"
    assert gateway.select("PUT", "/pets/dog")[0].route_key == "ANY /pets/dog"
    assert gateway.select("GET", "/pets/cat")[0].route_key == "GET /pets/{id}"
    assert gateway.select("GET", "/pets/cat/1")[0].route_key == "GET /pets/{proxy+}"
    assert gateway.select("GET", "/toys")[0].route_key == "ANY /{proxy+}"


def test_default_route_catches_what_nothing_else_matches_and_without_it_nothing_matches():
    assert _gateway("GET /a", "$default").select("GET", "/b")[0].route_key == "$default"
    assert _gateway("GET /a").select("GET", "/b") is None
    assert _gateway("ANY /a/{proxy+}").select("GET", "/a") is None  # a greedy variable needs one segment


def test_structured_response_becomes_http():
    payload = {
        "statusCode": 201,
        "headers": {"Content-Type": "application/problem+json", "X-One": "1"},
        "multiValueHeaders": {"X-Two": ["a", "b"]},
        "cookies": ["session=abc; HttpOnly"],
        "body": '{"ok": true}',
    }
    status, headers, body = to_http_response(json.dumps(payload).encode(), None)
    assert status == 201
    assert ("content-type", "application/problem+json") in headers
    assert [v for n, v in headers if n == "x-two"] == ["a", "b"]
    assert ("set-cookie", "session=abc; HttpOnly") in headers
    assert body == b'{"ok": true}'


def test_bare_json_result_is_a_200_json_body_and_base64_bodies_are_decoded():
    status, headers, body = to_http_response(b'{"hello": "world"}', None)
    assert (status, body) == (200, b'{"hello": "world"}')
    assert ("content-type", "application/json") in headers
    encoded = {"statusCode": 200, "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True}
    assert to_http_response(json.dumps(encoded).encode(), None)[2] == b"\x00\x01"


def test_malformed_response_is_a_500():
    status, _, body = to_http_response(b'{"statusCode": "teapot"}', None)
    assert (status, json.loads(body)) == (500, {"message": "Internal Server Error"})
