"""The cases API's PATCH applies the console's guards, end to end through the local gateway with a staff token: a
resolution without an update for the resident, a move into awaiting payment, a change to a closed request, a
reopening without a reason and a change from a stale version are each refused with problem+json, and none of them
writes anything or tells the resident; the allowed changes go through and count the version up."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.local
REPORT = {"description": "Bags of rubble by the bus stop", "location": {"postcode": "ME15 6JQ"}}


def _patch(local_cloud, token: str, reference: str, body: dict):
    return local_cloud.handle(
        "PATCH", f"/api/v1/requests/{reference}", {"Authorization": f"Bearer {token}"}, json_body=body
    )


def _refused(local_cloud, token: str, reference: str, body: dict, status: int) -> str:
    before = local_cloud.client("dynamodb").get_item(
        TableName=local_cloud.physical_id("Borough-dev-Data/Requests"),
        Key={"reference": {"S": reference}},
        ConsistentRead=True,
    )["Item"]
    answer = _patch(local_cloud, token, reference, body)
    assert answer.status == status, answer.body
    assert answer.header("content-type") == "application/problem+json"
    after = local_cloud.client("dynamodb").get_item(
        TableName=local_cloud.physical_id("Borough-dev-Data/Requests"),
        Key={"reference": {"S": reference}},
        ConsistentRead=True,
    )["Item"]
    assert after == before  # nothing written
    return str(answer.json()["detail"])


def _messages_about(local_cloud, reference: str) -> list[str]:
    table = local_cloud.physical_id("Borough-dev-Data/Notifications")
    items = local_cloud.client("dynamodb").scan(TableName=table)["Items"]
    return sorted(item["template"]["S"] for item in items if reference in json.dumps(item))


def test_the_patch_refuses_what_the_console_refuses(local_cloud, staff_token):
    submitted = local_cloud.handle(
        "POST",
        "/api/v1/services/fly-tipping/requests",
        json_body={**REPORT, "contact": {"email": "guards.resident@example.org"}},
    )
    assert submitted.status == 201, submitted.body
    reference = submitted.json()["reference"]
    local_cloud.wait_for_idle(timeout_s=30)
    told = _messages_about(local_cloud, reference)

    assert "write the update the resident will be sent" in _refused(
        local_cloud, staff_token, reference, {"status": "fixed"}, 422
    )
    assert "cannot become awaiting payment" in _refused(
        local_cloud, staff_token, reference, {"status": "awaiting-payment"}, 422
    )
    moved = _patch(local_cloud, staff_token, reference, {"status": "investigating", "version": 0})
    assert moved.status == 200, moved.body
    version = moved.json()["version"]
    assert "Nothing you sent was saved" in _refused(
        local_cloud, staff_token, reference, {"status": "in-progress", "version": version - 1}, 409
    )
    closed = _patch(
        local_cloud, staff_token, reference, {"status": "fixed", "resident_update": "Cleared.", "version": version}
    )
    assert closed.status == 200, closed.body
    local_cloud.wait_for_idle(timeout_s=30)
    told_after_closing = _messages_about(local_cloud, reference)
    assert len(told_after_closing) == len(told) + 2  # the two changes that went through, and only they

    assert "This case is closed" in _refused(local_cloud, staff_token, reference, {"status": "in-progress"}, 422)
    assert "reason for reopening" in _refused(local_cloud, staff_token, reference, {"status": "reopened"}, 422)
    reopened = _patch(local_cloud, staff_token, reference, {"status": "reopened", "reason": "Tipped again"})
    assert reopened.status == 200, reopened.body
    assert reopened.json()["internal_notes"][-1]["note"] == "Reason for reopening: Tipped again"
    public = local_cloud.handle("GET", f"/api/v1/requests/{reference}").json()
    assert public["status"] == "reopened"
    assert "Tipped again" not in json.dumps(public)
