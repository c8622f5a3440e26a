"""Assigning a case from its page, and optimistic locking: every form carries the case's version, a stale one is
refused with what changed, and nothing is overwritten; each change audited and kept as a staff-only history entry."""

from __future__ import annotations

import re
from typing import Any

import jwt
import pytest

from shared import case_changes
from shared.case_history import public_history
from shared.references import new_reference
from shared.requests_repo import RequestsRepository
from tests.unit.staff_console.conftest import Console


@pytest.fixture
def reference(console: Console) -> str:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-11-20", status="for-triage")
    return reference


def _sub(tokens: dict[str, str]) -> str:
    return str(jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"])


def _item(console: Console, reference: str) -> dict[str, Any]:
    return dict(console.table.get_item(Key={"reference": reference})["Item"])


def _audit(console: Console, reference: str) -> list[dict[str, Any]]:
    return console.audit.query(
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": reference},
    )["Items"]


def _assign(console: Console, tokens: dict[str, str], reference: str, who: str, version: Any = 0) -> dict[str, Any]:
    form = {"csrf_token": console.csrf(tokens), "assign": who, "version": str(version)}
    return console.post(f"/staff/cases/{reference}/assign", tokens, form)


def test_the_case_page_offers_assign_to_me_in_a_form_with_csrf_and_version(console: Console, reference: str) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    body = console.get(f"/staff/cases/{reference}", tokens)["body"]
    form = re.search(rf'<form method="post" action="/staff/cases/{reference}/assign".*?</form>', body, re.S)
    assert form is not None
    assert f'name="csrf_token" value="{console.csrf(tokens)}"' in form.group(0)
    assert 'name="version" value="0"' in form.group(0)
    assert "Assign to me" in form.group(0)


def test_assign_to_me_sets_the_assignee_audits_and_keeps_the_residents_view(console: Console, reference: str) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    before = public_history(_item(console, reference))
    answer = _assign(console, tokens, reference, "me")
    assert answer["statusCode"] == 303
    assert answer["headers"]["location"] == f"/staff/cases/{reference}"
    item = _item(console, reference)
    assert item["assignee"] == _sub(tokens)
    assert item["assignee_email"] == "cw@example.org"
    assert item["version"] == 1
    assert item["history"][-1]["staff_only"] is True
    assert item["history"][-1]["detail"] == "Assigned to cw@example.org"
    assert public_history(item) == before  # the resident sees nothing of it
    [entry] = [e for e in _audit(console, reference) if e["action"] == "assign"]
    assert entry["staff"] == _sub(tokens)
    assert entry["source_ip"]
    assert entry["at"]
    page = console.get(f"/staff/cases/{reference}", tokens)["body"]
    assert '<dd class="govuk-summary-list__value" id="assigned-to">you</dd>' in page
    staff_only = '<strong class="moj-badge moj-badge--purple">Staff only</strong>'
    assert f'<h3 class="moj-timeline__title">Assigned to cw@example.org {staff_only}</h3>' in page


def test_my_cases_and_unassigned_follow_assignment(console: Console, reference: str) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))

    def listed(view: str) -> bool:
        return f"/staff/cases/{reference}" in console.get("/staff/cases", tokens, view=view)["body"]

    assert listed("unassigned")
    assert not listed("mine")
    _assign(console, tokens, reference, "me")
    assert listed("mine")
    assert not listed("unassigned")
    assert _assign(console, tokens, reference, "nobody", version=1)["statusCode"] == 303
    assert "assignee" not in _item(console, reference)
    assert listed("unassigned")
    assert not listed("mine")


