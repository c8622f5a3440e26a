"""Bulk assign from the queue: ticked cases assigned one by one through the per-case path (team check, version
check, conditional write, an audit entry each); the stale, closed and other teams' ones skipped and said so; more
than 50, none, or a tampered form refused whole; CSRF checked; POST then a redirect to the result page."""

from __future__ import annotations

import html
import re
from typing import Any

import jwt
import pytest

from console.bulk_assign import (
    MAX_CASES,
    REASONS,
    RESULT_COOKIE,
    BulkRefused,
    Outcome,
    Selection,
    read_result,
    result_cookie,
    selection,
)
from console.permissions import StaffMember
from shared import case_changes
from shared.references import new_reference
from shared.requests_repo import RequestsRepository
from tests.unit.staff_console.conftest import Console

DUE = "2026-11-20"


def _sub(tokens: dict[str, str]) -> str:
    return str(jwt.decode(tokens["id_token"], options={"verify_signature": False})["sub"])


def _staff(tokens: dict[str, str]) -> StaffMember:
    return StaffMember.from_claims(jwt.decode(tokens["id_token"], options={"verify_signature": False}))


def _item(console: Console, reference: str) -> dict[str, Any]:
    return dict(console.table.get_item(Key={"reference": reference})["Item"])


def _audit(console: Console, reference: str) -> list[dict[str, Any]]:
    return console.audit.query(
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": reference},
    )["Items"]


def _cases(console: Console, count: int, *, team: str = "Street scene", status: str = "received") -> list[str]:
    references = [new_reference() for _ in range(count)]
    for reference in references:
        console.add_case(reference, team=team, due=DUE, status=status)
    return references


def _post(console: Console, tokens: dict[str, str], cases: dict[str, Any], assignee: str = "me") -> dict[str, Any]:
    form = {"csrf_token": console.csrf(tokens), "assignee": assignee}
    form.update({f"case:{reference}": str(version) for reference, version in cases.items()})
    return console.post("/staff/cases/bulk-assign", tokens, form)


def _result_page(console: Console, tokens: dict[str, str], answer: dict[str, Any]) -> str:
    """Follow the redirect with the result cookie, as the browser does."""
    assert answer["statusCode"] == 303, answer["body"]
    assert answer["headers"]["location"] == "/staff/cases/bulk-assign"
    [cookie] = [c for c in answer["cookies"] if c.startswith(RESULT_COOKIE + "=")]
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    page = console.request("GET", "/staff/cases/bulk-assign", tokens, cookies={RESULT_COOKIE: value})
    assert page["statusCode"] == 200
    return str(page["body"])


# -- the form's parsing -------------------------------------------------------------------------------------------
def test_a_selection_is_the_ticked_cases_with_their_versions_and_the_assignee() -> None:
    first, second = new_reference(), new_reference()
    form = {"csrf_token": "x", f"case:{first}": "3", f"case:{second.lower()}": "0", "assignee": "me", "q": "x"}
    assert selection(form) == Selection(((first, 3), (second, 0)), "me")


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"assignee": "me"}, 400, "Select at least one case"),
        ({"case:NOT-A-REF": "0", "assignee": "me"}, 400, "could not be read"),
        ({"case:{ref}": "one", "assignee": "me"}, 400, "could not be read"),
        ({"case:{ref}": "-1", "assignee": "me"}, 400, "could not be read"),
        ({"case:{ref}": "0"}, 400, "Choose who"),
        ({"case:{ref}": "0", "assignee": "x" * 65}, 400, "Choose who"),
    ],
)
def test_a_form_that_cannot_be_read_is_refused_whole(form: dict[str, str], status: int, says: str) -> None:
    reference = new_reference()
    with pytest.raises(BulkRefused) as refused:
        selection({name.replace("{ref}", reference): value for name, value in form.items()})
    assert refused.value.status == status
    assert says in refused.value.message


def test_at_most_fifty_cases_per_submission() -> None:
    fifty = {f"case:{new_reference()}": "0" for _ in range(MAX_CASES)}
    assert len(selection({**fifty, "assignee": "me"}).cases) == MAX_CASES
    with pytest.raises(BulkRefused) as refused:
        selection({**fifty, f"case:{new_reference()}": "0", "assignee": "me"})
    assert refused.value.status == 422
    assert refused.value.message == "You selected 51 cases. Assign at most 50 at a time: nothing was assigned."


