"""Every validation rule of every shipped definition, generated from the definitions, plus hand-written cases
with the exact messages a resident sees."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared import forms
from shared.catalogue import Question, ServiceDefinition, load_catalogue
from tests.unit.catalogue.service_examples import ON, PATTERN_EXAMPLES, failing_answers, valid_answer, valid_body

pytestmark = pytest.mark.unit

CATALOGUE = load_catalogue()


def _rule_cases() -> list[Any]:
    cases = []
    for definition in CATALOGUE.values():
        for _, question in definition.questions():
            for rule, answer, message in failing_answers(question):
                case_id = f"{definition.id}.{question.id}.{rule}"
                cases.append(pytest.param(definition, question, answer, message, id=case_id))
    return cases


RULE_CASES = _rule_cases()


def test_there_is_a_case_for_every_rule_of_every_definition():
    rules = sum(
        len(q.validation.rules()) - ("min_length" in q.validation.rules() and q.validation.min_length.value == 1)
        for d in CATALOGUE.values()
        for _, q in d.questions()
    )
    # Each "required" rule has two cases (missing and blank); every other rule has one.
    required = sum(q.required for d in CATALOGUE.values() for _, q in d.questions())
    assert len(RULE_CASES) == rules + required
    assert len(RULE_CASES) > 100


@pytest.mark.parametrize(("definition", "question", "answer", "message"), RULE_CASES)
def test_each_rule_gives_its_message_on_its_page_and_in_a_submission(
    definition: ServiceDefinition, question: Question, answer: Any, message: str
):
    body = valid_body(definition, show=question)
    assert forms.validate_submission(definition, body, on=ON).ok
    body[question.id] = answer
    submission = forms.validate_submission(definition, body, on=ON)
    assert submission.errors == [{"field": question.id, "message": message}]
    assert question.id not in submission.answers
    page = next(p for p, q in definition.questions() if q.id == question.id)
    result = forms.validate_page(definition, page.id, body, forms.shown_answers(definition, body), on=ON)
    assert {"field": question.id, "message": message} in result.errors


@pytest.mark.parametrize(
    ("definition", "question"),
    [pytest.param(d, q, id=f"{d.id}.{q.id}") for d in CATALOGUE.values() for _, q in d.questions()],
)
def test_every_question_accepts_a_valid_answer_and_optional_ones_may_be_blank(definition, question):
    body = valid_body(definition, show=question)
    submission = forms.validate_submission(definition, body, on=ON)
    assert submission.ok, submission.errors
    assert question.id in submission.answers
    if not question.required:
        del body[question.id]
        assert forms.validate_submission(definition, body, on=ON).ok


def test_every_pattern_rule_has_a_matching_example():
    patterns = {(d.id, q.id) for d in CATALOGUE.values() for _, q in d.questions() if q.validation.pattern}
    assert patterns == set(PATTERN_EXAMPLES)


# --- hand-written cases with concrete messages --------------------------------------------------------------------


def errors(service: str, **answers: Any) -> list[dict[str, str]]:
    definition = CATALOGUE[service]
    return forms.validate_submission(definition, {**valid_body(definition), **answers}, on=ON).errors


def clean(service: str, question_id: str, value: Any) -> Any:
    definition = CATALOGUE[service]
    body = {**valid_body(definition, show=definition.question(question_id)), question_id: value}
    return forms.validate_submission(definition, body, on=ON).answers[question_id]


def test_bulky_waste_item_count():
    assert errors("bulky-waste", item_count=0) == [
        {"field": "item_count", "message": "The number of items must be 1 or more"}
    ]
    assert errors("bulky-waste", item_count="11") == [
        {"field": "item_count", "message": "You can book up to 10 items in one collection"}
    ]
    assert errors("bulky-waste", item_count="2.5") == [
        {"field": "item_count", "message": "The number of items must be a number, like 4"}
    ]
    assert errors("bulky-waste", item_count=True)[0]["field"] == "item_count"
    assert clean("bulky-waste", "item_count", " 1,0 ") == 10


def test_dates_past_future_and_real():
    assert errors("missed-bin", collection_date=(ON + timedelta(days=1)).isoformat()) == [
        {"field": "collection_date", "message": "The collection date must be today or in the past"}
    ]
    assert clean("missed-bin", "collection_date", ON.isoformat()) == "2026-03-27"  # today is allowed
    assert clean("missed-bin", "collection_date", {"day": "26", "month": "3", "year": "2026"}) == "2026-03-26"
    assert errors("bulky-waste", preferred_date=ON.isoformat()) == [
        {"field": "preferred_date", "message": "The collection date must be in the future"}
    ]
    for not_real in ("2026-02-30", "27/03/2026", {"day": "27", "month": "3", "year": "26"}, {"day": "x"}, 20260327):
        assert errors("complaint", when_happened=not_real) == [
            {"field": "when_happened", "message": "The date it happened must be a real date"}
        ]


def test_text_is_trimmed_one_line_and_free_of_control_characters():
    assert clean("foi-request", "full_name", "  Ada \n  Lovelace\x00 ") == "Ada Lovelace"
    assert clean("foi-request", "request", "Line one\r\nLine two\x07  ") == "Line one\nLine two"
    assert errors("foi-request", request="Too short") == [
        {"field": "request", "message": "Describe the information you want in at least 10 characters"}
    ]
    assert errors("foi-request", full_name=42) == [{"field": "full_name", "message": "Enter your answer as text"}]


def test_a_script_in_a_text_answer_is_kept_as_text_for_templates_to_escape():
    script = "<script>alert('x')</script>"
    assert clean("fly-tipping", "description", script) == script


def test_patterns():
    assert errors("garden-waste", new_or_renewal="renewal", subscription_number="123456") == [
        {
            "field": "subscription_number",
            "message": "Enter your subscription number in the correct format, like GW123456",
        }
    ]
    assert clean("garden-waste", "subscription_number", "GW 123456") == "GW 123456"
    assert clean("complaint", "earlier_reference", "abcd efgh".replace(" ", "-")) == "abcd-efgh"


def test_options_radios_checkboxes_and_yes_no():
    assert errors("missed-bin", bin_type="purple") == [{"field": "bin_type", "message": "Select which bin was missed"}]
    assert clean("fly-tipping", "waste_types", ["other", "household", "other"]) == ["household", "other"]
    assert clean("fly-tipping", "waste_types", "furniture") == ["furniture"]
    assert errors("fly-tipping", waste_types=["household", "gold"]) == [
        {"field": "waste_types", "message": "Select the kinds of waste from the list"}
    ]
    assert clean("graffiti", "offensive", True) == "yes"
    assert clean("graffiti", "offensive", " No ") == "no"
    assert errors("graffiti", offensive="maybe") == [
        {"field": "offensive", "message": "Select yes if the graffiti is offensive"}
    ]


def test_address_parts_each_have_their_own_message():
    assert errors("missed-bin", address={"line1": "", "town": "", "postcode": "nope"}) == [
        {"field": "address.line1", "message": "Enter address line 1, typically the building and street"},
        {"field": "address.town", "message": "Enter town or city"},
        {"field": "address.postcode", "message": "Enter a full UK postcode, like ME15 6JQ"},
    ]
    assert errors("missed-bin", address={"line1": "1 High St", "town": "Maidstone"}) == [
        {"field": "address.postcode", "message": "Enter postcode"}
    ]
    assert errors("missed-bin", address={"line1": "x" * 101, "town": "T", "postcode": "ME15 6JQ", "flat": "2"}) == [
        {"field": "address.flat", "message": "An address has no such part."},
        {"field": "address.line1", "message": "Address line 1 must be 100 characters or fewer"},
    ]
    assert errors("missed-bin", address="1 High Street") == [
        {"field": "address", "message": "Enter address line 1, typically the building and street"}
    ]
    assert clean("missed-bin", "address", {"line1": " 1  High St ", "town": "Maidstone", "postcode": "me156jq"}) == {
        "line1": "1 High St",
        "town": "Maidstone",
        "postcode": "ME15 6JQ",
    }


def test_location_keeps_the_foundations_shape_and_messages():
    assert clean("fly-tipping", "location", {"latitude": 51.27, "longitude": 0.52}) == {
        "latitude": 51.27,
        "longitude": 0.52,
    }
    assert errors("fly-tipping", location={"postcode": "90210"}) == [
        {"field": "location.postcode", "message": "Enter a full UK postcode, like ME15 6JQ"}
    ]
    assert errors("fly-tipping", location={"description": "by the park"}) == [
        {"field": "location", "message": "Enter a postcode or choose a point on the map"}
    ]
    assert errors("fly-tipping", location="ME15 6JQ") == [
        {"field": "location", "message": "Enter a postcode or choose a point on the map"}
    ]


def test_file_type_size_and_upload():
    good = valid_answer(CATALOGUE["complaint"], CATALOGUE["complaint"].question("evidence"))
    assert clean("complaint", "evidence", {**good, "content_type": "Application/PDF"})["content_type"] == (
        "application/pdf"
    )
    assert errors("complaint", evidence={**good, "filename": "virus.exe"}) == [
        {"field": "evidence", "message": "The selected file must be a PDF, DOCX, DOC, JPG or PNG"}
    ]
    assert errors("fly-tipping", photo={**good, "filename": "photo.pdf"}) == [
        {"field": "photo", "message": "The selected file must be a JPG, PNG or HEIC"}
    ]
    jpeg = {**good, "filename": "photo.JPEG", "content_type": "image/jpeg"}
    assert clean("fly-tipping", "photo", jpeg)["filename"] == "photo.JPEG"
    assert errors("fly-tipping", photo={**jpeg, "size_bytes": 7 * 1024 * 1024 + 1}) == [
        {"field": "photo", "message": "The selected file must be smaller than 7MB"}
    ]
    assert errors("fly-tipping", photo={**jpeg, "size_bytes": 0}) == [
        {"field": "photo", "message": "The selected file is empty"}
    ]
    for tampered in ({**jpeg, "upload_id": "../../etc"}, {"upload_id": "upload-0001"}, "upload-0001"):
        assert errors("fly-tipping", photo=tampered) == [{"field": "photo", "message": "Upload the file again"}]


def test_contact_details_and_preference():
    assert clean("missed-bin", "contact", {"email": "Resident@Example.ORG"}) == {
        "email": "Resident@example.org",
        "preference": "email",
    }
    assert clean("missed-bin", "contact", {"phone": "07700 900123"}) == {"phone": "+447700900123", "preference": "sms"}
    assert clean("missed-bin", "contact", {"phone": "01632 960001"}) == {"phone": "+441632960001", "preference": "none"}
    assert errors("missed-bin", contact={"phone": "01632 960001", "preference": "sms"}) == [
        {
            "field": "contact.phone",
            "message": "Enter a UK mobile number, like 07700 900 982, to get updates by text message",
        }
    ]
    assert errors("missed-bin", contact={"phone": "07700 900123", "preference": "email"}) == [
        {"field": "contact.email", "message": "Enter your email address to get updates by email"}
    ]
    assert errors("missed-bin", contact={"email": "a@example.org", "preference": "pigeon"}) == [
        {"field": "contact.preference", "message": "Select how you want us to contact you"}
    ]
    assert errors("missed-bin", contact={"email": "nope"}) == [
        {"field": "contact.email", "message": "Enter an email address in the correct format, like name@example.com"}
    ]
    assert errors("missed-bin", contact={"preference": "none"}) == [
        {"field": "contact", "message": "Enter an email address or a UK phone number"}
    ]
    # Optional where the definition says so, and "none" is then a fine answer.
    assert clean("fly-tipping", "contact", {"email": "a@example.org", "preference": "none"})["preference"] == "none"


def test_unknown_keys_are_errors_in_a_submission_but_ignored_on_a_page():
    definition = CATALOGUE["graffiti"]
    body = {**valid_body(definition), "colour": "red"}
    assert forms.validate_submission(definition, body, on=ON).errors == [
        {"field": "colour", "message": "This service does not ask this question."}
    ]
    result = forms.validate_page(definition, "offensive", {"offensive": "yes", "csrf_token": "abc"}, on=ON)
    assert result.ok
    assert result.values == {"offensive": "yes"}


def test_errors_come_in_page_order():
    definition = CATALOGUE["complaint"]
    fields = [e["field"] for e in forms.validate_submission(definition, {"on_behalf": "yes"}, on=ON).errors]
    assert fields == [
        "full_name",
        "their_name",
        "their_consent",
        "service_area",
        "what_happened",
        "when_happened",
        "outcome",
        "contact",
    ]


def test_a_text_question_without_a_max_length_rule_has_a_default_limit():
    question = Question.model_validate({"id": "name", "type": "text", "label": "Name"})
    errs = forms.FieldErrors()
    assert forms.clean_answer(question, "x" * 501, errs) is None
    assert errs.items == [{"field": "name", "message": "Your answer must be 500 characters or fewer"}]
