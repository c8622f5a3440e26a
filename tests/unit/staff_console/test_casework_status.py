"""Status changes, internal notes and resident updates from the case page: what the workflow allows, with the
console's guards (a resolution tells the resident, a reopening says why, a closed case is not edited), notes
escaped and never public, updates sent through the status-changed event like the API's PATCH."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest

from console.casework import CaseworkRefused, choices, status_change_guard
from console.permissions import Permission, StaffMember
from shared.case_history import public_history, resident_update
from shared.references import new_reference
from shared.statuses import Status
from tests.unit.staff_console.conftest import Console


@pytest.fixture
def reference(console: Console) -> str:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-11-20", status="for-triage")
    return reference


@pytest.fixture
def tokens(console: Console) -> dict[str, str]:
    return console.staff("cw", roles=("caseworker",), teams=("street-scene",))


def _item(console: Console, reference: str) -> dict[str, Any]:
    return dict(console.table.get_item(Key={"reference": reference})["Item"])


def _post(console: Console, tokens: dict[str, str], path: str, **form: str) -> dict[str, Any]:
    return console.post(path, tokens, {"csrf_token": console.csrf(tokens), "version": "0", **form})


def test_a_status_change_with_a_resident_update_and_a_note_goes_the_apis_way(
    console: Console, tokens: dict[str, str], reference: str
) -> None:
    answer = _post(
        console,
        tokens,
        f"/staff/cases/{reference}/status",
        status="investigating",
        resident_update="An officer will visit this week.",
        internal_note="Owner's phone: 07700 900123",
    )
    assert answer["statusCode"] == 303
    item = _item(console, reference)
    assert item["status"] == "investigating"
    assert item["version"] == 1
    event = json.loads(item["outbox"])  # the stream publishes it: the same status-changed event as the API's
    assert event["type"] == "status-changed"
    assert event["data"]["previous_status"] == "for-triage"
    assert resident_update(item, event["data"]["update_id"]) == "An officer will visit this week."
    public = json.dumps(public_history(item))
    assert "An officer will visit this week." in public
    assert "07700 900123" not in public
    assert "07700 900123" not in item["outbox"]
    assert item["internal_notes"][-1]["note"] == "Owner's phone: 07700 900123"
    audited = console.audit.scan()["Items"]  # the test looks; the console never scans
    assert [(e["action"], e.get("detail")) for e in audited] == [
        ("change-status", "to investigating with a resident update with an internal note")
    ]
    assert "07700" not in json.dumps(audited, default=str)  # the audit says what was done, not what was written


def test_an_internal_note_alone_is_staff_only_and_escaped(
    console: Console, tokens: dict[str, str], reference: str
) -> None:
    answer = _post(console, tokens, f"/staff/cases/{reference}/notes", note="<b>Dog</b> in the garden")
    assert answer["statusCode"] == 303
    item = _item(console, reference)
    assert item["status"] == "for-triage"
    assert "outbox" not in item  # nothing is announced: the resident is not told
    assert "Dog" not in json.dumps(public_history(item))
    page = console.get(f"/staff/cases/{reference}", tokens)["body"]
    assert "&lt;b&gt;Dog&lt;/b&gt; in the garden" in page
    assert "<b>Dog</b>" not in page


@pytest.mark.parametrize(
    ("status", "form", "says"),
    [
        ("for-triage", {"status": "fixed"}, "write the update the resident will be sent"),
        ("for-triage", {"status": "received"}, "cannot become received"),
        ("for-triage", {"status": "for-triage"}, "cannot become waiting to be assessed"),
        ("for-triage", {"status": "awaiting-payment"}, "cannot become awaiting payment"),
        ("for-triage", {"status": "purple"}, "Choose the status"),
        ("fixed", {"status": "investigating", "resident_update": "x"}, "It can only be reopened"),
        ("fixed", {"status": "reopened"}, "Give the reason for reopening"),
        ("for-triage", {"status": "investigating", "internal_note": "x" * 1001}, "1000 characters or fewer"),
        ("for-triage", {"status": "investigating", "resident_update": "x" * 1001}, "1000 characters or fewer"),
    ],
)
def test_each_guard_refuses_and_writes_nothing(
    console: Console, tokens: dict[str, str], status: str, form: dict[str, str], says: str
) -> None:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-11-20", status=status)
    answer = _post(console, tokens, f"/staff/cases/{reference}/status", **form)
    assert answer["statusCode"] in (400, 422)
    assert says in answer["body"]
    assert f'href="/staff/cases/{reference}"' in answer["body"]  # back to the case
    item = _item(console, reference)
    assert item["status"] == status
    assert "version" not in item
    assert console.audit.scan()["Items"] == []


def test_notes_are_refused_on_a_closed_case_and_when_oversized_or_empty(
    console: Console, tokens: dict[str, str]
) -> None:
    closed, open_ = new_reference(), new_reference()
    console.add_case(closed, team="Street scene", due="2026-11-20", status="closed")
    console.add_case(open_, team="Street scene", due="2026-11-20", status="in-progress")
    assert "This case is closed" in _post(console, tokens, f"/staff/cases/{closed}/notes", note="hello")["body"]
    assert _post(console, tokens, f"/staff/cases/{open_}/notes", note="x" * 1001)["statusCode"] == 422
    assert _post(console, tokens, f"/staff/cases/{open_}/notes", note="   ")["statusCode"] == 422
    huge = _post(console, tokens, f"/staff/cases/{open_}/notes", note="x" * 20_000)
    assert huge["statusCode"] == 413
    assert "internal_notes" not in _item(console, closed)
    assert "internal_notes" not in _item(console, open_)


def test_resolving_needs_a_resident_update_and_then_sends_it(
    console: Console, tokens: dict[str, str], reference: str
) -> None:
    answer = _post(
        console, tokens, f"/staff/cases/{reference}/status", status="fixed", resident_update="Cleared today."
    )
    assert answer["statusCode"] == 303
    item = _item(console, reference)
    assert item["status"] == "fixed"
    assert json.loads(item["outbox"])["data"]["status"] == "fixed"
    page = console.get(f"/staff/cases/{reference}", tokens)["body"]
    assert "This case is closed" in page
    assert f'action="/staff/cases/{reference}/notes"' not in page  # no note form on a closed case
    assert '<option value="reopened">Reopened</option>' in page  # the only way on


def test_reopening_needs_a_reason_kept_as_an_internal_note(console: Console, tokens: dict[str, str]) -> None:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-11-20", status="fixed")
    answer = _post(console, tokens, f"/staff/cases/{reference}/status", status="reopened", reason="Tipped again")
    assert answer["statusCode"] == 303
    item = _item(console, reference)
    assert item["status"] == "reopened"
    assert item["internal_notes"][-1]["note"] == "Reason for reopening: Tipped again"
    assert "Tipped again" not in json.dumps(public_history(item))
    assert {e["action"] for e in console.audit.scan()["Items"]} == {"reopen"}


def test_a_stale_status_form_is_refused_and_the_first_change_stands(
    console: Console, tokens: dict[str, str], reference: str
) -> None:
    lead = console.staff("lead", roles=("team-lead",), teams=("street-scene",))
    assert _post(console, lead, f"/staff/cases/{reference}/notes", note="Called the resident")["statusCode"] == 303
    answer = _post(console, tokens, f"/staff/cases/{reference}/status", status="fixed", resident_update="<i>Done")
    assert answer["statusCode"] == 409
    assert re.search(r"<li>[^<]*: Internal note added</li>", answer["body"])
    assert "What you wrote (not saved)" in answer["body"]  # nothing typed is lost
    assert '<dd class="govuk-summary-list__value">&lt;i&gt;Done</dd>' in answer["body"]
    assert _item(console, reference)["status"] == "for-triage"


@dataclass(frozen=True)
class _Holding(StaffMember):
    held: frozenset[Permission] = frozenset()

    @property
    def permissions(self) -> frozenset[Permission]:
        return self.held


def _holding(*permissions: Permission) -> StaffMember:
    return _Holding("sub", "a@example.org", frozenset(), frozenset(), frozenset(permissions))


def test_updates_and_notes_need_their_own_permissions() -> None:
    only_status = _holding(Permission.CHANGE_STATUS)
    for field, permission in (("resident_update", "send updates"), ("internal_note", "add internal notes")):
        with pytest.raises(CaseworkRefused, match=permission) as refused:
            status_change_guard(only_status, Status.FOR_TRIAGE, {"status": "investigating", field: "text"})
        assert refused.value.status == 403
    assert status_change_guard(only_status, Status.FOR_TRIAGE, {"status": "investigating"}) == (
        Status.INVESTIGATING,
        "",
        "",
        "",
    )


def test_a_stale_form_is_a_conflict_even_when_the_case_has_since_closed(
    console: Console, tokens: dict[str, str], reference: str
) -> None:
    """The form is judged against the case its author saw: they are told it changed, not that it is closed."""
    assert (
        _post(console, tokens, f"/staff/cases/{reference}/status", status="fixed", resident_update="Done")["statusCode"]
        == 303
    )
    answer = _post(console, tokens, f"/staff/cases/{reference}/status", status="in-progress", resident_update="Soon")
    assert answer["statusCode"] == 409
    assert "Fixed" in answer["body"]
    assert _item(console, reference)["status"] == "fixed"


def test_the_choices_are_the_workflows_without_payments_own_status() -> None:
    assert [value for value, _ in choices(Status.FIXED)] == ["reopened"]
    offered = {value for value, _ in choices(Status.IN_PROGRESS)}
    assert "awaiting-payment" not in offered
    assert "received" not in offered
    assert "in-progress" not in offered
    assert "fixed" in offered


def test_a_response_template_fills_in_the_resident_update(console: Console, tokens: dict[str, str]) -> None:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-11-20", status="investigating", service_id="fly-tipping")
    page = console.get(f"/staff/cases/{reference}", tokens)["body"]
    links = re.findall(rf'href="/staff/cases/{reference}\?template=(\d+)#resident_update">([^<]+)</a>', page)
    assert [name for _, name in links][:2] == ["Cleared", "On private land"]  # the service's own first
    assert "We are looking into it" in [name for _, name in links]  # then those for every service
    chosen = console.get(f"/staff/cases/{reference}", tokens, template="1")["body"]
    assert re.search(r'name="resident_update"[^>]*>The waste you reported is on private land', chosen)
    unknown = console.get(f"/staff/cases/{reference}", tokens, template="99")["body"]
    assert re.search(r'name="resident_update"[^>]*></textarea>', unknown)


def test_a_wrong_templates_file_is_refused_naming_what_is_wrong() -> None:
    from pydantic import ValidationError

    from console.response_templates import parse_templates

    with pytest.raises(ValueError, match="no-such-service"):
        parse_templates("templates:\n  no-such-service:\n    - {name: A, text: B}\n")
    with pytest.raises(ValidationError, match="text"):
        parse_templates("templates:\n  fly-tipping:\n    - {name: A, text: ''}\n")
    with pytest.raises(ValidationError, match="colour"):
        parse_templates("templates:\n  fly-tipping:\n    - {name: A, text: B, colour: red}\n")
