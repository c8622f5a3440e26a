"""The resident web's pages over every service definition, with fakes for drafts, the API and uploads."""

from __future__ import annotations

import html
import re

import pytest
from web.drafts import Draft
from web.http import Request
from web.security import DRAFT_LIFETIME_SECONDS

from shared import forms
from shared.catalogue import ServiceDefinition
from tests.unit.web.web_support import (
    Client,
    complete_to_check_answers,
    harness,
    location,
    sample_form,
)

pytestmark = pytest.mark.unit


def _request(path: str) -> Request:
    return Request("GET", path, {}, {"host": "127.0.0.1:8080"}, {}, {})


def _all_pages(catalogue: dict[str, ServiceDefinition]) -> list[tuple[str, str]]:
    return [(sid, page.id) for sid, d in catalogue.items() for page in d.pages]


def _answers_showing(definition: ServiceDefinition, page_id: str) -> dict[str, object]:
    """Earlier answers that make every condition of the page and its questions hold."""
    page = definition.page(page_id)
    answers: dict[str, object] = {}
    for condition in (*(page.show_if or ()), *(c for q in page.questions for c in q.show_if or ())):
        target = definition.question(condition.question)
        if condition.not_ is not None:
            value = next(v for v in target.option_values() if v != condition.not_)
        else:
            value = condition.values()[0]
        answers[condition.question] = [value] if target.type == "checkboxes" else value
    return answers


def test_every_page_of_every_service_renders_with_its_questions_and_inline_errors(catalogue):
    h = harness(catalogue)
    for service_id, page_id in _all_pages(catalogue):
        definition = catalogue[service_id]
        page = definition.page(page_id)
        draft = Draft(id="d" * 32, service_id=service_id, answers=_answers_showing(definition, page_id))
        clean = h.web.questions.render_page(
            _request(f"/services/{service_id}/{page_id}"), definition, draft, page, {}, [], change=False
        )
        assert clean.status == 200, (service_id, page_id)
        assert html.escape(page.heading, quote=False) in clean.body
        assert "<h1" in clean.body
        errors: list[forms.FieldError] = [{"field": q.id, "message": f"Problem with {q.id}"} for q in page.questions]
        failed = h.web.questions.render_page(_request("/"), definition, draft, page, {}, errors, change=False)
        assert failed.status == 400
        assert "There is a problem" in failed.body
        for question in page.questions:
            assert f"Problem with {question.id}" in failed.body
        assert failed.body.count('class="govuk-error-message"') >= 1


def test_home_lists_every_service_by_topic_and_searches_without_javascript(catalogue):
    client = Client(harness(catalogue).web)
    home = client.get("/")
    assert home.status == 200
    for definition in catalogue.values():
        assert f'href="/services/{definition.id}"' in home.body
        assert html.escape(definition.topic, quote=False) in home.body
    found = client.get("/?q=fly-tipping")
    assert 'href="/services/fly-tipping"' in found.body
    assert 'href="/services/garden-waste"' not in found.body
    assert "1 service found" in found.body
    none = client.get("/?q=zzzz")
    assert "0 services found" in none.body


def test_branding_is_the_councils_with_no_crown_or_gds_font(catalogue):
    body = Client(harness(catalogue).web).get("/").body
    assert "Maidstone Borough Council" in body
    assert "GOV.UK" not in body
    assert "crown" not in body.lower()
    assert "GDS Transport" not in body


@pytest.mark.parametrize("service_id", ["missed-bin", "fly-tipping", "bulky-waste", "garden-waste", "complaint"])
def test_a_whole_journey_submits_once_through_the_api(catalogue, service_id):
    h = harness(catalogue)
    client = Client(h.web)
    check = complete_to_check_answers(client, catalogue[service_id], h.drafts)
    page = client.get(check)
    assert page.status == 200
    assert "Check your answers" in page.body
    done = location(client.post(check, {"action": "submit"}))
    assert done.endswith("/confirmation")
    again = client.post(
        check,
        {"action": "submit", "csrf_token": re.search(r'value="([^"]+)"', page.body.split("csrf_token")[1]).group(1)},
    )
    assert location(again).endswith("/confirmation")  # a double click: still one request
    assert len(h.api.submissions) == 1
    assert h.api.submissions[0]["key"] == client.cookies[("borough_draft", f"/services/{service_id}")]
    confirmation = client.get(done)
    reference = h.api.submissions and next(iter(h.api.requests))
    assert reference in confirmation.body
    assert "govuk-panel--confirmation" in confirmation.body