def test_a_stale_version_is_refused_with_what_changed_and_nothing_is_overwritten(
    console: Console, reference: str
) -> None:
    first = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    second = console.staff("lead", roles=("team-lead",), teams=("street-scene",))
    assert _assign(console, first, reference, "me", version=0)["statusCode"] == 303
    answer = _assign(console, second, reference, "me", version=0)  # drawn before the first change
    assert answer["statusCode"] == 409
    assert "Someone else changed" in answer["body"]
    assert "Assigned to cw@example.org" in answer["body"]  # here is what changed
    item = _item(console, reference)
    assert item["assignee"] == _sub(first)
    assert item["version"] == 1
    assert [e["action"] for e in _audit(console, reference)] == ["assign"]  # the first's only: nothing else changed


def test_the_write_itself_is_conditional_on_the_version(console: Console, reference: str) -> None:
    """Two editors read version 0; the second's write still finds the item changed, and is refused."""
    repository = RequestsRepository("requests")
    stale = repository.get(reference)
    assert stale is not None
    case_changes.assign(
        stale, case_changes.Editor("a", "a@example.org"), by=case_changes.Editor("a"), repository=repository
    )
    with pytest.raises(case_changes.StaleCase) as refused:
        case_changes.assign(
            stale, case_changes.Editor("b", "b@example.org"), by=case_changes.Editor("b"), repository=repository
        )
    assert [change["what"] for change in refused.value.changes] == ["Assigned to a@example.org"]
    assert _item(console, reference)["assignee"] == "a"


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"assign": "me"}, 400, "missing the case&#39;s version"),
        ({"assign": "me", "version": "one"}, 400, "missing the case&#39;s version"),
        ({"assign": "someone-else", "version": "0"}, 400, "Choose who to assign"),
        ({"assign": "other", "assignee": "not-a-member", "version": "0"}, 400, "member of the case&#39;s team"),
        ({"assign": "nobody", "version": "0"}, 422, "not assigned to anyone"),
    ],
)
def test_a_bad_assign_form_is_refused_and_writes_nothing(
    console: Console, reference: str, form: dict[str, str], status: int, says: str
) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    answer = console.post(f"/staff/cases/{reference}/assign", tokens, {"csrf_token": console.csrf(tokens), **form})
    assert answer["statusCode"] == status
    assert says in answer["body"]
    assert "version" not in _item(console, reference)


@pytest.mark.parametrize(
    ("action", "form"),
    [
        ("assign", {"assign": "me"}),
        ("status", {"status": "investigating", "resident_update": "Soon"}),
        ("notes", {"note": "Checked"}),
    ],
)
def test_csrf_is_checked_on_every_case_form(
    console: Console, reference: str, action: str, form: dict[str, str]
) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    path = f"/staff/cases/{reference}/{action}"
    assert console.post(path, tokens, {**form, "version": "0"})["statusCode"] == 400
    assert console.post(path, tokens, {**form, "version": "0", "csrf_token": "forged"})["statusCode"] == 403
    other = console.staff("other", roles=("caseworker",), teams=("street-scene",))  # another session's token
    assert console.post(path, tokens, {**form, "version": "0", "csrf_token": console.csrf(other)})["statusCode"] == 403
    assert "version" not in _item(console, reference)
    assert _audit(console, reference) == []


def test_another_teams_case_is_not_found_and_not_changed(console: Console, reference: str) -> None:
    tokens = console.staff("ww", roles=("caseworker",), teams=("waste-services",))
    assert _assign(console, tokens, reference, "me")["statusCode"] == 404
    assert "assignee" not in _item(console, reference)
    assert _audit(console, reference) == []


def test_a_closed_case_cannot_be_assigned(console: Console) -> None:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-11-20", status="fixed")
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    answer = _assign(console, tokens, reference, "me")
    assert answer["statusCode"] == 422
    assert "This case is closed" in answer["body"]
    assert "assignee" not in _item(console, reference)


