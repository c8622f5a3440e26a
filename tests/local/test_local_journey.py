"""A resident reports fly-tipping; triage routes it; a caseworker updates it; the resident is told each time."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.local

REPORT = {
    "description": "Mattress dumped by the gate",
    "location": {"postcode": "ME15 6JQ"},
    "contact": {"email": "resident@example.org"},
}


def test_report_triage_staff_update_and_notifications(local_cloud, staff_token):
    submitted = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body=REPORT)
    assert submitted.status == 201, submitted.body
    reference = submitted.json()["reference"]

    local_cloud.wait_for_idle(timeout_s=30)  # SNS -> SQS -> pipe -> state machine -> assign -> SNS -> consumer
    triaged = local_cloud.handle("GET", f"/api/v1/requests/{reference}")
    assert triaged.status == 200, triaged.body
    assert triaged.json()["team"]
    assert triaged.json()["expected_by"]

    changed = local_cloud.handle(
        "PATCH",
        f"/api/v1/requests/{reference}",
        {"Authorization": f"Bearer {staff_token}"},
        json_body={"status": "investigating"},
    )
    assert changed.status == 200, changed.body
    local_cloud.wait_for_idle(timeout_s=30)
    assert local_cloud.handle("GET", f"/api/v1/requests/{reference}").json()["status"] == "investigating"

    table = local_cloud.physical_id("Borough-dev-Data/Notifications")
    items = local_cloud.client("dynamodb").scan(TableName=table)["Items"]
    about_this_request = [item for item in items if reference in json.dumps(item)]
    assert sorted(item["template"]["S"] for item in about_this_request) == ["acknowledgement", "status-update"]
