"""Events about a request carry identifiers only: the events topic's cdk-nag SNS2 reason (stacks/events_stack.py)
says so, and this journey holds it to that. Every free text a resident or caseworker writes stays in the Requests
table; consumers read it there by id."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cases import logic as cases_logic
from cases import triage
from catalogue import logic as catalogue_logic
from tests.helpers import FakeContext

pytestmark = pytest.mark.unit

STAFF = {"sub": "staff-1", "cognito:groups": ["caseworkers"]}
# The fields each request event may carry: references, service and team ids, statuses, dates and update ids.
IDENTIFIER_FIELDS = {
    "report-submitted": {"reference", "service_id", "channel"},
    "request-acknowledged": {"reference", "service_id", "team", "expected_by"},
    "status-changed": {"reference", "service_id", "status", "previous_status", "update_id", "expected_by"},
}
# Free text from every source: the resident's answers and contact details, a caseworker's update and note.
WRITTEN = {
    "description": "Needles by the swings WRITTEN-DESCRIPTION",
    "email": "written.resident@example.org",
    "phone": "07700 900461",
    "update": "We will clear it today WRITTEN-UPDATE",
    "note": "Neighbour says WRITTEN-NOTE",
}


def journey(cloud: Any) -> list[dict[str, Any]]:
    """Submit, triage and change the status twice; every event that went out, in order."""
    body = {
        "description": WRITTEN["description"],
        "location": {"postcode": "ME15 6JQ"},
        "contact": {"email": WRITTEN["email"], "phone": WRITTEN["phone"]},
    }
    reference = catalogue_logic.submit_request("fly-tipping", body, correlation_id="c")["reference"]
    [submitted] = cloud.published()
    acknowledged = triage.assign(submitted, FakeContext())["event"]
    for change in (
        cases_logic.StatusChange(
            status="investigating", resident_update=WRITTEN["update"], internal_note=WRITTEN["note"]
        ),
        cases_logic.StatusChange(status="in-progress", internal_note=WRITTEN["note"]),
    ):
        cases_logic.change_status(reference, change, claims=STAFF, correlation_id="c")
    return [submitted, acknowledged, *cloud.published()]


def test_request_events_carry_identifiers_only(cloud):
    events = journey(cloud)
    types = [e["type"] for e in events]
    assert types == ["report-submitted", "request-acknowledged", "status-changed", "status-changed"]
    for event in events:
        allowed = IDENTIFIER_FIELDS[event["type"]]
        assert set(event["data"]) <= allowed, (event["type"], set(event["data"]) - allowed)
        assert all(isinstance(value, str) and len(value) <= 64 for value in event["data"].values()), event
    text = json.dumps(events)
    for written in WRITTEN.values():
        assert written not in text
    assert "07700" not in text
    # The update travels by id: the first change names it, the second (an internal note only) names none.
    assert "update_id" in events[2]["data"]
    assert "update_id" not in events[3]["data"]