def test_a_case_can_be_assigned_to_a_member_of_its_team_who_works_cases(console: Console, reference: str) -> None:
    lead = console.staff("lead", roles=("team-lead",), teams=("street-scene",))
    colleague = console.staff("colleague", roles=("caseworker",), teams=("street-scene",))
    console.staff("money", roles=("finance",), teams=("street-scene",))  # reads cases, does not work them
    console.staff("elsewhere", roles=("caseworker",), teams=("waste-services",))
    page = console.get(f"/staff/cases/{reference}", lead)["body"]
    select = re.search(r'<select class="govuk-select" id="assignee" name="assignee">(.*?)</select>', page, re.S)
    assert select is not None
    offered = re.findall(r'<option value="([^"]+)">([^<]+)</option>', select.group(1))
    assert [email for _, email in offered] == ["colleague@example.org", "lead@example.org"]
    form = {"csrf_token": console.csrf(lead), "version": "0", "assign": "other", "assignee": _sub(colleague)}
    assert console.post(f"/staff/cases/{reference}/assign", lead, form)["statusCode"] == 303
    item = _item(console, reference)
    assert item["assignee"] == _sub(colleague)
    assert item["history"][-1]["by"] == _sub(lead)
    [entry] = [e for e in _audit(console, reference) if e["action"] == "assign"]
    assert entry["detail"] == f"assigned to {_sub(colleague)}"
    assert reference in console.get("/staff/cases", colleague, view="mine")["body"]


@pytest.mark.parametrize("who", ["money", "elsewhere"])
def test_nobody_outside_the_teams_case_workers_can_be_assigned(console: Console, reference: str, who: str) -> None:
    lead = console.staff("lead", roles=("team-lead",), teams=("street-scene",))
    roles = {"money": ("finance",), "elsewhere": ("caseworker",)}[who]
    teams = {"money": ("street-scene",), "elsewhere": ("waste-services",)}[who]
    outsider = console.staff(who, roles=roles, teams=teams)
    form = {"csrf_token": console.csrf(lead), "version": "0", "assign": "other", "assignee": _sub(outsider)}
    answer = console.post(f"/staff/cases/{reference}/assign", lead, form)
    assert answer["statusCode"] == 400
    assert "assignee" not in _item(console, reference)


def test_team_membership_is_kept_for_a_while_then_read_again(console: Console) -> None:
    from console.team_members import TeamMembers

    now = [0.0]
    members = TeamMembers(console.pool_id, ttl_seconds=300, clock=lambda: now[0])
    assert members.assignable("Street scene") == []
    console.staff("new", roles=("caseworker",), teams=("street-scene",))
    assert members.assignable("Street scene") == []  # within five minutes: as read
    now[0] = 301.0
    assert [m.email for m in members.assignable("Street scene")] == ["new@example.org"]
    assert members.assignable("No such team") == []


def test_a_change_that_fails_is_audited_as_failed(console: Console, reference: str, monkeypatch) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))

    def unavailable(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("DynamoDB unavailable")

    monkeypatch.setattr(RequestsRepository, "staff_change", unavailable)
    with pytest.raises(RuntimeError):
        _assign(console, tokens, reference, "me")
    assert sorted(e["action"] for e in _audit(console, reference)) == ["assign", "assign-failed"]
    assert "assignee" not in _item(console, reference)


def test_a_change_made_between_the_read_and_the_write_is_a_conflict_too(
    console: Console, reference: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console read version 0 and the form says 0, but someone wrote in between: the conditional write refuses."""
    first = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    second = console.staff("lead", roles=("team-lead",), teams=("street-scene",))
    as_read = RequestsRepository("requests").get(reference)
    assert _assign(console, first, reference, "me")["statusCode"] == 303
    monkeypatch.setattr(case_changes, "load", lambda *args, **kwargs: dict(as_read or {}))
    answer = _assign(console, second, reference, "me", version=0)
    assert answer["statusCode"] == 409
    assert "Assigned to cw@example.org" in answer["body"]
    assert _item(console, reference)["assignee"] == _sub(first)
    assert sorted(e["action"] for e in _audit(console, reference)) == ["assign", "assign", "assign-refused"]
