"""The catalogue API through its real handler: listing, submitting, bad input, idempotency."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest

from catalogue import handler as catalogue_handler
from catalogue import logic as catalogue_logic
from shared import forms
from shared import settings as function_settings
from shared.catalogue import load_catalogue
from shared.errors import BadRequest
from shared.references import is_valid_reference
from tests.helpers import FakeContext, http_event
from tests.unit.catalogue.service_examples import ON, valid_body

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
    assert fly["topic"] == "Streets and environment"
    assert fly["topic_id"] == "streets-and-environment"
    assert fly["charges"] is False
    topics = {t["id"]: t for t in body["topics"]}
    assert topics["bins-recycling-and-waste"]["title"] == "Bins, recycling and waste"
    assert {"missed-bin", "bulky-waste", "garden-waste"} <= set(topics["bins-recycling-and-waste"]["services"])
    assert sorted(sid for t in body["topics"] for sid in t["services"]) == sorted(ids)


def test_returns_a_definition_and_404_for_an_unknown_service(cloud):
    status, _, body = call("GET", "/api/v1/services/graffiti", path_parameters={"service_id": "graffiti"})
    assert status == 200
    questions = [q["id"] for page in body["pages"] for q in page["questions"]]
    assert questions[:2] == ["description", "location"]
    assert questions[-1] == "contact"
    assert (
        body["pages"][0]["questions"][0]["validation"]["required"]["message"] == "Enter a description of the graffiti"
    )
    assert body["sla_working_days"] == 10
    assert body["fee"] == {"type": "none"}
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
    assert stored["contact"] == {"email": "resident@example.org", "preference": "email"}
    assert stored["status"] == "received"
    assert body["amount_due_pence"] == 0
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


def test_a_failed_publish_neither_loses_nor_doubles_the_request(cloud, monkeypatch):
    # The event follows the write from the table's stream (shared/outbox.py): SNS being down no longer fails the
    # submission (it used to answer 503 and delete the request), and the event goes once SNS is back.
    topic = os.environ["EVENTS_TOPIC_ARN"]
    monkeypatch.setenv("EVENTS_TOPIC_ARN", "arn:aws:sns:eu-west-2:123456789012:missing")
    function_settings.reset()  # the outbox reads the (now missing) topic again
    status, _, body = submit(GOOD)
    assert status == 201
    [stored] = cloud.items("REQUESTS_TABLE")
    assert stored["reference"] == body["reference"]
    assert len(cloud.relay()["batchItemFailures"]) == 1  # retried by the event source mapping
    assert cloud.published() == []
    monkeypatch.setenv("EVENTS_TOPIC_ARN", topic)
    function_settings.reset()
    [event] = cloud.published()
    assert (event["type"], event["data"]["reference"]) == ("report-submitted", body["reference"])
    assert cloud.published() == []
    assert len(cloud.items("REQUESTS_TABLE")) == 1


# --- every service, through the handler --------------------------------------------------------------------------

SERVICES = sorted(load_catalogue())


@pytest.fixture
def today_is_fixed(monkeypatch):
    """Date rules ("in the past", "in the future") judged against the examples' fixed today."""
    monkeypatch.setattr(forms, "today", lambda now=None: ON)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_accepts_a_valid_submission(cloud, today_is_fixed, service):
    definition = load_catalogue()[service]
    status, _, body = submit(valid_body(definition), service=service)
    assert status == 201, body
    [stored] = cloud.items("REQUESTS_TABLE")
    expected_status = "awaiting-payment" if definition.charges else "received"
    assert body["status"] == stored["status"] == expected_status
    assert stored["history"][0]["status"] == expected_status
    assert body["amount_due_pence"] == stored["amount_due_pence"]
    assert (body["amount_due_pence"] > 0) is definition.charges
    assert "contact" not in stored["answers"]
    [event] = cloud.published()
    assert event["data"] == {"reference": body["reference"], "service_id": service, "channel": "online"}
    assert "resident@example.org" not in json.dumps(event)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_refuses_an_empty_body_naming_every_required_field(cloud, today_is_fixed, service):
    definition = load_catalogue()[service]
    status, _, problem = submit({}, service=service)
    assert status == 422
    required = [
        q.id
        for page in forms.visible_pages(definition, {})
        for q in forms.visible_questions(definition, page, {})
        if q.required
    ]
    assert [e["field"] for e in problem["errors"]] == required
    assert cloud.items("REQUESTS_TABLE") == []
    assert cloud.published() == []


EXE = {"upload_id": "upload-0001", "filename": "a.exe", "content_type": "application/x-msdownload", "size_bytes": 10}
BAD_ANSWERS = [
    ("bulky-waste", {"item_count": 11}, "item_count", "You can book up to 10 items in one collection"),
    ("missed-bin", {"bin_type": "purple"}, "bin_type", "Select which bin was missed"),
    (
        "missed-bin",
        {"collection_date": "2026-03-28"},
        "collection_date",
        "The collection date must be today or in the past",
    ),
    ("garden-waste", {"bins": "4"}, "bins", "Select how many bins you want"),
    (
        "foi-request",
        {"format": "post", "postal_address": None},
        "postal_address",
        "Enter the address to post the information",
    ),
    ("complaint", {"contact": {"email": "nope"}}, "contact.email", "Enter an email address in the correct format"),
    ("complaint", {"evidence": EXE}, "evidence", "The selected file must be a PDF, DOCX, DOC, JPG or PNG"),
]


