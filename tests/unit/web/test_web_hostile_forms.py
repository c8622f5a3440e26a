"""Hostile input through the web's form fields never gives a 500 (issue 9, item 12, for pages).

Property-based (Hypothesis) over every form page of every service and the reminder forms, through the web's own
request handling (`Web.resolve` with payload 2.0 events, in-process): deep and huge values, odd and invalid
characters (lone surrogates, invalid UTF-8, control characters), wrong content types, repeated and unknown fields,
hostile cookies and query strings, oversized bodies. Each request carries the page's real CSRF token and draft
cookie (mostly), so it reaches the page's own validation rather than stopping at the CSRF check. Every answer is a
page the resident can read: 2xx, 3xx or 4xx, never a 5xx and never an exception.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web.answers import FORM_PARTS
from web.drafts import Draft
from web.http import MAX_FORM_BYTES

from shared.catalogue import ServiceDefinition, load_catalogue
from tests.unit.web.test_web_pages import _answers_showing
from tests.unit.web.web_support import harness, page_event
from web import security

pytestmark = pytest.mark.unit

CATALOGUE = load_catalogue()
PAGES = [(service_id, page.id) for service_id, d in CATALOGUE.items() for page in d.pages]
STEPS = ("check-answers", "save", "restart")  # a service's other forms
DRAFT_ID = "h" * 32
FORM = "application/x-www-form-urlencoded"
HOSTILE_TEXT = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=50),  # lone surrogates included
    st.sampled_from(["", " ", "\x00", "\ud800", "\udfff", "%", "%ZZ", "&", "=", "+", "\r\n", "<script>", "1e308"]),
    st.integers(min_value=-(10**400), max_value=10**400).map(str),  # huge numbers, as text
    st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n),  # deep nesting, as text
    st.integers(min_value=1, max_value=20_000).map(lambda n: "x" * n),  # long values
)
CONTENT_TYPES = st.sampled_from(
    [
        FORM,
        f"{FORM}; charset=utf-8",
        FORM.upper(),
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "",
    ]
)
ACTIONS = st.sampled_from(["save", "find-address", "remove", "submit", "other"])


def _field_names(definition: ServiceDefinition, page_id: str) -> list[str]:
    """The page's own field names (each compound part too), the names every form has, and ones it does not."""
    names = ["csrf_token", "action", "change", "email", "not-a-field", "", "a" * 300]
    for question in definition.page(page_id).questions:
        names.append(question.id)
        names.extend(f"{question.id}.{part}" for part in (*FORM_PARTS.get(question.type, ()), "mode", "find-postcode"))
    return names


