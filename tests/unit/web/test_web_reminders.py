"""Bin collection reminder pages: sign up, and the pages the emailed confirm and unsubscribe links open.

A GET never changes anything (mail scanners follow links); the button POSTs with a CSRF token and the web asks the
subscriptions API (a fake here; tests/unit/notifications/test_reminder_pages.py runs the real one).
"""

from __future__ import annotations

import html

import pytest

from tests.unit.web.web_support import Client, harness, location

pytestmark = pytest.mark.unit

TOKEN = "WyJjb25maXJtIiwic3ViLTEiLDEsMTc5NjA4OTI2M10.eiFR-e-sf5erpype0-Zj3nwMvbZegkY7u0jXM-I9i8Y"


@pytest.fixture
def h(catalogue):
    return harness(catalogue)


@pytest.mark.parametrize("action", ["confirm", "unsubscribe"])
def test_opening_a_link_shows_a_page_with_a_button_and_changes_nothing(h, action):
    h.api.reminder_tokens[TOKEN] = action
    client = Client(h.web)
    for method in ("GET", "HEAD", "GET"):  # a mail scanner, a prefetch, the resident
        page = client.request(method, f"/reminders/{action}?token={TOKEN}")
        assert page.status == 200
    assert h.api.reminder_calls == []
    assert f'action="/reminders/{action}"' in page.body
    assert f'name="token" value="{TOKEN}"' in page.body
    assert 'method="post"' in page.body
    assert "Confirm reminders" in page.body if action == "confirm" else "Stop reminders" in page.body
    assert page.headers.get("cache-control") != "public"


@pytest.mark.parametrize(("action", "done"), [("confirm", "confirmed"), ("unsubscribe", "unsubscribed")])
def test_the_button_changes_the_subscription_once(h, action, done):
    h.api.reminder_tokens[TOKEN] = action
    client = Client(h.web)
    client.get(f"/reminders/{action}?token={TOKEN}")
    pressed = client.post(f"/reminders/{action}", {"token": TOKEN})
    assert location(pressed) == f"/reminders/{done}"
    assert h.api.reminder_calls == [(action, {"token": TOKEN})]
    shown = client.get(f"/reminders/{done}")
    assert shown.status == 200
    assert ("are set up" if action == "confirm" else "not get any more") in shown.body
    # The same link again (the back button, a second click): the API says it is used; a clear page, not an error.
    client.get(f"/reminders/{action}?token={TOKEN}")
    again = client.post(f"/reminders/{action}", {"token": TOKEN})
    assert again.status == 410
    assert "expired or has already been used" in again.body


def test_csrf_is_required_and_signed_for_the_reminder_pages(h, catalogue):
    h.api.reminder_tokens[TOKEN] = "confirm"
    client = Client(h.web)
    client.get(f"/reminders/confirm?token={TOKEN}")
    cookie = client.cookies[("borough_csrf", "/reminders")]
    assert client.post("/reminders/confirm", {"token": TOKEN}, csrf=False).status == 400
    assert client.post("/reminders/confirm", {"token": TOKEN, "csrf_token": "abc.def"}).status == 403
    # A service form's token (signed for its draft), in both cookie and form: refused here.
    other = Client(h.web)
    other.get(location(other.get("/services/missed-bin/begin")))
    stolen = other.cookies[("borough_csrf", "/services/missed-bin")]
    client.cookies[("borough_csrf", "/reminders")] = stolen
    assert client.post("/reminders/confirm", {"token": TOKEN, "csrf_token": stolen}).status == 403
    assert h.api.reminder_calls == []
    client.cookies[("borough_csrf", "/reminders")] = cookie
    assert location(client.post("/reminders/confirm", {"token": TOKEN, "csrf_token": cookie}))


def test_the_csrf_cookie_is_scoped_to_the_reminder_pages(h):
    reply = Client(h.web, host="council.example").get("/reminders")
    (cookie,) = reply.cookies
    assert cookie.startswith("borough_csrf=")
    for part in ("Path=/reminders", "HttpOnly", "SameSite=Lax", "Secure", "Max-Age=86400"):
        assert part in cookie.split("; ")


@pytest.mark.parametrize(
    "target", ["/reminders/confirm", "/reminders/confirm?token=", "/reminders/unsubscribe?token=<b>x"]
)
def test_a_link_without_a_proper_token_gets_a_clear_page(h, target):
    page = Client(h.web).get(target)
    assert page.status == 400
    assert "<b>x" not in page.body
    assert "expired or has already been used" in page.body


def test_a_forged_token_in_the_form_is_refused_without_asking_the_api(h):
    client = Client(h.web)
    client.get(f"/reminders/unsubscribe?token={TOKEN}")
    assert client.post("/reminders/unsubscribe", {"token": "not a token"}).status == 400
    assert h.api.reminder_calls == []


