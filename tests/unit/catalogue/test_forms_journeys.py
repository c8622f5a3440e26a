"""Conditions, the pages a resident sees, hidden answers dropped, fees and "check your answers" rows."""

from __future__ import annotations

from typing import Any

import pytest

from shared import forms
from shared.catalogue import Condition, ServiceDefinition, load_catalogue
from tests.unit.catalogue.service_examples import ON, valid_body

pytestmark = pytest.mark.unit

CATALOGUE = load_catalogue()


def pages(service: str, answers: dict[str, Any]) -> list[str]:
    return [p.id for p in forms.visible_pages(CATALOGUE[service], answers)]


@pytest.mark.parametrize(
    ("condition", "answer", "holds"),
    [
        ({"question": "q", "equals": "yes"}, "yes", True),
        ({"question": "q", "equals": "yes"}, "no", False),
        ({"question": "q", "equals": "yes"}, None, False),
        ({"question": "q", "one_of": ["a", "b"]}, "b", True),
        ({"question": "q", "one_of": ["a", "b"]}, "c", False),
        ({"question": "q", "not": "a"}, "b", True),
        ({"question": "q", "not": "a"}, "a", False),
        ({"question": "q", "not": "a"}, None, False),  # an unanswered question satisfies no condition
        ({"question": "q", "equals": "a"}, ["b", "a"], True),  # checkboxes: "a" is among those selected
        ({"question": "q", "one_of": ["a", "c"]}, ["b"], False),
        ({"question": "q", "not": "a"}, ["b", "c"], True),
        ({"question": "q", "not": "a"}, ["a", "c"], False),
        ({"question": "q", "not": "a"}, [], False),
    ],
)
def test_condition_operators(condition: dict[str, Any], answer: Any, holds: bool):
    assert Condition.model_validate(condition).holds(answer) is holds


def test_page_conditions_follow_the_answers():
    always = ["name", "on-behalf", "service-area", "what-happened", "when", "earlier-reference", "outcome"]
    assert pages("complaint", {}) == [*always, "evidence", "contact"]
    assert pages("complaint", {"on_behalf": "no"}) == [*always, "evidence", "contact"]
    with_them = ["name", "on-behalf", "their-details", *always[2:], "evidence", "contact"]
    assert pages("complaint", {"on_behalf": "yes"}) == with_them
    assert "postal-address" in pages("foi-request", {"format": "post"})
    assert "postal-address" not in pages("foi-request", {"format": "email"})


def test_next_and_previous_page_skip_hidden_pages():
    definition = CATALOGUE["missed-bin"]
    assert forms.next_page(definition, {}).id == "address"
    assert forms.next_page(definition, {"bin_out": "yes"}, after="bin-out").id == "contact"
    assert forms.next_page(definition, {"bin_out": "no"}, after="bin-out").id == "bin-out-late"
    assert forms.next_page(definition, {}, after="contact") is None  # next: check your answers
    assert forms.previous_page(definition, {"bin_out": "yes"}, before="contact").id == "bin-out"
    assert forms.previous_page(definition, {"bin_out": "no"}, before="contact").id == "bin-out-late"
    assert forms.previous_page(definition, {}, before="address") is None


def test_question_conditions_on_the_same_page():
    definition = CATALOGUE["bulky-waste"]
    page = definition.page("where-left")
    shown = forms.visible_questions(definition, page, {"where_left": "other"})
    assert [q.id for q in shown] == ["where_left", "where_left_other"]
    assert [q.id for q in forms.visible_questions(definition, page, {"where_left": "driveway"})] == ["where_left"]
    result = forms.validate_page(definition, "where-left", {"where_left": "other", "where_left_other": ""}, on=ON)
    assert result.errors == [{"field": "where_left_other", "message": "Enter where you will leave the items"}]
    result = forms.validate_page(definition, "where-left", {"where_left": "driveway", "where_left_other": ""}, on=ON)
    assert result.ok
    assert result.values == {"where_left": "driveway"}


def test_conditions_on_a_page_use_the_answers_of_other_pages():
    definition = CATALOGUE["garden-waste"]
    raw = {"bin_location": "by the side gate"}
    assert forms.validate_page(definition, "bin-location", raw, {"new_or_renewal": "new"}, on=ON).values == raw
    assert forms.validate_page(definition, "bin-location", raw, {"new_or_renewal": "renewal"}, on=ON).values == {}
    with pytest.raises(KeyError):
        forms.validate_page(definition, "no-such-page", {}, on=ON)


