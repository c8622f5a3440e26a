"""Assisted digital in the catalogue: staff and channel are taken only from the console's path
(`submit_request(..., assisted=...)`), never from the public API; the reason is required."""

from __future__ import annotations

import json
from typing import Any

import pytest

from catalogue import handler as catalogue_handler
from catalogue import logic as catalogue_logic
from shared.errors import BadRequest, ValidationFailed
from tests.helpers import FakeContext, http_event

pytestmark = pytest.mark.unit

GOOD = {
    "description": "Mattress dumped by the gate",
    "location": {"postcode": "me15 6jq"},
    "contact": {"email": "resident@example.org"},
}
STAFF = "0f8e6c2a-staff-sub"


def submit_public(body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    event = http_event(
        "POST",
        "/api/v1/services/fly-tipping/requests",
        body=body,
        path_parameters={"service_id": "fly-tipping"},
        headers=headers or {},
    )
    response = catalogue_handler.handler(event, FakeContext())
    return response["statusCode"], json.loads(response.get("body") or "null")


def test_an_assisted_request_is_stored_with_channel_staff_and_reason(cloud):
    created = catalogue_logic.submit_request(
        "fly-tipping",
        GOOD,
        correlation_id="c",
        channel="letter",
        assisted=catalogue_logic.Assisted(staff=STAFF, reason="  Resident   has no internet  "),
    )
    [stored] = cloud.items("REQUESTS_TABLE")
    assert stored["reference"] == created["reference"]
    assert stored["channel"] == "letter"
    assert stored["submitted_by_staff"] == STAFF
    assert stored["assisted_reason"] == "Resident has no internet"
    [event] = cloud.published()
    assert event["data"]["channel"] == "letter"
    assert STAFF not in json.dumps(event)  # events carry identifiers of the request only
    assert "submitted_by_staff" not in created
    assert "assisted_reason" not in created


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reason_is_required_and_bounded(cloud, reason):
    with pytest.raises(ValidationFailed) as refused:
        catalogue_logic.submit_request(
            "fly-tipping", GOOD, correlation_id="c", channel="phone", assisted=catalogue_logic.Assisted(STAFF, reason)
        )
    assert refused.value.errors[0]["field"] == "reason"
    assert cloud.items("REQUESTS_TABLE") == []


@pytest.mark.parametrize(("channel", "staff"), [("online", STAFF), ("fax", STAFF), ("phone", " ")])
def test_staff_submit_by_an_assisted_channel_and_are_named(cloud, channel, staff):
    with pytest.raises(BadRequest):
        catalogue_logic.submit_request(
            "fly-tipping", GOOD, correlation_id="c", channel=channel, assisted=catalogue_logic.Assisted(staff, "why")
        )
    assert cloud.items("REQUESTS_TABLE") == []


@pytest.mark.parametrize("field", ["channel", "submitted_by_staff", "assisted_reason"])
def test_the_public_api_refuses_channel_and_staff_in_the_body(cloud, field):
    status, body = submit_public({**GOOD, field: "phone"})
    assert status == 422
    assert field in [error["field"] for error in body["errors"]]
    assert cloud.items("REQUESTS_TABLE") == []


def test_the_public_api_ignores_a_channel_header_and_stores_online(cloud):
    status, _ = submit_public(GOOD, headers={"x-borough-channel": "phone", "x-borough-staff": STAFF})
    assert status == 201
    [stored] = cloud.items("REQUESTS_TABLE")
    assert stored["channel"] == "online"
    assert "submitted_by_staff" not in stored
