"""Cases: public status, staff status changes, and the triage task, through the real handlers."""

from __future__ import annotations

import io
import json
import logging
import os
from datetime import UTC, datetime
from typing import Any

import pytest

from cases import handler as cases_handler
from cases import triage
from catalogue import logic as catalogue_logic
from shared import aws
from shared import settings as function_settings
from shared.events import EventEnvelope
from shared.observability import logger
from tests.helpers import FakeContext, http_event

pytestmark = pytest.mark.unit

STAFF = {"sub": "staff-1", "cognito:groups": ["caseworkers"], "email": "caseworker@example.org"}
REPORT = {
    "description": "Mattress dumped by the gate",
    "location": {"postcode": "ME15 6JQ"},
    "contact": {"email": "resident@example.org"},
}


def new_request(cloud: Any, service: str = "fly-tipping", when: datetime | None = None) -> tuple[str, dict]:
    created = catalogue_logic.submit_request(service, REPORT, correlation_id="corr-1", now=when)
    [event] = cloud.published()
    return created["reference"], event


def call(method: str, reference: str, body: Any = None, claims: dict | None = None) -> tuple[int, Any]:
    event = http_event(
        method, f"/api/v1/requests/{reference}", body=body, path_parameters={"reference": reference}, claims=claims
    )
    response = cases_handler.handler(event, FakeContext())
    return response["statusCode"], json.loads(response["body"])


def test_triage_assigns_team_and_working_day_due_date(cloud):
    # Wed 23 Dec 2026: 25 and 28 Dec are bank holidays, so 3 working days later is Wed 30 Dec.
    reference, submitted = new_request(cloud, when=datetime(2026, 12, 23, 10, 0, tzinfo=UTC))
    result = triage.assign(submitted, FakeContext())
    assert result["team"] == "Street scene enforcement"
    assert result["due_date"] == "2026-12-30"
    assert result["event"]["type"] == "request-acknowledged"
    assert result["event"]["correlation_id"] == "corr-1"
    status, body = call("GET", reference)
    assert status == 200
    assert body["team"] == "Street scene enforcement"
    assert body["expected_by"] == "2026-12-30"
    assert body["history"][-1]["update"] == "Sent to the Street scene enforcement team"


def test_a_retried_triage_changes_nothing_and_repeats_the_same_event(cloud):
    _, submitted = new_request(cloud)
    first = triage.assign(submitted, FakeContext())
    second = triage.assign(submitted, FakeContext())
    assert first["due_date"] == second["due_date"]
    assert first["event"]["id"] == second["event"]["id"]  # consumers de-duplicate on this
    assert first["event"]["data"] == second["event"]["data"]
    [item] = cloud.items("REQUESTS_TABLE")
    assert len(item["history"]) == 2


def test_public_status_has_no_personal_data_and_accepts_sloppy_references(cloud):
    reference, _ = new_request(cloud)
    status, body = call("GET", reference.lower().replace("-", " "))
    assert status == 200
    assert body["reference"] == reference
    assert body["status"] == "received"
    assert body["open311_status"] == "open"
    text = json.dumps(body)
    assert "resident@example.org" not in text
    assert "Mattress" not in text
    assert "ME15" not in text


def test_unknown_and_malformed_references_are_404(cloud):
    assert call("GET", "AAAA-AAAA")[0] == 404
    assert call("GET", "not-a-reference")[0] == 404


def test_a_request_past_its_retention_answers_exactly_as_one_that_never_existed(cloud):
    # DynamoDB's TTL deletes expired items up to days late: until then the lookup must not tell them apart.
    reference, _ = new_request(cloud)
    table = aws.table("requests_table")
    table.update_item(
        Key={"reference": reference}, UpdateExpression="SET expires_at = :past", ExpressionAttributeValues={":past": 1}
    )
    reads: list[str] = []
    table.meta.client.meta.events.register("before-call.dynamodb.GetItem", lambda **_: reads.append("GetItem"))
    expired = raw_get(reference)
    table.delete_item(Key={"reference": reference})
    missing = raw_get(reference)
    assert expired["statusCode"] == missing["statusCode"] == 404
    assert expired["body"] == missing["body"]
    assert expired.get("headers") == missing.get("headers")
    assert expired.get("multiValueHeaders") == missing.get("multiValueHeaders")
    assert reads == ["GetItem", "GetItem"]  # the same work, so the same timing class
    assert reference not in json.loads(missing["body"])["detail"]


def raw_get(reference: str) -> dict[str, Any]:
    event = http_event("GET", f"/api/v1/requests/{reference}", path_parameters={"reference": reference})
    return cases_handler.handler(event, FakeContext())