def test_hidden_answers_never_reach_storage():
    definition = CATALOGUE["complaint"]
    body = {**valid_body(definition), "on_behalf": "no", "their_name": "Someone Else", "their_consent": "bad"}
    submission = forms.validate_submission(definition, body, on=ON)
    assert submission.ok, submission.errors  # the hidden page's (even invalid) answers are not checked...
    assert "their_name" not in submission.answers  # ...nor kept
    assert "their_consent" not in submission.answers
    stale = {"on_behalf": "no", "their_name": "Someone Else", "full_name": "Ada"}
    assert forms.shown_answers(definition, stale) == {"on_behalf": "no", "full_name": "Ada"}


def test_a_hidden_controlling_answer_hides_what_depends_on_it():
    definition = ServiceDefinition.model_validate(
        {
            "id": "chain",
            "title": "Chain",
            "summary": "S",
            "topic": "T",
            "audience": "A",
            "team": "T",
            "sla_working_days": 1,
            "retention_days": 1,
            "privacy_notice": {"summary": "P"},
            "pages": [
                {"id": "one", "questions": [{"id": "a", "type": "yes-no", "label": "A"}]},
                {
                    "id": "two",
                    "show_if": [{"question": "a", "equals": "yes"}],
                    "questions": [{"id": "b", "type": "yes-no", "label": "B"}],
                },
                {
                    "id": "three",
                    "show_if": [{"question": "b", "equals": "yes"}],
                    "questions": [{"id": "c", "type": "text", "label": "C"}],
                },
            ],
        }
    )
    assert [p.id for p in forms.visible_pages(definition, {"a": "yes", "b": "yes"})] == ["one", "two", "three"]
    assert [p.id for p in forms.visible_pages(definition, {"a": "no", "b": "yes"})] == ["one"]
    submission = forms.validate_submission(definition, {"a": "no", "b": "yes", "c": "kept?"}, on=ON)
    assert submission.answers == {"a": "no"}


# --- fees ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("items", "pence"), [(1, 2500), (3, 2500), (4, 3300), (5, 4100), (10, 8100)])
def test_bulky_waste_fee_by_number_of_items(items: int, pence: int):
    definition = CATALOGUE["bulky-waste"]
    submission = forms.validate_submission(definition, {**valid_body(definition), "item_count": str(items)}, on=ON)
    assert submission.amount_due_pence == pence


@pytest.mark.parametrize(("bins", "pence", "shown"), [("1", 5200, "£52"), ("2", 9200, "£92"), ("3", 13200, "£132")])
def test_garden_waste_fee_by_number_of_bins(bins: str, pence: int, shown: str):
    definition = CATALOGUE["garden-waste"]
    answers = forms.validate_submission(definition, {**valid_body(definition), "bins": bins}, on=ON).answers
    assert forms.compute_fee(definition, answers) == pence
    summary = forms.fee_summary(definition, answers)
    assert summary == forms.FeeSummary(pence, shown, "Garden waste collection for 12 months")


def test_free_services_cost_nothing_and_the_fee_needs_its_answer():
    for service in ("missed-bin", "fly-tipping", "graffiti", "abandoned-shopping-trolley", "foi-request", "complaint"):
        definition = CATALOGUE[service]
        assert not definition.charges
        assert forms.validate_submission(definition, valid_body(definition), on=ON).amount_due_pence == 0
        assert forms.fee_summary(definition, {}) is None
    with pytest.raises(ValueError, match="item_count"):
        forms.compute_fee(CATALOGUE["bulky-waste"], {})


def test_fee_cap_fixed_fee_and_checkbox_counts():
    base = CATALOGUE["bulky-waste"].model_dump(by_alias=True, exclude_none=True)
    capped = ServiceDefinition.model_validate({**base, "fee": {**base["fee"], "max_pence": 4000}})
    assert forms.compute_fee(capped, {"item_count": 10}) == 4000
    fixed = ServiceDefinition.model_validate(
        {**base, "fee": {"type": "fixed", "amount_pence": 1999, "description": "D"}}
    )
    assert forms.compute_fee(fixed, {}) == 1999
    assert forms.fee_summary(fixed, {}).display == "£19.99"


@pytest.mark.parametrize(
    ("pence", "shown"), [(0, "£0"), (5, "£0.05"), (2500, "£25"), (4150, "£41.50"), (125000, "£1,250")]
)
def test_format_pence(pence: int, shown: str):
    assert forms.format_pence(pence) == shown


# --- check your answers ------------------------------------------------------------------------------------------