# -- the queue's form ---------------------------------------------------------------------------------------------
def test_the_queue_offers_checkboxes_with_each_cases_version_to_staff_who_may_assign(console: Console) -> None:
    fresh, changed = _cases(console, 2)
    case_changes.assign(
        RequestsRepository("requests").get(changed) or {},
        case_changes.Editor("x", "x@example.org"),
        by=case_changes.Editor("x"),
        repository=RequestsRepository("requests"),
    )
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    console.staff("colleague", roles=("caseworker",), teams=("street-scene",))
    console.staff("money", roles=("finance",), teams=("street-scene",))
    body = console.get("/staff/cases", tokens)["body"]
    form = re.search(r'<form method="post" action="/staff/cases/bulk-assign".*?</form>', body, re.S)
    assert form is not None
    assert f'name="csrf_token" value="{console.csrf(tokens)}"' in form.group(0)
    assert f'name="case:{fresh}" type="checkbox" value="0"' in form.group(0)
    assert f'name="case:{changed}" type="checkbox" value="1"' in form.group(0)
    assert f'<label class="govuk-label govuk-checkboxes__label" for="select-{fresh}">' in form.group(0)
    offered = re.findall(r'<option value="([^"]+)">([^<]+)</option>', form.group(0))
    assert [email for _, email in offered] == ["Me", "colleague@example.org"]  # not finance, not themself twice


def test_staff_who_may_not_assign_get_no_bulk_form(console: Console) -> None:
    _cases(console, 1)
    tokens = console.staff("money", roles=("finance",), teams=("street-scene",))
    body = console.get("/staff/cases", tokens)["body"]
    assert "bulk-assign" not in body
    assert 'type="checkbox"' not in body


# -- the submission -----------------------------------------------------------------------------------------------
def test_ticked_cases_are_assigned_each_through_the_per_case_path_and_audited(console: Console) -> None:
    references = _cases(console, 3)
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    page = _result_page(console, tokens, _post(console, tokens, dict.fromkeys(references, 0)))
    assert "3 of 3 cases assigned to you" in page
    assert "Not assigned" not in page
    batches = set()
    for reference in references:
        item = _item(console, reference)
        assert item["assignee"] == _sub(tokens)
        assert item["version"] == 1
        assert item["history"][-1]["detail"] == "Assigned to cw@example.org"
        [entry] = _audit(console, reference)
        assert (entry["action"], entry["detail"], entry["staff"]) == (
            "assign",
            "assigned to themself (bulk)",
            _sub(tokens),
        )
        batches.add(entry["details"]["bulk_assignment"])
        assert f'href="/staff/cases/{reference}"' in page
    assert len(batches) == 1  # one submission's entries carry the same id
    assert all(r in console.get("/staff/cases", tokens, view="mine")["body"] for r in references)


def test_stale_closed_and_other_teams_cases_are_skipped_not_overwritten_and_said_so(console: Console) -> None:
    good, stale = _cases(console, 2)
    (closed,) = _cases(console, 1, status="fixed")
    (elsewhere,) = _cases(console, 1, team="Waste services")
    missing = new_reference()
    first = console.staff("lead", roles=("team-lead",), teams=("street-scene",))
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    # the lead assigns `stale` after the caseworker's queue was drawn at version 0
    lead_form = {"csrf_token": console.csrf(first), "assign": "me", "version": "0"}
    assert console.post(f"/staff/cases/{stale}/assign", first, lead_form)["statusCode"] == 303
    ticked = {good: 0, stale: 0, closed: 0, elsewhere: 0, missing: 0}
    page = _result_page(console, tokens, _post(console, tokens, ticked))
    assert "1 of 5 cases assigned to you" in page
    assigned = re.search(r'<ul class="govuk-list govuk-list--bullet" id="assigned">(.*?)</ul>', page, re.S)
    assert assigned is not None
    assert re.findall(r">([A-Z0-9-]{9})</a>", assigned.group(1)) == [good]
    skipped = dict(
        re.findall(r'href="/staff/cases/([A-Z0-9-]+)">[^<]+</a></td>\s*<td class="govuk-table__cell">([^<]+)<', page)
    )

    assert {ref: html.unescape(why) for ref, why in skipped.items()} == {
        stale: REASONS[Outcome.CHANGED],
        closed: REASONS[Outcome.CLOSED],
        elsewhere: REASONS[Outcome.NOT_YOURS],
        missing: REASONS[Outcome.NOT_YOURS],
    }
    assert _item(console, stale)["assignee"] == _sub(first)  # the lead's assignment stands
    assert "assignee" not in _item(console, closed)
    assert "assignee" not in _item(console, elsewhere)
    assert [e["action"] for e in _audit(console, stale)] == ["assign"]  # the lead's only
    assert _audit(console, closed) == []
    assert _audit(console, elsewhere) == []