def test_a_caseworker_changes_the_status_and_it_is_announced(cloud):
    reference, _ = new_request(cloud)
    status, body = call("PATCH", reference, {"status": "investigating", "resident_update": "Officer visiting"}, STAFF)
    assert status == 200
    assert body["status"] == "investigating"
    assert body["history"][-1]["update"] == "Officer visiting"
    [event] = cloud.published()
    assert event["type"] == "status-changed"
    assert event["data"]["status"] == "investigating"
    assert event["data"]["previous_status"] == "received"


INTERNAL = "Resident rang from 07700 900123, sounded upset"


def test_internal_notes_stay_with_staff_and_updates_reach_the_resident(cloud):
    reference, _ = new_request(cloud)
    change = {"status": "investigating", "internal_note": INTERNAL, "resident_update": "An officer will visit."}
    status, staff = call("PATCH", reference, change, STAFF)
    assert status == 200
    assert staff["internal_notes"] == [
        {"status": "investigating", "at": staff["history"][-1]["at"], "note": INTERNAL, "by": "staff-1"}
    ]
    status, public = call("GET", reference)
    assert status == 200
    assert public["history"][-1]["update"] == "An officer will visit."
    assert "internal_notes" not in public
    assert "07700" not in json.dumps(public)
    [event] = cloud.published()
    assert "07700" not in json.dumps(event)
    assert "An officer will visit." not in json.dumps(event)  # the update travels by id, not as text
    assert event["data"]["update_id"] == staff_update_id(cloud)


def staff_update_id(cloud: Any) -> str:
    [item] = cloud.items("REQUESTS_TABLE")
    return item["history"][-1]["update_id"]


def test_an_internal_note_alone_leaves_the_public_history_without_an_update(cloud):
    reference, _ = new_request(cloud)
    assert call("PATCH", reference, {"status": "investigating", "internal_note": INTERNAL}, STAFF)[0] == 200
    _, public = call("GET", reference)
    assert public["history"][-1] == {
        "status": "investigating",
        "status_label": "Investigating",
        "at": public["history"][-1]["at"],
        "update": "",
    }
    [event] = cloud.published()
    assert "update_id" not in event["data"]


def test_the_old_note_field_is_refused_and_nothing_is_published(cloud):
    reference, _ = new_request(cloud)
    status, problem = call("PATCH", reference, {"status": "investigating", "note": INTERNAL}, STAFF)
    assert status == 400
    assert "resident_update" in problem["detail"]
    assert "internal_note" in problem["detail"]
    [item] = cloud.items("REQUESTS_TABLE")
    assert item["status"] == "received"
    assert INTERNAL not in json.dumps(item, default=str)
    assert cloud.published() == []


@pytest.mark.parametrize(
    ("claims", "body", "expected"),
    [
        (None, {"status": "investigating"}, 401),
        ({"sub": "resident", "cognito:groups": []}, {"status": "investigating"}, 403),
        ({"sub": "x", "cognito:groups": "[residents]"}, {"status": "investigating"}, 403),
        (STAFF, {"status": "on-fire"}, 422),
        (STAFF, {"status": "received"}, 422),
        (STAFF, {"status": "fixed", "colour": "red"}, 422),
        (STAFF, "{broken", 400),
    ],
)
def test_refused_status_changes_change_nothing(cloud, claims, body, expected):
    reference, _ = new_request(cloud)
    status, problem = call("PATCH", reference, body, claims)
    assert status == expected, problem
    [item] = cloud.items("REQUESTS_TABLE")
    assert item["status"] == "received"
    assert cloud.published() == []


def test_a_closed_request_can_only_be_reopened_with_a_reason(cloud):
    reference, _ = new_request(cloud)
    assert call("PATCH", reference, {"status": "fixed", "resident_update": "Cleared today."}, STAFF)[0] == 200
    cloud.published()
    status, problem = call("PATCH", reference, {"status": "in-progress"}, STAFF)
    assert (status, problem["detail"]) == (422, "This case is closed. It can only be reopened, with a reason.")
    status, problem = call("PATCH", reference, {"status": "reopened"}, STAFF)
    assert (status, problem["detail"]) == (422, "Give the reason for reopening the case.")
    assert cloud.published() == []
    body = {"status": "reopened", "reason": "Tipped again", "internal_note": "Same van"}
    status, staff = call("PATCH", reference, body, STAFF)
    assert status == 200, staff
    assert staff["internal_notes"][-1]["note"] == "Reason for reopening: Tipped again\nSame van"
    [event] = cloud.published()
    assert "Tipped again" not in json.dumps(event)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"status": "fixed"}, "To resolve a case, write the update the resident will be sent."),
        ({"status": "duplicate", "resident_update": "   "}, "To resolve a case, write the update"),
        ({"status": "awaiting-payment"}, "A case that is received cannot become awaiting payment."),
        ({"status": "received"}, "A case that is received cannot become received."),
        ({"status": "fixed", "resident_update": "Done", "reason": "x" * 1001}, None),
    ],
)
def test_the_patch_applies_the_consoles_guards_and_writes_nothing_refused(cloud, body, detail):
    """One set of guards for the console's forms and the API (shared/case_changes.py check_status_change)."""
    reference, _ = new_request(cloud)
    event = http_event(
        "PATCH",
        f"/api/v1/requests/{reference}",
        body=body,
        path_parameters={"reference": reference},
        claims=STAFF,
    )
    response = cases_handler.handler(event, FakeContext())
    assert response["statusCode"] == 422, response
    assert response["headers"]["Content-Type"] == "application/problem+json"
    if detail:
        assert json.loads(response["body"])["detail"].startswith(detail)
    [item] = cloud.items("REQUESTS_TABLE")
    assert (item["status"], item.get("version")) == ("received", None)
    assert cloud.published() == []


