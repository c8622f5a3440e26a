"""The subject access export (/staff/subject-access): for staff with `export-subject-access` (the admin role), a JSON
download of every request found by the resident's email key, whatever the team (answers, contact, history with the
resident's updates, internal notes) with each request's audit trail; audited before anything is read."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from console.records import key_record
from shared.references import new_reference
from shared.search_keys import EMAIL_KEY, POSTCODE_KEY, SearchKind
from tests.unit.staff_console.conftest import Console, aws_calls

STREET, WASTE, SOMEONE_ELSES = new_reference(), new_reference(), new_reference()
EMAIL = "resident@example.org"


@pytest.fixture
def resident(console: Console) -> Console:
    mine = {EMAIL_KEY: console.keys.email(EMAIL), POSTCODE_KEY: console.keys.postcode("ME15 6JQ")}
    console.add_case(
        STREET,
        team="Street scene",
        due="2026-12-01",
        submitted_at="2026-11-20T10:00:00+00:00",
        contact={"email": EMAIL},
        answers={"description": "Mattress by the gate", "location": {"postcode": "ME15 6JQ"}},
        history=[
            {"status": "received", "at": "2026-11-20T10:00:00+00:00"},
            {"status": "investigating", "at": "2026-11-21T10:00:00+00:00", "update": "We are on our way"},
        ],
        internal_notes=[{"status": "investigating", "at": "2026-11-21T10:00:00+00:00", "note": "Owner known"}],
        amount_due_pence=0,
        outbox='{"event": "x"}',
        **mine,
    )
    console.add_case(WASTE, team="Waste services", due="2026-12-05", submitted_at="2026-11-25T10:00:00+00:00", **mine)
    console.add_case(
        SOMEONE_ELSES,
        team="Street scene",
        due="2026-12-01",
        submitted_at="2026-11-22T10:00:00+00:00",
        **{EMAIL_KEY: console.keys.email("someone.else@example.org")},
    )
    return console


def _export(console: Console, tokens: dict[str, str], email: str) -> dict:
    return console.post("/staff/subject-access", tokens, {"csrf_token": console.csrf(tokens), "email": email})


def test_an_admin_downloads_every_request_of_the_resident_with_its_audit_trail(resident: Console) -> None:
    worker = resident.staff("cw", roles=("caseworker",), teams=("street-scene",))
    assert resident.get(f"/staff/cases/{STREET}", worker)["statusCode"] == 200  # a read, audited
    search = resident.post("/staff/search", worker, {"csrf_token": resident.csrf(worker), "q": EMAIL})
    assert search["statusCode"] == 200
    admin = resident.staff("ad", roles=("admin",))
    answer = _export(resident, admin, "  Resident@Example.ORG ")
    assert answer["statusCode"] == 200
    assert answer["headers"]["content-type"] == "application/json; charset=utf-8"
    assert answer["headers"]["content-disposition"].startswith('attachment; filename="subject-access-')
    assert EMAIL not in answer["headers"]["content-disposition"]
    export = json.loads(answer["body"])
    by_reference = {r["reference"]: r for r in export["requests"]}
    assert set(by_reference) == {STREET, WASTE}  # both teams; not the other resident's
    street = by_reference[STREET]
    assert street["answers"]["description"] == "Mattress by the gate"
    assert street["contact"] == {"email": EMAIL}
    assert [e["status"] for e in street["history"]] == ["received", "investigating"]
    assert street["resident_updates"] == [
        {"at": "2026-11-21T10:00:00+00:00", "status": "investigating", "update": "We are on our way"}
    ]
    assert street["internal_notes"][0]["note"] == "Owner known"
    assert street["amount_due_pence"] == 0
    assert {"outbox", EMAIL_KEY, POSTCODE_KEY}.isdisjoint(street)
    assert [e["action"] for e in street["audit"]] == ["read-case", "export-subject-access"]
    assert [e["action"] for e in by_reference[WASTE]["audit"]] == ["export-subject-access"]
    assert [e["action"] for e in export["audit_of_this_email"]] == ["search-email", "export-subject-access"]


def test_the_export_is_audited_on_each_request_and_on_the_email_before_anything_is_read(resident: Console) -> None:
    admin = resident.staff("ad", roles=("admin",))
    failing = mock.patch("console.audit.AuditLog.record", side_effect=RuntimeError("audit table unavailable"))
    with failing, mock.patch("console.queue.CaseQueue.case") as read, pytest.raises(RuntimeError):
        _export(resident, admin, EMAIL)
    read.assert_not_called()
    _export(resident, admin, EMAIL)
    key = resident.keys.email(EMAIL)
    entries = {
        record: resident.audit.query(
            KeyConditionExpression="#r = :r",
            ExpressionAttributeNames={"#r": "record"},
            ExpressionAttributeValues={":r": record},
        )["Items"]
        for record in (STREET, WASTE, key_record(SearchKind.EMAIL, key), SOMEONE_ELSES)
    }
    assert entries.pop(SOMEONE_ELSES) == []
    for record, (entry,) in entries.items():
        assert entry["action"] == "export-subject-access", record
        assert entry["details"]["key"] == key
        assert sorted(entry["details"]["found"]) == sorted([STREET, WASTE])
        assert entry["staff"]
    written = json.dumps(resident.audit.scan()["Items"], default=str)  # the test looks; the console never scans
    assert EMAIL not in written


def test_a_resident_with_no_requests_gets_an_empty_export(resident: Console) -> None:
    admin = resident.staff("ad", roles=("admin",))
    export = json.loads(_export(resident, admin, "nobody@example.org")["body"])
    assert export["requests"] == []


@pytest.mark.parametrize("email", ["", "not an email", "ME15 6JQ", "a@" + "b" * 300 + ".org"])
def test_bad_input_gets_a_clear_message_and_writes_nothing(resident: Console, email: str) -> None:
    admin = resident.staff("ad", roles=("admin",))
    answer = _export(resident, admin, email)
    assert answer["statusCode"] == 400
    assert "Enter the resident&#39;s email address in the correct format" in answer["body"]
    assert resident.audit.scan()["Items"] == []


def test_caseworkers_cannot_export(resident: Console) -> None:
    worker = resident.staff("cw", roles=("caseworker", "team-lead", "finance"), teams=("street-scene",))
    assert _export(resident, worker, EMAIL)["statusCode"] == 403
    assert resident.get("/staff/subject-access", worker)["statusCode"] == 403
    assert resident.audit.scan()["Items"] == []


def test_the_admin_home_page_links_to_the_export(resident: Console) -> None:
    admin = resident.staff("ad", roles=("admin",))
    assert 'href="/staff/subject-access"' in resident.get("/staff/home", admin)["body"]
    worker = resident.staff("cw", roles=("caseworker",), teams=("street-scene",))
    assert 'href="/staff/subject-access"' not in resident.get("/staff/home", worker)["body"]


def test_the_export_queries_the_email_index_and_the_audit_record_and_never_scans(resident: Console) -> None:
    admin = resident.staff("ad", roles=("admin",))
    with aws_calls() as calls:
        assert _export(resident, admin, EMAIL)["statusCode"] == 200
    operations = {operation for operation, _ in calls}
    assert "Scan" not in operations
    assert {"Query", "GetItem", "PutItem"} <= operations
    assert {params.get("IndexName") for operation, params in calls if operation == "Query"} == {"by-email-key", None}
