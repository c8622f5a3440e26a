"""Hostile bodies through the catalogue's real handler, one named case each (the property over every route is
tests/infra/test_infra_hostile_bodies.py): each gets its 4xx in problem+json and nothing is written."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from catalogue import handler as catalogue_handler
from shared.request_body import MAX_BODY_BYTES, MAX_DEPTH
from tests.helpers import FakeContext, http_event

pytestmark = pytest.mark.unit

PATH = "/api/v1/services/fly-tipping/requests"
GOOD = json.dumps(
    {
        "description": "Mattress dumped by the gate",
        "location": {"postcode": "ME15 6JQ"},
        "contact": {"email": "resident@example.org"},
    }
)


def post(body: str, *, content_type: str | None = "application/json", base64_encoded: bool = False) -> tuple[int, Any]:
    event = http_event("POST", PATH, body=body, path_parameters={"service_id": "fly-tipping"})
    event["isBase64Encoded"] = base64_encoded
    if content_type is None:
        del event["headers"]["content-type"]
    else:
        event["headers"]["content-type"] = content_type
    response = catalogue_handler.handler(event, FakeContext())
    headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
    if response["statusCode"] >= 400:
        assert headers["content-type"] == "application/problem+json"
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("[" * 30_000 + "]" * 30_000, "nested"),  # Python's parser would raise RecursionError
        ('{"description": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}", "nested"),
        ('{"description": ' + "9" * 5000 + "}", "digits"),  # beyond Python's int conversion limit: ValueError
        ('{"description": ' + "9" * 39 + "}", "digits"),  # more than DynamoDB keeps
        ('{"description": NaN}', "NaN"),
        ('{"description": -Infinity}', "Infinity"),
        ('{"description": 1e400}', "too large"),
        ('{"description": "\\ud800 lone surrogate"}', "surrogate"),
        ('{"\\udfff": 1}', "surrogate"),
        ('{"description": "first", "description": "second"}', "twice"),
        ("[1, 2]", "JSON object"),
        ('"a string"', "JSON object"),
        ("{'description': 'python'}", "not valid JSON"),
    ],
)
def test_hostile_json_is_refused_with_400_saying_why(cloud, body, says):
    status, problem = post(body)
    assert status == 400
    assert says in problem["detail"]
    assert cloud.items("REQUESTS_TABLE") == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"]
)
def test_a_body_that_is_not_json_by_its_media_type_is_415(cloud, content_type):
    status, problem = post(GOOD, content_type=content_type)
    assert status == 415
    assert problem["title"] == "The request body is not JSON"
    assert cloud.items("REQUESTS_TABLE") == []


@pytest.mark.parametrize(
    ("body", "base64_encoded"),
    [("not base64 at all!", True), (base64.b64encode(b"\xff\xfe{}").decode(), True), ("\ud800{}", False)],
)
def test_a_body_that_is_not_utf8_text_is_400(cloud, body, base64_encoded):
    status, problem = post(body, base64_encoded=base64_encoded)
    assert status == 400
    assert problem["status"] == 400


def test_the_size_limit_counts_the_decoded_bytes(cloud):
    status, _ = post(base64.b64encode(b" " * (MAX_BODY_BYTES + 1)).decode(), base64_encoded=True)
    assert status == 413


@pytest.mark.parametrize(
    ("content_type", "base64_encoded"),
    [(None, False), ("application/json; charset=UTF-8", False), ("application/merge-patch+json", False), (None, True)],
)
def test_good_json_is_taken_with_or_without_a_content_type_and_in_base64(cloud, content_type, base64_encoded):
    body = base64.b64encode(GOOD.encode()).decode() if base64_encoded else GOOD
    status, created = post(body, content_type=content_type, base64_encoded=base64_encoded)
    assert status == 201, created
    assert len(cloud.items("REQUESTS_TABLE")) == 1