@pytest.mark.parametrize(("service", "answers", "field", "message"), BAD_ANSWERS)
def test_a_bad_answer_is_a_422_naming_the_field(cloud, today_is_fixed, service, answers, field, message):
    definition = load_catalogue()[service]
    status, headers, problem = submit({**valid_body(definition), **answers}, service=service)
    assert status == 422
    assert headers["Content-Type"] == "application/problem+json"
    [error] = problem["errors"]
    assert error["field"] == field
    assert error["message"].startswith(message)
    assert cloud.items("REQUESTS_TABLE") == []


@pytest.mark.parametrize(("service", "answers", "pence"), [
    ("bulky-waste", {"item_count": "3"}, 2500),
    ("bulky-waste", {"item_count": 5}, 4100),
    ("bulky-waste", {"item_count": 10}, 8100),
    ("garden-waste", {"bins": "1"}, 5200),
    ("garden-waste", {"bins": "2"}, 9200),
])  # fmt: skip
def test_a_fee_service_is_awaiting_payment_with_the_amount_computed_by_the_server(
    cloud, today_is_fixed, service, answers, pence
):
    definition = load_catalogue()[service]
    body = {**valid_body(definition), **answers, "amount_due_pence": 1}
    status, _, problem = submit(body, service=service)
    assert status == 422  # a client cannot set the amount
    assert problem["errors"] == [{"field": "amount_due_pence", "message": "This service does not ask this question."}]
    del body["amount_due_pence"]
    status, _, created = submit(body, service=service)
    assert status == 201
    assert created["status"] == "awaiting-payment"
    assert created["amount_due_pence"] == pence
    [stored] = cloud.items("REQUESTS_TABLE")
    assert stored["amount_due_pence"] == pence


def test_hidden_answers_are_not_stored(cloud, today_is_fixed):
    definition = load_catalogue()["complaint"]
    body = {**valid_body(definition), "on_behalf": "no", "their_name": "Someone Else"}
    status, _, _ = submit(body, service="complaint")
    assert status == 201
    [stored] = cloud.items("REQUESTS_TABLE")
    assert "their_name" not in stored["answers"]
    assert "Someone Else" not in json.dumps(stored, default=str)


def test_a_point_on_the_map_is_stored(cloud):
    status, _, _ = submit({"description": "Sofa", "location": {"latitude": 51.272, "longitude": 0.523}})
    assert status == 201
    [stored] = cloud.items("REQUESTS_TABLE")
    assert float(stored["answers"]["location"]["latitude"]) == 51.272


def test_the_channel_is_checked(cloud):
    with pytest.raises(BadRequest, match="fax"):
        catalogue_logic.submit_request("fly-tipping", GOOD, correlation_id="c", channel="fax")
    created = catalogue_logic.submit_request("fly-tipping", GOOD, correlation_id="c", channel="phone")
    [event] = cloud.published()
    assert event["data"]["channel"] == "phone"
    assert created["status"] == "received"


def _file_answer(upload_id: str, size_bytes: int = 1024) -> dict[str, Any]:
    return {
        "upload_id": upload_id,
        "filename": "letter.pdf",
        "content_type": "application/pdf",
        "size_bytes": size_bytes,
    }


def test_a_file_answer_is_taken_only_if_it_names_a_scanned_clean_upload_of_this_service(cloud, today_is_fixed):
    """The uploads bucket holds what the web released once GuardDuty found it clean (catalogue/uploads.py)."""
    from shared.uploads import clean_key

    s3 = boto3.client("s3")
    s3.put_object(
        Bucket="uploads", Key=clean_key("complaint", "clean-upload-1"), Body=b"x" * 1024, ContentType="application/pdf"
    )
    s3.put_object(
        Bucket="uploads",
        Key=clean_key("graffiti", "graffiti-upload-1"),
        Body=b"x" * 1024,
        ContentType="application/pdf",
    )
    definition = load_catalogue()["complaint"]
    refused = {
        "made up": _file_answer("never-uploaded-1"),
        "another service's": _file_answer("graffiti-upload-1"),
        "not the size stored": _file_answer("clean-upload-1", size_bytes=2048),
        "not the type stored": {
            **_file_answer("clean-upload-1"),
            "filename": "a.doc",
            "content_type": "application/msword",
        },
    }
    for case, answer in refused.items():
        status, _, problem = submit({**valid_body(definition), "evidence": answer}, service="complaint")
        assert status == 422, case
        assert problem["errors"] == [{"field": "evidence", "message": "Upload the file again"}], case
    assert cloud.items("REQUESTS_TABLE") == []
    status, _, body = submit(
        {**valid_body(definition), "evidence": _file_answer("clean-upload-1")}, service="complaint"
    )
    assert status == 201, body
    [stored] = cloud.items("REQUESTS_TABLE")
    assert stored["answers"]["evidence"]["upload_id"] == "clean-upload-1"


def test_without_an_uploads_bucket_no_file_answer_is_taken(cloud, today_is_fixed, monkeypatch):
    from shared import settings as shared_settings

    monkeypatch.delenv("UPLOADS_BUCKET_PARAMETER")
    shared_settings.reset()
    definition = load_catalogue()["complaint"]
    status, _, problem = submit(valid_body(definition), service="complaint")
    assert status == 422
    assert [e["field"] for e in problem["errors"]] == ["evidence"]
