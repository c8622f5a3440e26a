"""The visitor permits pages from a permit's manage link: the balance and the sessions, starting a session (the
fields sent as the permits function takes them; each refusal an error summary, nothing started), cancelling a day,
a bad link a 404 page, CSRF bound to the link, and the pages' structure (labels, error links, no script). On a fake
of the permits function (the rules themselves: tests/unit/permits/test_manage_wallet.py)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from web.api import ApiResult

from tests.unit.web.test_web_permit_manage import TOKEN, ManagedPermits
from tests.unit.web.web_support import Client, harness

pytestmark = pytest.mark.unit

BASE = f"/permits/manage/{TOKEN}"
HOURS = {"uprn": "100000000001", "zone": "A", "zone_name": "Central", "year": 2027, "unit": "minutes",
         "allowance": 7200, "used": 90, "left": 7110, "adjusted": 0,
         "description": "118 hours 30 minutes of 120 visitor hours left",
         "sessions": [{"id": "s1", "vrm": "LB19PTR", "start": "2027-06-08T16:00:00+00:00",
                       "end": "2027-06-08T19:00:00+00:00", "day": "", "cancelled": False,
                       "cancellable": False}]}  # fmt: skip
DAYS = {**HOURS, "zone": "B", "unit": "days", "allowance": 50, "used": 1, "left": 49, "description": "49 of 50 "
        "visitor days left", "sessions": [{"id": "d1", "vrm": "EV71ELC", "start": "2027-06-08T23:00:00+00:00",
        "end": "2027-06-09T23:00:00+00:00", "day": "2027-06-09", "cancelled": False, "cancellable": True}]}  # fmt: skip


class WalletPermits(ManagedPermits):
    def __init__(self) -> None:
        super().__init__()
        self.wallet: dict[str, Any] = dict(HOURS)
        self.start_answer = ApiResult(201, {"session": {"id": "s2", "vrm": "KX68DSL", "zone": "A",
                                                        "start": "2027-06-10T09:00:00+01:00",
                                                        "end": "2027-06-10T11:00:00+01:00"}})  # fmt: skip

    def visitors(self, token: str, *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "visitor-balance", "token": token})
        return ApiResult(200, self.wallet) if token == TOKEN else ApiResult(404, {"detail": "This link does not work."})

    def start_visitor_session(self, token: str, fields: dict[str, Any], *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "start-visitor-session", "token": token, **fields})
        return self.start_answer

    def cancel_visitor_session(self, token: str, session_id: str, *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "cancel-visitor-session", "token": token, "session_id": session_id})
        return ApiResult(200, {"session": {**DAYS["sessions"][0], "end": DAYS["sessions"][0]["start"]}})


@pytest.fixture
def site(catalogue):
    h = harness(catalogue)
    permits = WalletPermits()
    h.web.site.ports = dataclasses.replace(h.web.site.ports, permits=permits)
    return permits, Client(h.web)


def _asked(permits: WalletPermits, action: str) -> list[dict[str, Any]]:
    return [a for a in permits.asked if a["action"] == action]


def _structure_ok(body: str) -> None:
    """Every input has its label, every error-summary link names an element on the page, and no script is needed."""
    ids = set(re.findall(r'\bid="([^"]+)"', body))
    for field in re.findall(r'<input class="govuk-input[^>]*\bid="([^"]+)"', body):
        assert f'for="{field}"' in body, field
    for target in re.findall(r'<a href="#([^"]+)">', body):
        assert target in ids, target
    assert "<script" not in body.split("</main>")[0].split("<main")[-1]


def test_the_manage_page_links_to_visitor_permits(site):
    _, client = site
    assert f'href="{BASE}/visitors"' in client.get(BASE).body


def test_the_page_shows_the_balance_and_the_sessions_booked(site):
    _permits, client = site
    page = client.get(f"{BASE}/visitors")
    assert page.status == 200
    assert "118 hours 30 minutes of 120 visitor hours left in 2027" in page.body
    assert "LB19PTR" in page.body
    assert "8 June 2027, 17:00 to 20:00" in page.body
    assert 'name="start-time"' in page.body
    assert 'name="hours"' in page.body
    assert "controlled hours" in page.body
    assert "/visitors/cancel" not in page.body  # an hours session is not cancelled
    _structure_ok(page.body)


def test_starting_an_hours_session_sends_a_london_time_and_shows_it(site):
    permits, client = site
    client.get(f"{BASE}/visitors")
    page = client.post(f"{BASE}/visitors", {"vrm": "kx68 dsl", "visit-day": "10", "visit-month": "6",
                                            "visit-year": "2027", "start-time": "09:00", "hours": "2"})  # fmt: skip
    assert page.status == 200
    assert _asked(permits, "start-visitor-session") == [{"action": "start-visitor-session", "token": TOKEN,
        "vrm": "kx68 dsl", "start": "2027-06-10T09:00:00+01:00", "hours": 2}]  # fmt: skip
    assert "KX68DSL has a visitor permit for 10 June 2027, 09:00 to 11:00" in page.body


@pytest.mark.parametrize(
    ("form", "target"),
    [
        ({"vrm": "", "visit-day": "10", "visit-month": "6", "visit-year": "2027", "start-time": "9", "hours": "2"},
         "vrm"),
        ({"vrm": "KX68DSL", "visit-day": "31", "visit-month": "2", "visit-year": "2027", "start-time": "09:00",
          "hours": "2"}, "visit-day"),
        ({"vrm": "KX68DSL", "visit-day": "10", "visit-month": "6", "visit-year": "2027", "start-time": "25:00",
          "hours": "2"}, "start-time"),
        ({"vrm": "KX68DSL", "visit-day": "10", "visit-month": "6", "visit-year": "2027", "start-time": "09:00",
          "hours": "0"}, "hours"),
    ],
)  # fmt: skip
def test_a_malformed_field_is_an_error_summary_and_starts_nothing(site, form, target):
    permits, client = site
    client.get(f"{BASE}/visitors")
    page = client.post(f"{BASE}/visitors", form)
    assert page.status == 400
    assert "There is a problem" in page.body
    assert page.body.count('class="govuk-error-summary"') == 1  # the layout's, once (a browser test found two)
    assert "<title>Error: Visitor permits" in page.body  # "Error: " once
    assert f'<a href="#{target}">' in page.body
    assert page.body.count("govuk-error-message") >= 1
    assert _asked(permits, "start-visitor-session") == []
    _structure_ok(page.body)


@pytest.mark.parametrize(
    ("answer", "target", "text"),
    [
        (ApiResult(422, {"refusal": "NoAllowanceLeft", "detail": "That needs 2 hours but you have 1 hours left this "
                         "year"}), "hours", "you have 1 hours left"),
        (ApiResult(422, {"refusal": "OutsideControlledHours", "detail": "Parking in Central is not controlled at "
                         "that time, so your visitor does not need a permit"}), "visit-day", "not controlled"),
        (ApiResult(400, {"detail": "vrm: QQ! is not a UK registration mark"}), "vrm", ">QQ! is not a UK registration"),
        (ApiResult(400, {"detail": "QQ! is not a UK mark: check it against the log book"}), "vrm", ">QQ! is not a UK"),
    ],
)  # fmt: skip
def test_each_refusal_is_an_error_summary_on_the_page(site, answer, target, text):
    permits, client = site
    permits.start_answer = answer
    client.get(f"{BASE}/visitors")
    page = client.post(f"{BASE}/visitors", {"vrm": "QQ!", "visit-day": "10", "visit-month": "6",
                                            "visit-year": "2027", "start-time": "09:00", "hours": "2"})  # fmt: skip
    assert "There is a problem" in page.body
    assert f'<a href="#{target}">' in page.body
    assert text in page.body
    assert "has a visitor permit for" not in page.body
    _structure_ok(page.body)


def test_a_days_zone_asks_only_the_day_and_an_unused_day_is_cancelled(site):
    permits, client = site
    permits.wallet = dict(DAYS)
    page = client.get(f"{BASE}/visitors")
    assert 'name="hours"' not in page.body
    assert "49 of 50 visitor days left" in page.body
    assert "Wednesday 9 June 2027" in page.body
    assert f'action="{BASE}/visitors/cancel"' in page.body
    _structure_ok(page.body)
    client.post(f"{BASE}/visitors", {"vrm": "EV71ELC", "visit-day": "9", "visit-month": "6", "visit-year": "2027"})
    assert _asked(permits, "start-visitor-session")[0]["day"] == "2027-06-09"
    done = client.post(f"{BASE}/visitors/cancel", {"session_id": "d1"})
    assert _asked(permits, "cancel-visitor-session") == [{"action": "cancel-visitor-session", "token": TOKEN,
                                                           "session_id": "d1"}]  # fmt: skip
    assert "The visitor day for EV71ELC on Wednesday 9 June 2027 is cancelled" in done.body


def test_a_bad_link_is_a_404_and_a_post_without_the_links_csrf_token_starts_nothing(site):
    permits, client = site
    assert client.get("/permits/manage/PRMT0001.1900000000.forged/visitors").status == 404
    client.get(f"{BASE}/visitors")
    form = {"vrm": "KX68DSL", "visit-day": "10", "visit-month": "6", "visit-year": "2027"}
    assert client.post(f"{BASE}/visitors", form, csrf=False).status == 400
    assert client.post(f"{BASE}/visitors/cancel", {"session_id": "d1"}, csrf=False).status == 400
    assert _asked(permits, "start-visitor-session") == []
    assert _asked(permits, "cancel-visitor-session") == []
