"""Evidence staff record when applying for a resident in a zone that asks it (console/permit_apply.py with
permits.evidence.staff_checked in process): seen by staff with a note is kept with the member of staff and counted as
verified; a document to follow holds the application for the parking team's check; missing or half-given evidence
is a GOV.UK error on the kind's own field with nothing written; the audit names the choices, never the notes."""

from __future__ import annotations

import pytest

from tests.unit.staff_console.test_permit_apply import FORM, applications, trail

pytestmark = pytest.mark.unit

# Zone D's temporary permit asks a residency declaration and a keepership document (the hire agreement).
STATION = {**FORM, "uprn": "999000060001", "postcode": "ME16 8PQ", "street": "MILLPOND DRIVE", "kind": "temporary",
           "months": "3", "channel": "face-to-face"}  # fmt: skip
SEEN = {
    "evidence_residency": "seen",
    "evidence_residency_note": "Resident declared it at the counter",
    "evidence_keepership": "seen",
    "evidence_keepership_note": "Hire agreement seen, name and dates match",
}


@pytest.fixture
def caseworker(console):
    return console.staff("casey", roles=("caseworker",))


def apply(console, tokens, **changes):
    form = {"csrf_token": console.csrf(tokens), **STATION, **changes}
    return console.post("/staff/permits/apply", tokens, {k: v for k, v in form.items() if v is not None})


def test_the_form_asks_per_kind_seen_or_to_follow_with_a_note(console, caseworker):
    body = console.get("/staff/permits/apply", caseworker)["body"]
    for name in ("evidence_residency", "evidence_keepership"):
        assert f'name="{name}" type="radio" value="seen"' in body
        assert f'name="{name}" type="radio" value="later"' in body
        assert f'name="{name}_note"' in body


def test_evidence_staff_saw_is_kept_with_them_verified_and_audited_without_the_notes(console, caseworker):
    answer = apply(console, caseworker, **SEEN)
    assert answer["statusCode"] == 200, answer["body"]
    [stored] = applications()
    subject = trail(console, "permit-applications")[0]["staff"]
    assert stored["evidence_status"] == "verified"
    assert [e["seen_by_staff"]["by"] for e in stored["evidence"]] == [subject, subject]
    assert stored["evidence"][1]["seen_by_staff"]["note"] == "Hire agreement seen, name and dates match"
    assert stored["evidence_check"]["by"] == subject
    [before] = trail(console, "permit-applications")
    assert before["details"] == {"channel": "face-to-face", "kind": "temporary",
                                 "evidence": "residency:seen,keepership:seen"}  # fmt: skip
    assert "Hire agreement" not in str(trail(console, f"permit:{stored['reference']}")) + str(before)


def test_a_document_to_follow_holds_the_application_for_the_check(console, caseworker):
    answer = apply(console, caseworker, **{**SEEN, "evidence_keepership": "later", "evidence_keepership_note": ""})
    assert answer["statusCode"] == 200, answer["body"]
    [stored] = applications()
    assert stored["evidence_status"] == "awaiting"
    assert stored["evidence"][1] == {"kind": "keepership", "method": "upload", "to_follow": True}
    assert "evidence_check" not in stored


@pytest.mark.parametrize(
    ("changes", "status", "field", "message"),
    [
        ({}, 400, "evidence_residency", "This permit needs residency and keepership evidence"),
        ({**SEEN, "evidence_keepership": ""}, 400, "evidence_keepership", "Record what you saw or say the resident"),
        ({**SEEN, "evidence_residency": "later"}, 400, "evidence_residency", "Record what you saw."),
        ({**SEEN, "evidence_keepership_note": ""}, 400, "evidence_keepership_note", "Enter what you saw as the proof"),
        ({**SEEN, "evidence_residency": "guess"}, 400, "evidence_residency", "Select whether you have seen the proof"),
        ({**SEEN, "evidence_residency_note": "x" * 301}, 400, "evidence_residency_note", "300 characters or fewer"),
    ],
)
def test_missing_evidence_is_a_govuk_error_on_its_field_and_nothing_is_written(
    console, caseworker, changes, status, field, message
):
    answer = apply(console, caseworker, **changes)
    assert answer["statusCode"] == status
    assert "There is a problem" in answer["body"]
    assert f'href="#{field}"' in answer["body"]
    assert message in answer["body"]
    assert applications() == []


def test_a_zone_asking_none_ignores_what_staff_give(console, caseworker):
    answer = apply(console, caseworker, **{**FORM, **SEEN})  # zone B's resident permit asks no evidence
    assert answer["statusCode"] == 200, answer["body"]
    [stored] = applications()
    assert "evidence" not in stored


def test_the_permit_page_shows_what_staff_saw_and_what_is_to_follow_with_the_check_form(console, caseworker):
    apply(console, caseworker, **{**SEEN, "evidence_keepership": "later"})
    [stored] = applications()
    body = console.get(f"/staff/permits/{stored['reference']}", caseworker)["body"]
    assert "Seen by staff (" in body
    assert "Resident declared it at the counter" in body
    assert "The resident is sending a document: check it when it reaches us" in body
    assert "Deleted:" not in body  # no file was uploaded, so none is said to be gone
    assert 'id="evidence-form"' in body  # the parking team checks the document when it comes
