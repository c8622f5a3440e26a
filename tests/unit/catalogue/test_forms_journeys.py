"""Conditions, the pages a resident sees, hidden answers dropped, and fees.

How the web shows answers and fees (check your answers, the fee summary): tests/unit/web/test_web_answers.py.
"""

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
