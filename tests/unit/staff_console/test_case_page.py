"""The case page: the whole case for the staff member's teams only, HTML escaped, and every read audited first."""

from __future__ import annotations

import time
from unittest import mock

import pytest

from shared.references import new_reference
from tests.unit.staff_console.conftest import Console


@pytest.fixture
def reference(console: Console) -> str:
    reference = new_reference()
    console.add_case(
        reference,
        team="Street scene",
        due="2026-12-01",
        answers={"description": "<script>alert(1)</script> by the gate", "location": {"postcode": "ME15 6JQ"}},
        history=[{"status": "received", "at": "2026-11-20T10:00:00+00:00"}],
        internal_notes=[{"status": "received", "at": "2026-11-21T09:00:00+00:00", "note": "Owner known", "by": "x"}],
    )
    return reference


def test_the_case_page_shows_answers_timeline_and_internal_notes_escaped(console: Console, reference: str) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    page = console.get(f"/staff/cases/{reference}", tokens)
    assert page["statusCode"] == 200
    body = page["body"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; by the gate" in body
    assert "<script>alert" not in body
    assert "ME15 6JQ" in body
    assert "Owner known" in body
    assert "Received" in body


def test_every_read_is_audited_with_who_what_when_which_and_where(console: Console, reference: str) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    console.get(f"/staff/cases/{reference}", tokens)
    console.get(f"/staff/cases/{reference}", tokens)
    entries = console.audit.query(
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": reference},
    )["Items"]
    assert len(entries) == 2
    sub = console.cognito.admin_get_user(UserPoolId=console.pool_id, Username="cw@example.org")["Username"]
    assert {e["action"] for e in entries} == {"read-case"}
    assert {e["staff"] for e in entries} == {sub}
    assert all(e["source_ip"] and e["at"] for e in entries)
    assert all(int(e["expires_at"]) > time.time() + 6 * 365 * 86400 for e in entries)


def test_another_teams_case_is_not_found_and_not_audited(console: Console, reference: str) -> None:
    tokens = console.staff("ww", roles=("caseworker",), teams=("waste-services",))
    assert console.get(f"/staff/cases/{reference}", tokens)["statusCode"] == 404
    assert console.audit.scan()["Items"] == []  # the test looks; the console never scans


def test_if_the_read_cannot_be_audited_nothing_is_shown(console: Console, reference: str) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    failing = mock.patch("console.audit.AuditLog.record", side_effect=RuntimeError("audit table unavailable"))
    with failing, pytest.raises(RuntimeError):
        console.get(f"/staff/cases/{reference}", tokens)
