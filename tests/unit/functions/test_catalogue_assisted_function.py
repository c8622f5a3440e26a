"""The console-only catalogue function (catalogue/assisted_handler.py): a direct-invoke event, the one submission
path with the staff member and reason, clear refusals that write nothing."""

from __future__ import annotations

import json

import pytest

from catalogue import assisted_handler
from tests.helpers import FakeContext, http_event
from tests.unit.functions.test_catalogue_assisted import GOOD, STAFF

pytestmark = pytest.mark.unit


def invoke(**event):
    base = {"action": "submit", "service_id": "fly-tipping", "answers": GOOD, "channel": "phone", "staff": STAFF}
    return assisted_handler.handler({**base, "reason": "Resident has no internet", **event}, FakeContext())


def test_a_submission_by_staff_is_stored_like_a_web_one_with_channel_staff_and_reason(cloud):
    answer = invoke(correlation_id="submission-1")
    assert answer["status"] == 201
    reference = answer["body"]["reference"]
    [stored] = cloud.items("REQUESTS_TABLE")
    assert stored["reference"] == reference
    assert (stored["channel"], stored["submitted_by_staff"]) == ("phone", STAFF)
    assert stored["assisted_reason"] == "Resident has no internet"
    assert stored["correlation_id"] == "submission-1"  # the console's audit entry names this submission
    [event] = cloud.published()
    assert event["type"] == "report-submitted"
    assert event["data"] == {"reference": reference, "service_id": "fly-tipping", "channel": "phone"}


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"reason": "   "}, 422, "reason"),
        ({"channel": "online"}, 400, None),
        ({"staff": ""}, 400, None),
        ({"answers": {**GOOD, "description": ""}}, 422, "description"),
        ({"answers": {**GOOD, "channel": "phone"}}, 422, "channel"),
        ({"service_id": "no-such-service"}, 404, None),
    ],
)
def test_bad_submissions_are_refused_clearly_and_write_nothing(cloud, change, status, field):
    answer = invoke(**change)
    assert answer["status"] == status
    assert answer["body"]["detail"]
    if field:
        assert field in {e["field"] for e in answer["body"]["errors"]}
    assert cloud.items("REQUESTS_TABLE") == []
    assert cloud.published() == []


@pytest.mark.parametrize("event", [{"action": "delete"}, {"action": "submit", "answers": "not an object"}])
def test_other_events_are_refused(cloud, event):
    assert assisted_handler.handler(event, FakeContext())["status"] == 400
    assert cloud.items("REQUESTS_TABLE") == []


def test_an_http_event_is_no_submission(cloud):
    """API Gateway's shape carries no action: even if a route reached this function, nothing would be written."""
    event = http_event("POST", "/api/v1/services/fly-tipping/requests", body=GOOD)
    assert assisted_handler.handler(event, FakeContext())["status"] == 400
    assert cloud.items("REQUESTS_TABLE") == []
    assert json.dumps(GOOD)  # the body was a whole, valid web submission
