"""The one payload-2.0 event builder (the local gateway, the web's direct API calls and the tests use it)."""

from __future__ import annotations

import base64

from shared.http_events import http_api_event, is_text


def test_event_has_the_payload_2_0_shape():
    headers = [
        ("host", "127.0.0.1:8080"),
        ("x-multi", "one"),
        ("x-multi", "two"),
        ("cookie", "a=1; b=2"),
        ("content-type", "application/json"),
    ]
    event = http_api_event(
        "GET", "/api/v1/services/x", route_key="GET /api/v1/services/{service_id}", query="q=1&q=2&empty=",
        headers=headers, body=b'{"k": "v"}', path_parameters={"service_id": "x"}, source_ip="10.0.0.1",
    )  # fmt: skip
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /api/v1/services/{service_id}"
    assert event["rawPath"] == "/api/v1/services/x"
    assert event["rawQueryString"] == "q=1&q=2&empty="
    assert event["queryStringParameters"] == {"q": "1,2", "empty": ""}
    assert event["headers"]["x-multi"] == "one,two"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["pathParameters"] == {"service_id": "x"}
    assert event["body"] == '{"k": "v"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "GET", "path": "/api/v1/services/x", "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1", "userAgent": ""
    }  # fmt: skip
    assert context["stage"] == "$default"
    assert context["routeKey"] == event["routeKey"]
    assert context["requestId"]
    assert isinstance(context["timeEpoch"], int)


def test_binary_bodies_are_base64_encoded():
    body = bytes(range(256))
    event = http_api_event("POST", "/upload", headers=[("content-type", "image/png")], body=body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


def test_text_bodies_stay_text_and_undecodable_ones_are_base64():
    problem = http_api_event("POST", "/f", headers={"Content-Type": "application/problem+json"}, body=b"{}")
    assert (problem["body"], problem["isBase64Encoded"]) == ("{}", False)
    assert is_text("text/html; charset=utf-8")
    assert not is_text("multipart/form-data; boundary=x")
    event = http_api_event("POST", "/f", headers={"content-type": "text/plain"}, body=b"\xff\xfe")
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe"


def test_a_text_body_goes_in_as_it_is_and_the_route_key_defaults_to_method_and_path():
    event = http_api_event("post", "/api/v1/x", body="a=1", authorizer={"jwt": {"claims": {"sub": "1"}}})
    assert (event["body"], event["isBase64Encoded"]) == ("a=1", False)
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /api/v1/x"
    assert event["requestContext"]["authorizer"] == {"jwt": {"claims": {"sub": "1"}}}
    assert "pathParameters" not in event
    assert "cookies" not in event