def test_check_your_answers_rows():
    definition = CATALOGUE["bulky-waste"]
    body = {
        **valid_body(definition),
        "item_count": "5",
        "items": "Sofa\nDouble mattress",
        "where_left": "other",
        "where_left_other": "By the bins",
        "preferred_date": "2026-04-02",
        "contact": {"phone": "07700900123", "preference": "sms"},
    }
    answers = forms.validate_submission(definition, body, on=ON).answers
    rows = {row.question_id: row for row in forms.check_your_answers(definition, answers)}
    assert list(rows) == [
        "address",
        "item_count",
        "items",
        "where_left",
        "where_left_other",
        "preferred_date",
        "contact",
    ]
    assert rows["address"].lines == ("1 High Street", "Maidstone", "ME15 6JQ")
    assert rows["items"].lines == ("Sofa", "Double mattress")
    assert rows["items"].value == "Sofa\nDouble mattress"
    assert rows["where_left"].lines == ("Somewhere else",)
    assert rows["where_left_other"].page_id == "where-left"
    assert rows["preferred_date"].lines == ("2 April 2026",)
    assert rows["contact"].lines == ("07700 900123", "Updates by text message")
    assert rows["item_count"].label == "How many items do you want us to collect?"
    assert rows["item_count"].page_id == "item-count"


def test_check_your_answers_leaves_out_hidden_questions_and_shows_optional_blanks():
    definition = CATALOGUE["fly-tipping"]
    body = {
        "description": "Mattress",
        "location": {"latitude": 51.2720, "longitude": 0.5230, "description": "By the gate"},
        "seen_dumping": "no",
        "dumping_details": "hidden",
        "waste_types": ["furniture", "electrical"],
    }
    answers = forms.validate_submission(definition, body, on=ON).answers
    rows = {row.question_id: row for row in forms.check_your_answers(definition, answers)}
    assert "dumping_details" not in rows
    assert rows["location"].lines == ("Point on the map: 51.27200, 0.52300", "By the gate")
    assert rows["waste_types"].lines == ("Furniture or mattresses", "Fridges, freezers or electrical items")
    assert rows["seen_dumping"].lines == ("No",)
    assert rows["photo"].lines == (forms.NOT_PROVIDED,)
    assert rows["contact"].lines == (forms.NOT_PROVIDED,)


def test_every_page_of_every_service_has_rows_for_a_valid_body():
    for definition in CATALOGUE.values():
        answers = forms.validate_submission(definition, valid_body(definition), on=ON).answers
        rows = forms.check_your_answers(definition, answers)
        shown = {
            q.id
            for p in forms.visible_pages(definition, answers)
            for q in forms.visible_questions(definition, p, answers)
        }
        assert {row.question_id for row in rows} == shown
        assert all(row.lines and all(isinstance(line, str) for line in row.lines) for row in rows)


# --- HTML forms ----------------------------------------------------------------------------------------------------


def test_form_fields_become_raw_answers():
    definition = CATALOGUE["missed-bin"]
    form = {
        "address.line1": ["1 High Street"],
        "address.town": ["Maidstone"],
        "address.postcode": ["me15 6jq"],
        "csrf_token": ["abc"],
    }
    raw = forms.form_to_raw(definition.page("address"), form)
    assert raw["address"]["line1"] == "1 High Street"
    assert forms.validate_page(definition, "address", raw, on=ON).values["address"]["postcode"] == "ME15 6JQ"
    date_form = {"collection_date.day": ["26"], "collection_date.month": ["3"], "collection_date.year": ["2026"]}
    raw = forms.form_to_raw(definition.page("collection-date"), date_form)
    assert forms.validate_page(definition, "collection-date", raw, on=ON).values == {"collection_date": "2026-03-26"}
    fly = CATALOGUE["fly-tipping"]
    raw = forms.form_to_raw(fly.page("waste-types"), {"waste_types": ["household", "", "other"]})
    assert raw == {"waste_types": ["household", "other"]}
    raw = forms.form_to_raw(fly.page("location"), {"location.postcode": ["ME15 6JQ"], "location.latitude": [""]})
    assert forms.validate_page(fly, "location", raw, on=ON).values == {"location": {"postcode": "ME15 6JQ"}}
    assert forms.form_to_raw(fly.page("photo"), {"photo": ["x"]}) == {}
    empty = forms.form_to_raw(definition.page("contact"), {})
    assert forms.validate_page(definition, "contact", empty, on=ON).errors == [
        {"field": "contact", "message": "Enter an email address or a UK phone number"}
    ]
