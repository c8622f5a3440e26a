"""The catalogue API through its real handler: listing, submitting, bad input, idempotency."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalogue import handler as catalogue_handler
from shared.references import is_valid_reference
from tests.helpers import FakeContext, http_event

pytestmark = pytest.mark.unit

GOOD = {
    "description": "Mattress dumped by the gate",
    "location": {"postcode": "me15 6jq"},
    "contact": {"email": "resident@example.org"},
}


def call(method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    response = catalogue_handler.handler(http_event(method, path, **kwargs), FakeContext())
    body = response.get("body") or ""
    return response["statusCode"], response.get("headers", {}), json.loads(body) if body else None


def submit(body: Any, service: str = "fly-tipping", **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    path = f"/api/v1/services/{service}/requests"
    return call("POST", path, body=body, path_parameters={"service_id": service}, **kwargs)


def test_lists_the_report_a_problem_services(cloud):
    status, _, body = call("GET", "/api/v1/services")
    assert status == 200
    ids = {s["id"] for s in body["services"]}
    assert {"missed-bin", "fly-tipping", "abandoned-shopping-trolley", "graffiti", "street-cleansing"} <= ids
    fly = next(s for s in body["services"] if s["id"] == "fly-tipping")
    assert fly["title"] == "Report fly-tipping"


def test_returns_a_definition_and_404_for_an_unknown_service(cloud):
    status, _, body = call("GET", "/api/v1/services/graffiti", path_parameters={"service_id": "graffiti"})
    assert status == 200
    assert [q["id"] for q in body["questions"]] == ["description", "location", "contact"]
    status, headers, body = call("GET", "/api/v1/services/parking", path_parameters={"service_id": "parking"})
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"
    assert "parking" in body["detail"]


def test_a_submission_is_stored_and_announced_without_personal_data(cloud):
    status, headers, body = submit(GOOD)
    assert status == 201
    assert is_valid_reference(body["reference"])
    assert body["status"] == "received"
    assert headers["Location"] == f"/api/v1/requests/{body['reference']}"
    [stored] = cloud.items("REQUESTS_TABLE")
    assert stored["reference"] == body["reference"]
    assert stored["answers"]["location"]["postcode"] == "ME15 6JQ"
    assert stored["contact"] == {"email": "resident@example.org"}
    [event] = cloud.published()
    assert event["type"] == "report-submitted"
    assert event["data"] == {"reference": body["reference"], "service_id": "fly-tipping", "channel": "online"}
    assert "resident@example.org" not in json.dumps(event)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{not json", 400, None),
        ("[1, 2]", 400, None),
        ("", 400, None),
        ({"description": 42, "location": {"postcode": "ME15 6JQ"}}, 422, "description"),
        ({"description": "Sofa", "location": {"postcode": "90210"}}, 422, "location.postcode"),
        ({"description": "Sofa", "location": {"latitude": 48.85, "longitude": 2.35}}, 422, "location"),
        ({"description": "Sofa"}, 422, "location"),
        ({"description": "Sofa", "location": {"postcode": "ME15 6JQ"}, "colour": "red"}, 422, "colour"),
        ({"description": "x" * 2001, "location": {"postcode": "ME15 6JQ"}}, 422, "description"),
        ({"description": "Sofa", "location": {"postcode": "ME15 6JQ"}, "contact": {"email": "nope"}}, 422, "contact"),
    ],
)
def test_bad_input_gets_a_problem_and_writes_nothing(cloud, body, status, field):
    got, headers, problem = submit(body)
    assert got == status
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["status"] == status
    if field:
        assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    assert cloud.items("REQUESTS_TABLE") == []
    assert cloud.published() == []


def test_a_body_over_64_kib_is_refused_with_413(cloud):
    status, _, problem = submit({"description": "x" * (65 * 1024), "location": {"postcode": "ME15 6JQ"}})
    assert status == 413
    assert "limit" in problem["detail"]
    assert cloud.items("REQUESTS_TABLE") == []


def test_unknown_service_submission_is_404(cloud):
    status, _, _ = submit(GOOD, service="parking-permit")
    assert status == 404
    assert cloud.items("REQUESTS_TABLE") == []


def test_unknown_route_is_404_and_wrong_method_is_405(cloud):
    status, _, problem = call("GET", "/api/v1/nowhere")
    assert status == 404
    assert problem["title"] == "Not found"
    status, headers, _ = call("DELETE", "/api/v1/services")
    assert status == 405
    assert headers["Allow"] == "GET"


def test_the_same_idempotency_key_creates_one_request(cloud):
    catalogue_handler._idempotent_submit.cache_clear()
    key = {"Idempotency-Key": "resident-retry-0001"}
    first = submit(GOOD, headers=key)
    second = submit(GOOD, headers=key)
    assert first[0] == second[0] == 201
    assert first[2]["reference"] == second[2]["reference"]
    assert len(cloud.items("REQUESTS_TABLE")) == 1
    assert len(cloud.published()) == 1
    changed = submit({**GOOD, "description": "Something else"}, headers=key)
    assert changed[0] == 422
    assert len(cloud.items("REQUESTS_TABLE")) == 1


def test_a_failed_publish_leaves_nothing_behind(cloud, monkeypatch):
    monkeypatch.setenv("EVENTS_TOPIC_ARN", "arn:aws:sns:eu-west-2:123456789012:missing")
    status, _, problem = submit(GOOD)
    assert status == 503
    assert "try again" in problem["detail"]
    assert cloud.items("REQUESTS_TABLE") == []