def test_fee_is_shown_on_check_your_answers(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    check = complete_to_check_answers(client, catalogue["bulky-waste"], h.drafts)
    body = client.get(check).body
    assert 'id="fee-amount">£25<' in body
    garden = complete_to_check_answers(client, catalogue["garden-waste"], h.drafts)
    assert 'id="fee-amount">£' in client.get(garden).body


def test_required_messages_appear_in_the_summary_and_inline_and_typed_values_are_kept(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    first = location(client.get("/services/bulky-waste/begin"))
    assert first.endswith("/address")
    client.get(first)
    reply = client.post(first, {"address.line1": "1 High Street", "address.postcode": "not a postcode"})
    assert reply.status == 400
    summary = reply.body.split("govuk-error-summary__list")[1].split("</ul>")[0]
    assert '<a href="#address-town">Enter town or city</a>' in summary
    assert "Enter a full UK postcode" in summary
    assert 'id="address-town-error"' in reply.body
    assert 'value="1 High Street"' in reply.body
    assert 'value="not a postcode"' in reply.body
    assert reply.body.startswith("<!DOCTYPE html>")
    assert "<title>Error: " in reply.body


@pytest.mark.parametrize("service_id", ["missed-bin", "fly-tipping", "foi-request", "complaint", "garden-waste"])
def test_every_required_question_names_its_message_when_left_blank(catalogue, service_id):
    h = harness(catalogue)
    client = Client(h.web)
    definition = catalogue[service_id]
    target = location(client.get(f"/services/{service_id}/begin"))
    while not target.endswith("/check-answers"):
        client.get(target)
        page = definition.page(target.rsplit("/", 1)[-1])
        blank = client.post(target, {})
        required = [q for q in page.questions if q.required and q.show_if is None and q.type != "file"]
        if required:
            assert blank.status == 400
            for question in required:
                message = html.escape(question.validation.required.message, quote=False)  # type: ignore[union-attr]
                assert message in blank.body, (service_id, question.id)
        draft = h.drafts.get(client._cookies_for(target)["borough_draft"])
        assert draft is not None
        target = location(client.post(target, sample_form(definition, page, draft.answers)))


def test_conditions_show_a_page_only_when_an_earlier_answer_matches(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    definition = catalogue["fly-tipping"]
    target = location(client.get("/services/fly-tipping/begin"))
    answers = {"seen-dumping": {"seen_dumping": "yes"}}
    while not target.endswith("/check-answers"):
        client.get(target)
        page_id = target.rsplit("/", 1)[-1]
        draft = h.drafts.get(client._cookies_for(target)["borough_draft"])
        form = answers.get(page_id) or sample_form(definition, definition.page(page_id), draft.answers)  # type: ignore[union-attr]
        if page_id == "dumping-details":
            form = {"dumping_details": "A white van, registration AB12 CDE"}
        target = location(client.post(target, form))
    body = client.get(target).body
    assert "A white van, registration AB12 CDE" in body
    # Change "did you see who dumped it" to no: the details page and its answer drop out.
    client.get("/services/fly-tipping/seen-dumping?change=1")
    back = location(client.post("/services/fly-tipping/seen-dumping", {"seen_dumping": "no", "change": "1"}))
    assert back.endswith("/check-answers")
    assert "A white van" not in client.get(back).body
    # And back to yes: the details page is asked again before check your answers.
    client.get("/services/fly-tipping/seen-dumping?change=1")
    reopened = location(client.post("/services/fly-tipping/seen-dumping", {"seen_dumping": "yes", "change": "1"}))
    assert reopened.endswith("/check-answers")  # answered before, so still complete


def test_a_question_shown_by_a_choice_on_its_own_page_nests_under_that_choice(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    complete_to_check_answers(client, catalogue["bulky-waste"], h.drafts)
    page = client.get("/services/bulky-waste/where-left?change=1")
    assert 'data-aria-controls="conditional-where_left-4"' in page.body
    assert 'id="conditional-where_left-4"' in page.body
    missing = client.post("/services/bulky-waste/where-left", {"where_left": "other", "change": "1"})
    assert missing.status == 400
    assert "Enter where you will leave the items" in missing.body
    ok = client.post("/services/bulky-waste/where-left", {"where_left": "other", "where_left_other": "By the gate"})
    assert location(ok).endswith("/preferred-date")


def test_change_from_check_your_answers_returns_there(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    check = complete_to_check_answers(client, catalogue["foi-request"], h.drafts)
    body = client.get(check).body
    change = re.search(r'href="(/services/foi-request/[a-z-]+\?change=1)"', body).group(1)  # type: ignore[union-attr]
    page = client.get(change)
    assert 'name="change" value="1"' in page.body
    assert 'href="/services/foi-request/check-answers" class="govuk-back-link"' in page.body
    form = sample_form(catalogue["foi-request"], catalogue["foi-request"].page(change.split("/")[-1].split("?")[0]), {})
    assert location(client.post(change.split("?")[0], {**form, "change": "1"})) == check


def test_a_script_typed_into_an_answer_is_shown_escaped(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    check = complete_to_check_answers(client, catalogue["fly-tipping"], h.drafts)
    client.get("/services/fly-tipping/description?change=1")
    script = '<script>alert("owned")</script>'
    client.post("/services/fly-tipping/description", {"description": script, "change": "1"})
    body = client.get(check).body
    assert script not in body
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in body
    page = client.get("/services/fly-tipping/description?change=1").body
    assert script not in page


def test_csrf_missing_or_wrong_is_refused_and_nothing_is_saved_or_sent(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    check = complete_to_check_answers(client, catalogue["missed-bin"], h.drafts)
    client.get(check)
    missing = client.post(check, {"action": "submit"}, csrf=False)
    assert missing.status == 400
    assert "security code" in missing.body
    wrong = client.post(check, {"action": "submit", "csrf_token": "abc.def"})
    assert wrong.status == 403
    # A token issued for another draft, in both the cookie and the form: still refused (it is signed per draft).
    other = Client(h.web)
    other_page = location(other.get("/services/missed-bin/begin"))
    other.get(other_page)
    stolen = other.cookies[("borough_csrf", "/services/missed-bin")]
    client.cookies[("borough_csrf", "/services/missed-bin")] = stolen
    assert client.post(check, {"action": "submit", "csrf_token": stolen}).status == 403
    assert h.api.submissions == []
    # Nor is a page's answer saved without a token.
    draft_id = client.cookies[("borough_draft", "/services/missed-bin")]
    before = h.drafts.get(draft_id)
    page_id = catalogue["missed-bin"].pages[0].id
    assert client.post(f"/services/missed-bin/{page_id}", {}, csrf=False).status == 400
    assert h.drafts.get(draft_id) == before


def test_an_expired_draft_gets_a_clear_page_and_nothing_is_submitted(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    check = complete_to_check_answers(client, catalogue["graffiti"], h.drafts)
    page = client.get(check)
    h.now[0] += DRAFT_LIFETIME_SECONDS + 60
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.body).group(1)  # type: ignore[union-attr]
    expired = client.post(check, {"action": "submit", "csrf_token": token})
    assert expired.status == 410
    assert "Your answers have expired" in expired.body
    assert client.get(check).status == 410
    assert h.api.submissions == []
    restart = location(client.get("/services/graffiti/begin"))
    assert restart == f"/services/graffiti/{catalogue['graffiti'].pages[0].id}"


def test_tampered_fields_and_urls_are_refused(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    first = location(client.get("/services/fly-tipping/begin"))
    client.get(first)
    # A page that is not shown yet (its condition does not hold) cannot be posted to.
    hidden = client.post("/services/fly-tipping/dumping-details", {"dumping_details": "x"})
    assert location(hidden) == first
    # Values that are not options.
    location(client.post(first, {"description": "Some rubbish"}))
    client.get("/services/fly-tipping/location")
    location(client.post("/services/fly-tipping/location", {"location.postcode": "ME15 6JQ"}))
    client.get("/services/fly-tipping/waste-types")
    bad = client.post("/services/fly-tipping/waste-types", {"waste_types": ["household", "plutonium"]})
    assert bad.status == 400
    assert "Select the kinds of waste from the list" in bad.body
    # A draft cookie that is not ours, another service's, or unknown pages.
    client.cookies[("borough_draft", "/services/fly-tipping")] = "<script>"
    assert location(client.get("/services/fly-tipping/location")) == "/services/fly-tipping"
    assert client.get("/services/fly-tipping/no-such-page").status == 404
    assert client.get("/services/no-such-service").status == 404
    assert client.get("/services/fly-tipping/photo/uploaded?t=forged&key=x").status in (303, 400)
    assert client.request("DELETE", "/").status == 405


def test_track_your_request_uses_the_api(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    check = complete_to_check_answers(client, catalogue["missed-bin"], h.drafts)
    client.get(check)
    client.post(check, {"action": "submit"})
    reference = next(iter(h.api.requests))
    form = client.get("/track")
    assert form.status == 200
    assert 'name="reference"' in form.body
    found = client.get(f"/track?reference={reference.lower().replace('-', ' ')}")
    assert found.status == 200
    assert f"Request {reference}" in found.body
    assert "Received" in found.body
    assert client.get("/track?reference=").status == 400
    wrong = client.get("/track?reference=NOPE")
    assert wrong.status == 400
    assert "exactly as it is shown" in wrong.body
    from shared.references import new_reference

    unknown = client.get(f"/track?reference={new_reference()}")
    assert "We cannot find a request" in unknown.body


def test_cookies_are_secure_httponly_samesite_and_scoped_to_the_service(catalogue):
    h = harness(catalogue)
    remote = Client(h.web, host="www.example.gov.uk")
    reply = remote.get("/services/graffiti/begin")
    (cookie,) = reply.cookies
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    assert "Path=/services/graffiti" in cookie
    assert f"Max-Age={DRAFT_LIFETIME_SECONDS}" in cookie
    local = Client(h.web).get("/services/graffiti/begin")
    assert "Secure" not in local.cookies[0]


def test_the_start_page_offers_to_continue_a_draft(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    first = location(client.get("/services/complaint/begin"))
    client.get(first)
    definition = catalogue["complaint"]
    client.post(first, sample_form(definition, definition.pages[0], {}))
    start = client.get("/services/complaint")
    assert "Continue where you left off" in start.body
    restarted = client.post("/services/complaint/restart", {})
    assert location(restarted) == first
    assert "Continue where you left off" not in client.get("/services/complaint").body
