"""How the web shows answers (check your answers, the fee) and reads them from HTML forms (web/answers.py),
over the form engine (shared/forms.py) and the real service definitions."""

from __future__ import annotations

import pytest

from shared import forms
from shared.catalogue import ServiceDefinition, load_catalogue
from tests.unit.catalogue.service_examples import ON, valid_body
from web import answers as web_answers

pytestmark = pytest.mark.unit

CATALOGUE = load_catalogue()


@pytest.mark.parametrize(("bins", "pence", "shown"), [("1", 5200, "£52"), ("2", 9200, "£92"), ("3", 13200, "£132")])
def test_garden_waste_fee_by_number_of_bins(bins: str, pence: int, shown: str):
    definition = CATALOGUE["garden-waste"]
    answers = forms.validate_submission(definition, {**valid_body(definition), "bins": bins}, on=ON).answers
    assert forms.compute_fee(definition, answers) == pence
    summary = web_answers.fee_summary(definition, answers)
    assert summary == web_answers.FeeSummary(pence, shown, "Garden waste collection for 12 months")


def test_free_services_cost_nothing_and_the_fee_needs_its_answer():
    for service in ("missed-bin", "fly-tipping", "graffiti", "abandoned-shopping-trolley", "foi-request", "complaint"):
        definition = CATALOGUE[service]
        assert not definition.charges
        assert forms.validate_submission(definition, valid_body(definition), on=ON).amount_due_pence == 0
        assert web_answers.fee_summary(definition, {}) is None
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
    assert web_answers.fee_summary(fixed, {}).display == "£19.99"


@pytest.mark.parametrize(
    ("pence", "shown"), [(0, "£0"), (5, "£0.05"), (2500, "£25"), (4150, "£41.50"), (125000, "£1,250")]
)
def test_format_pence(pence: int, shown: str):
    assert web_answers.format_pence(pence) == shown


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
    rows = {row.question_id: row for row in web_answers.check_your_answers(definition, answers)}
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
    rows = {row.question_id: row for row in web_answers.check_your_answers(definition, answers)}
    assert "dumping_details" not in rows
    assert rows["location"].lines == ("Point on the map: 51.27200, 0.52300", "By the gate")
    assert rows["waste_types"].lines == ("Furniture or mattresses", "Fridges, freezers or electrical items")
    assert rows["seen_dumping"].lines == ("No",)
    assert rows["photo"].lines == (web_answers.NOT_PROVIDED,)
    assert rows["contact"].lines == (web_answers.NOT_PROVIDED,)


def test_every_page_of_every_service_has_rows_for_a_valid_body():
    for definition in CATALOGUE.values():
        answers = forms.validate_submission(definition, valid_body(definition), on=ON).answers
        rows = web_answers.check_your_answers(definition, answers)
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
    raw = web_answers.form_to_raw(definition.page("address"), form)
    assert raw["address"]["line1"] == "1 High Street"
    assert forms.validate_page(definition, "address", raw, on=ON).values["address"]["postcode"] == "ME15 6JQ"
    date_form = {"collection_date.day": ["26"], "collection_date.month": ["3"], "collection_date.year": ["2026"]}
    raw = web_answers.form_to_raw(definition.page("collection-date"), date_form)
    assert forms.validate_page(definition, "collection-date", raw, on=ON).values == {"collection_date": "2026-03-26"}
    fly = CATALOGUE["fly-tipping"]
    raw = web_answers.form_to_raw(fly.page("waste-types"), {"waste_types": ["household", "", "other"]})
    assert raw == {"waste_types": ["household", "other"]}
    raw = web_answers.form_to_raw(fly.page("location"), {"location.postcode": ["ME15 6JQ"], "location.latitude": [""]})
    assert forms.validate_page(fly, "location", raw, on=ON).values == {"location": {"postcode": "ME15 6JQ"}}
    assert web_answers.form_to_raw(fly.page("photo"), {"photo": ["x"]}) == {}
    empty = web_answers.form_to_raw(definition.page("contact"), {})
    assert forms.validate_page(definition, "contact", empty, on=ON).errors == [
        {"field": "contact", "message": "Enter an email address or a UK phone number"}
    ]