def _encode(text: str) -> str:
    """Percent-encoded as a browser would, lone surrogates as the invalid UTF-8 bytes they would be."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _form(fields: list[tuple[str, str]]) -> str:
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in fields)


@st.composite
def hostile_posts(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    service_id, page_id = draw(st.sampled_from(PAGES))
    step = draw(st.one_of(st.just(page_id), st.sampled_from(STEPS)))
    names = _field_names(CATALOGUE[service_id], page_id)
    fields = draw(st.lists(st.tuples(st.sampled_from(names), HOSTILE_TEXT), max_size=12))
    if draw(st.booleans()):
        fields.append(("action", draw(ACTIONS)))
    body = _form(fields)
    if draw(st.integers(0, 9)) == 0:
        body = draw(st.binary(max_size=2000)).decode("latin-1")  # not a form at all
    with_token = draw(st.integers(0, 9)) > 0  # mostly: reach the page's own validation
    return service_id, step, {"body": body, "with_token": with_token, "content_type": draw(CONTENT_TYPES)}


def _event(path: str, post: dict[str, Any]) -> dict[str, Any]:
    token = security.csrf_token(DRAFT_ID)
    body = post["body"] + (f"&csrf_token={token}" if post["with_token"] else "")
    cookies = {security.DRAFT_COOKIE: DRAFT_ID, security.CSRF_COOKIE: token}
    event = page_event("POST", path, headers={"host": "www.example.gov.uk"}, cookies=cookies)
    event["headers"]["content-type"] = post["content_type"]
    event["body"] = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
    event["isBase64Encoded"] = True
    return event


def _served(result: dict[str, Any]) -> int:
    status = int(result["statusCode"])
    assert status < 500, result.get("body", "")[:2000]
    assert isinstance(result["body"], str)
    return status


def _with_draft(service_id: str, page_id: str | None) -> Any:
    h = harness(CATALOGUE)
    definition = CATALOGUE[service_id]
    answers = _answers_showing(definition, page_id) if page_id else {}
    h.drafts.put(Draft(id=DRAFT_ID, service_id=service_id, answers=answers, expires_at=int(h.now[0]) + 3600))
    return h


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(post=hostile_posts())
def test_no_form_post_to_any_page_of_any_service_is_a_server_error(post):
    service_id, step, fields = post
    page_id = step if step not in STEPS else CATALOGUE[service_id].pages[0].id
    h = _with_draft(service_id, page_id)
    status = _served(h.web.resolve(_event(f"/services/{service_id}/{step}", fields)))
    if fields["with_token"] and fields["content_type"].lower().startswith(FORM):
        assert status in (200, 303, 400, 403, 409, 413), status


PATHS = [*(f"/services/{s}/{p}" for s, p in PAGES), "/", "/track", "/reminders", "/reminders/confirm"]
QUERY_NAMES = st.sampled_from(["change", "manual", "t", "key", "q", "reference", "sent", "token", "by"])


@settings(max_examples=150, deadline=None)
@given(
    query=st.lists(st.tuples(QUERY_NAMES, HOSTILE_TEXT), max_size=6),
    path=st.sampled_from(PATHS),
    cookie=st.one_of(st.none(), HOSTILE_TEXT),
)
def test_no_page_with_a_hostile_query_string_or_cookie_is_a_server_error(query, path, cookie):
    on_a_service = path.startswith("/services/")
    h = _with_draft(
        path.split("/")[2] if on_a_service else "missed-bin", path.rsplit("/", 1)[-1] if on_a_service else None
    )
    cookies = {security.DRAFT_COOKIE: DRAFT_ID, **({security.CSRF_COOKIE: cookie} if cookie is not None else {})}
    _served(h.web.resolve(page_event("GET", path, query=_form(query), cookies=cookies)))


@settings(max_examples=150, deadline=None)
@given(
    path=st.sampled_from(["/reminders", "/reminders/confirm", "/reminders/unsubscribe"]),
    fields=st.lists(
        st.tuples(st.sampled_from(["postcode", "how", "email", "phone", "token", "csrf_token"]), HOSTILE_TEXT),
        max_size=8,
    ),
    cookie=st.one_of(st.none(), HOSTILE_TEXT),
)
def test_no_post_to_the_reminder_forms_is_a_server_error(path, fields, cookie):
    h = harness(CATALOGUE)
    token = security.csrf_token(security.REMINDERS_CSRF_BINDING)
    body = _form(fields) + f"&csrf_token={token}"
    event = page_event("POST", path, cookies={security.CSRF_COOKIE: token if cookie is None else cookie})
    event["body"] = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
    event["isBase64Encoded"] = True
    _served(h.web.resolve(event))


@pytest.mark.parametrize(("service_id", "page_id"), PAGES)
def test_a_body_over_the_limit_is_refused_with_413_on_every_page(service_id, page_id):
    h = harness(CATALOGUE)
    oversized = {"body": "a=" + "x" * MAX_FORM_BYTES, "with_token": True, "content_type": FORM}
    assert _served(h.web.resolve(_event(f"/services/{service_id}/{page_id}", oversized))) == 413


def test_a_non_ascii_csrf_token_is_refused_not_a_server_error():
    # hmac.compare_digest raises TypeError on non-ASCII text: before the fix, this was a 500.
    service_id, page_id = PAGES[0]
    h = _with_draft(service_id, page_id)
    event = _event(
        f"/services/{service_id}/{page_id}", {"body": "csrf_token=%C3%A9", "with_token": False, "content_type": FORM}
    )
    event["cookies"] = [f"{security.DRAFT_COOKIE}={DRAFT_ID}", f"{security.CSRF_COOKIE}=é"]
    assert _served(h.web.resolve(event)) == 403


def test_a_body_with_lone_surrogates_given_as_text_is_not_a_server_error():
    # API Gateway hands the body over as JSON text; "\\ud800" in it is a lone surrogate once decoded.
    service_id, page_id = PAGES[0]
    h = _with_draft(service_id, page_id)
    event = _event(f"/services/{service_id}/{page_id}", {"body": "", "with_token": True, "content_type": FORM})
    question = CATALOGUE[service_id].pages[0].questions[0].id
    event["body"] = f"{question}=\ud800\udfff&csrf_token={security.csrf_token(DRAFT_ID)}"
    event["isBase64Encoded"] = False
    _served(h.web.resolve(event))


def test_a_body_that_is_not_base64_is_refused_with_400():
    h = harness(CATALOGUE)
    service_id, page_id = PAGES[0]
    event = _event(f"/services/{service_id}/{page_id}", {"body": "", "with_token": True, "content_type": "text/plain"})
    event["body"] = "not base64!"
    assert _served(h.web.resolve(event)) == 400