def test_a_change_between_the_read_and_the_write_is_skipped_as_changed(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    (reference,) = _cases(console, 1)
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    as_read = RequestsRepository("requests").get(reference)
    case_changes.assign(
        dict(as_read or {}),
        case_changes.Editor("x", "x@example.org"),
        by=case_changes.Editor("x"),
        repository=RequestsRepository("requests"),
    )
    monkeypatch.setattr(case_changes, "load", lambda *args, **kwargs: dict(as_read or {}))
    result = console.bulk.run(_staff(tokens), Selection(((reference, 0),), "me"), source_ip="192.0.2.1")
    assert result.outcomes == ((reference, Outcome.CHANGED),)
    assert _item(console, reference)["assignee"] == "x"
    assert sorted(e["action"] for e in _audit(console, reference)) == ["assign", "assign-refused"]


def test_cases_go_to_a_member_of_their_team_and_are_skipped_where_they_are_not(console: Console) -> None:
    street = _cases(console, 2)
    (waste,) = _cases(console, 1, team="Waste services")
    lead = console.staff("lead", roles=("team-lead",), teams=("street-scene", "waste-services"))
    colleague = console.staff("colleague", roles=("caseworker",), teams=("street-scene",))
    ticked = {**dict.fromkeys(street, 0), waste: 0}
    page = _result_page(console, lead, _post(console, lead, ticked, assignee=_sub(colleague)))
    assert "2 of 3 cases assigned to colleague@example.org" in page
    assert REASONS[Outcome.NOT_IN_TEAM].replace("'", "&#39;") in page
    assert all(_item(console, r)["assignee"] == _sub(colleague) for r in street)
    assert "assignee" not in _item(console, waste)
    [entry] = _audit(console, street[0])
    assert entry["detail"] == f"assigned to {_sub(colleague)} (bulk)"
    assert entry["staff"] == _sub(lead)


def test_someone_who_does_not_work_cases_is_never_assigned(console: Console) -> None:
    cases = _cases(console, 2)
    lead = console.staff("lead", roles=("team-lead",), teams=("street-scene",))
    money = console.staff("money", roles=("finance",), teams=("street-scene",))
    page = _result_page(console, lead, _post(console, lead, dict.fromkeys(cases, 0), assignee=_sub(money)))
    assert "0 of 2 cases assigned to the member of staff you chose" in page
    assert all("assignee" not in _item(console, r) for r in cases)


def test_a_case_already_with_them_is_skipped(console: Console) -> None:
    (reference,) = _cases(console, 1)
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    _result_page(console, tokens, _post(console, tokens, {reference: 0}))
    page = _result_page(console, tokens, _post(console, tokens, {reference: 1}))
    assert "0 of 1 case assigned to you" in page
    assert "already assigned to them" in page
    assert _item(console, reference)["version"] == 1


def test_more_than_fifty_is_refused_and_nothing_is_assigned(console: Console) -> None:
    references = _cases(console, MAX_CASES + 1)
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    answer = _post(console, tokens, dict.fromkeys(references, 0))
    assert answer["statusCode"] == 422
    assert "You selected 51 cases. Assign at most 50 at a time: nothing was assigned." in answer["body"]
    assert all("assignee" not in _item(console, r) for r in references)
    assert all(_audit(console, r) == [] for r in references)


def test_csrf_is_checked(console: Console) -> None:
    (reference,) = _cases(console, 1)
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    form = {f"case:{reference}": "0", "assignee": "me"}
    assert console.post("/staff/cases/bulk-assign", tokens, form)["statusCode"] == 400
    assert console.post("/staff/cases/bulk-assign", tokens, {**form, "csrf_token": "forged"})["statusCode"] == 403
    assert "assignee" not in _item(console, reference)
    assert _audit(console, reference) == []


def test_a_failure_stops_the_run_and_says_which_were_not_tried(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third = _cases(console, 3)
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    original = RequestsRepository.staff_change

    def flaky(self: RequestsRepository, reference: str, **kwargs: Any) -> dict[str, Any]:
        if reference == second:
            raise RuntimeError("DynamoDB unavailable")
        return original(self, reference, **kwargs)

    monkeypatch.setattr(RequestsRepository, "staff_change", flaky)
    result = console.bulk.run(_staff(tokens), Selection(((first, 0), (second, 0), (third, 0)), "me"), source_ip="x")
    assert result.outcomes == ((first, Outcome.ASSIGNED), (second, Outcome.FAILED), (third, Outcome.NOT_TRIED))
    assert sorted(e["action"] for e in _audit(console, second)) == ["assign", "assign-failed"]
    assert "assignee" not in _item(console, third)
    assert _audit(console, third) == []


# -- the result page ----------------------------------------------------------------------------------------------
def test_the_result_is_for_its_own_staff_member_signed_and_short_lived(console: Console) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    other = console.staff("other", roles=("caseworker",), teams=("street-scene",))
    from console.bulk_assign import BulkResult

    result = BulkResult("you", ((new_reference(), Outcome.ASSIGNED),))
    signer = console.guard.signer
    value = result_cookie(signer, _staff(tokens), result, now=1000.0).value
    assert read_result(signer, _staff(tokens), value, now=1000.0) == result
    assert read_result(signer, _staff(other), value, now=1000.0) is None  # another's
    assert read_result(signer, _staff(tokens), value, now=1000.0 + 601) is None  # expired
    assert read_result(signer, _staff(tokens), "x" + value, now=1000.0) is None  # tampered
    page = console.request("GET", "/staff/cases/bulk-assign", tokens, cookies={RESULT_COOKIE: "forged.value"})
    assert page["statusCode"] == 200
    assert "No bulk assignment to show" in page["body"]