def test_a_patch_from_a_stale_version_is_a_conflict_and_writes_nothing(cloud):
    reference, _ = new_request(cloud)
    status, first = call("PATCH", reference, {"status": "investigating", "version": 0}, STAFF)
    assert (status, first["version"]) == (200, 1)
    cloud.published()
    # a second caller still holding version 0
    stale = {"status": "in-progress", "version": 0, "internal_note": "Van booked"}
    event = http_event(
        "PATCH", f"/api/v1/requests/{reference}", body=stale, path_parameters={"reference": reference}, claims=STAFF
    )
    response = cases_handler.handler(event, FakeContext())
    assert response["statusCode"] == 409
    assert response["headers"]["Content-Type"] == "application/problem+json"
    assert "Nothing you sent was saved" in json.loads(response["body"])["detail"]
    [item] = cloud.items("REQUESTS_TABLE")
    assert (item["status"], item["version"], item.get("internal_notes", [])) == ("investigating", 1, [])
    assert cloud.published() == []
    status, second = call("PATCH", reference, {**stale, "version": 1}, STAFF)
    assert (status, second["status"], second["version"]) == (200, "in-progress", 2)
    assert call("PATCH", reference, {"status": "fixed", "version": -1}, STAFF)[0] == 422


def test_a_failed_publish_neither_undoes_nor_loses_the_status_change(cloud, monkeypatch):
    # It used to be undone (503); now the change stands and its event follows from the table's stream.
    reference, _ = new_request(cloud)
    topic = os.environ["EVENTS_TOPIC_ARN"]
    monkeypatch.setenv("EVENTS_TOPIC_ARN", "arn:aws:sns:eu-west-2:123456789012:missing")
    function_settings.reset()  # the outbox reads the (now missing) topic again
    status, _ = call("PATCH", reference, {"status": "investigating"}, STAFF)
    assert status == 200
    [item] = cloud.items("REQUESTS_TABLE")
    assert item["status"] == "investigating"
    assert cloud.published() == []
    monkeypatch.setenv("EVENTS_TOPIC_ARN", topic)
    function_settings.reset()
    [event] = cloud.published()
    assert (event["type"], event["data"]["status"]) == ("status-changed", "investigating")
    assert cloud.published() == []


def test_the_assign_task_logs_the_correlation_id_and_the_event_id(cloud):
    # The pipe starts executions under random names, so the event's ids must reach the task's own log lines.
    _, submitted = new_request(cloud)
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)
    previous = logger.log_level
    logger.setLevel("INFO")
    logger.addHandler(capture)
    try:
        triage.assign(submitted, FakeContext())
    finally:
        logger.removeHandler(capture)
        logger.setLevel(previous)
    [line] = [json.loads(text) for text in stream.getvalue().splitlines() if "Triage assigned" in text]
    assert line["correlation_id"] == "corr-1"
    assert line["event_id"] == EventEnvelope.model_validate(submitted).id


def test_the_patch_and_the_console_share_one_write_path_and_version(cloud):
    """The API's PATCH goes through shared/case_changes.py: it counts the version up, so a console form drawn before
    it is stale; a staff-only change (an assignment) leaves the public history as it was."""
    from shared import case_changes

    reference, _ = new_request(cloud)
    drawn = case_changes.load(reference)  # a console form drawn now carries version 0
    _, before = call("GET", reference)
    assigned = case_changes.assign(
        drawn, case_changes.Editor("staff-2", "two@example.org"), by=case_changes.Editor("staff-2")
    )
    assert assigned["version"] == 1
    _, after = call("GET", reference)
    assert after["history"] == before["history"]  # the resident's view is unaffected
    assert call("PATCH", reference, {"status": "investigating"}, STAFF)[0] == 200
    [item] = cloud.items("REQUESTS_TABLE")
    assert item["version"] == 2
    with pytest.raises(case_changes.StaleCase) as stale:
        # a form drawn after the assignment (version 1), sent after the PATCH
        case_changes.add_internal_note(
            case_changes.load(reference), "late", by=case_changes.Editor("staff-2"), expected_version=1
        )
    assert [c["what"] for c in stale.value.changes] == ["Investigating"]