@pytest.mark.parametrize("path", ["/reminders/confirmed", "/reminders/requested", "/reminders/unsubscribed"])
def test_result_pages_are_get_only(h, path):
    client = Client(h.web)
    assert client.get(path).status == 200
    assert client.request("POST", path).status == 405


def test_unknown_reminder_paths_are_not_found(h):
    assert Client(h.web).get("/reminders/other").status == 404


def test_the_home_page_links_to_reminders(h):
    assert 'href="/reminders"' in Client(h.web).get("/").body


# -- sign up ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("form", "call"),
    [
        (
            {"postcode": "me14 1hq", "how": "email", "email": " Resident@Example.org "},
            {"postcode": "ME14 1HQ", "contact": {"email": "Resident@example.org", "preference": "email"}},
        ),
        (
            {"postcode": "ME15 6JQ", "how": "sms", "phone": "07700 900 982", "email": "ignored@example.org"},
            {"postcode": "ME15 6JQ", "contact": {"phone": "+447700900982", "preference": "sms"}},
        ),
    ],
)
def test_signing_up_asks_the_subscriptions_api_and_says_what_happens_next(h, form, call):
    client = Client(h.web)
    page = client.get("/reminders")
    assert page.status == 200
    assert "Get bin collection reminders" in page.body
    done = location(client.post("/reminders", form))
    assert h.api.reminder_calls == [("subscriptions", call)]
    shown = client.get(done)
    assert shown.status == 200
    assert ("Check your phone" if form["how"] == "sms" else "Check your email") in shown.body


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"how": "email", "email": "a@example.org"}, "postcode", "Enter your postcode"),
        ({"postcode": "not one", "how": "email", "email": "a@example.org"}, "postcode", "Enter a full UK postcode"),
        ({"postcode": "ME14 1HQ"}, "how", "Select how you would like to get reminders"),
        ({"postcode": "ME14 1HQ", "how": "email"}, "email", "Enter your email address"),
        ({"postcode": "ME14 1HQ", "how": "email", "email": "nope"}, "email", "correct format"),
        ({"postcode": "ME14 1HQ", "how": "sms"}, "phone", "Enter your mobile phone number"),
        ({"postcode": "ME14 1HQ", "how": "sms", "phone": "01632 960 001"}, "phone", "UK mobile"),  # a landline
        ({"postcode": "SW1A 1AA", "how": "email", "email": "a@example.org"}, "postcode", "in the borough"),
    ],
)
def test_sign_up_errors_are_summarised_and_inline_and_keep_what_was_typed(h, form, field, message):
    client = Client(h.web)
    client.get("/reminders")
    page = client.post("/reminders", form)
    assert page.status == 400
    body = html.unescape(page.body)
    assert f'href="#{field}"' in page.body
    assert f'id="{field}-error"' in page.body
    assert message in body
    for value in form.values():
        assert f'value="{value}"' in body or value in ("email", "sms")
    if field != "postcode" or "borough" not in message:
        assert [c for c in h.api.reminder_calls if c[0] == "subscriptions"] == []


def test_signing_up_passes_on_where_the_request_came_from_for_the_per_client_limit(h):
    client = Client(h.web)
    client.headers = {"x-forwarded-for": "203.0.113.9"}  # CloudFront appends the viewer's address
    client.get("/reminders")
    location(client.post("/reminders", {"postcode": "ME14 1HQ", "how": "email", "email": "a@example.org"}))
    [given] = h.api.reminder_clients
    assert (given.forwarded_for, given.source_ip) == ("203.0.113.9", "127.0.0.1")


def test_the_subscriptions_function_sees_the_viewer_the_web_passes_on(monkeypatch):
    from web.api import Client as PageClient
    from web.api import LambdaApi

    from notifications.confirmation_limits import client_address

    sent: list[dict] = []
    monkeypatch.setattr(LambdaApi, "_invoke", staticmethod(lambda function, event: sent.append(event)))
    api = LambdaApi("catalogue", "cases", "subscriptions")
    api.reminders("subscriptions", {}, correlation_id="c", client=PageClient("198.51.100.7", "130.176.0.1"))
    api.reminders("subscriptions", {}, correlation_id="c")  # no client known: no address made up
    assert [client_address(event) for event in sent] == ["198.51.100.7", None]


def test_over_the_per_client_limit_the_page_says_nothing_was_sent_and_when_to_try_again(h):
    from web.api import ApiResult

    h.api.refuse_subscriptions_with = ApiResult(429, {"detail": "Too many requests"})
    client = Client(h.web)
    client.get("/reminders")
    page = client.post("/reminders", {"postcode": "ME14 1HQ", "how": "email", "email": "a@example.org"})
    assert page.status == 429
    assert "We have not sent anything this time. Wait an hour, then try again." in page.body


def test_sign_up_needs_a_csrf_token(h):
    client = Client(h.web)
    client.get("/reminders")
    form = {"postcode": "ME14 1HQ", "how": "email", "email": "a@example.org"}
    assert client.post("/reminders", form, csrf=False).status == 400
    assert h.api.reminder_calls == []
