"""The carer permit's pages from its manage link: the permit and the vehicle covered now, starting a session (the
fields sent as the permits function takes them; each refusal an error summary, nothing started), ending it, a bad
link a 404 page, CSRF bound to the link, the manage page's carer links, and the pages' structure (labels, error
links, no script). On a fake of the permits function (the rules: tests/unit/permits/test_carer_permits.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from web.api import ApiResult

from tests.unit.web.test_web_permit_manage import PERMIT, TOKEN, ManagedPermits
from tests.unit.web.test_web_permit_pages import HOPFIELD, FakeLookup, FakePermits, PermitPay
from tests.unit.web.test_web_visitor_pages import _structure_ok
from tests.unit.web.web_support import Client, harness, location

pytestmark = pytest.mark.unit

BASE = f"/permits/manage/{TOKEN}"
CARER_PERMIT = {**PERMIT, "kind": "carer", "vrm": "", "zone": "A"}
SESSION = {"id": "c1", "vrm": "KX68DSL", "zone": "A", "start": "2027-06-08T08:00:00+00:00",
           "end": "2027-06-08T11:00:00+00:00"}  # fmt: skip
SHOWN = {"reference": "PRMT-0001", "permit_id": "p" * 32, "zone": "A", "zone_name": "Town centre",
         "valid_from": "2026-12-03", "valid_to": "2027-03-31", "in_force": True, "max_hours": 24,
         "session": None}  # fmt: skip


class CarerPermits(ManagedPermits):
    def __init__(self) -> None:
        super().__init__()
        self.permit = dict(CARER_PERMIT)
        self.shown: dict[str, Any] = dict(SHOWN)
        self.start_answer = ApiResult(201, {"session": SESSION})

    def carer(self, token: str, *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "carer-permit", "token": token})
        return ApiResult(200, self.shown) if token == TOKEN else ApiResult(404, {"detail": "This link does not work."})

    def start_carer_session(self, token: str, fields: dict[str, Any], *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "start-carer-session", "token": token, **fields})
        if self.start_answer.status == 201:
            self.shown = {**self.shown, "session": SESSION}
        return self.start_answer

    def end_carer_session(self, token: str, session_id: str, *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "end-carer-session", "token": token, "session_id": session_id})
        self.shown = {**self.shown, "session": None}
        return ApiResult(200, {"session": {**SESSION, "end": "2027-06-08T09:30:00+00:00"}})


@pytest.fixture
def site(catalogue):
    h = harness(catalogue)
    permits = CarerPermits()
    h.web.site.ports = dataclasses.replace(h.web.site.ports, permits=permits)
    return permits, Client(h.web)


def _asked(permits: CarerPermits, action: str) -> list[dict[str, Any]]:
    return [a for a in permits.asked if a["action"] == action]


def test_the_manage_page_of_a_carer_permit_links_to_its_sessions_not_to_a_vehicle(site):
    _, client = site
    page = client.get(BASE).body
    assert f'href="{BASE}/carer"' in page
    assert "not tied to one vehicle" in page
    assert f'href="{BASE}/vehicle"' not in page
    assert f'href="{BASE}/visitors"' not in page


def test_the_page_shows_the_permit_and_no_vehicle_covered(site):
    _, client = site
    page = client.get(f"{BASE}/carer")
    assert page.status == 200
    assert "Town centre (zone A), 3 December 2026 to 31 March 2027" in page.body
    text = page.body.replace("&#39;", "'")
    assert "one carer's vehicle at a time, in zone A only, for up to 24 hours" in text
    assert "No carer's vehicle is covered now." in text
    assert 'name="vrm"' in page.body
    assert "A whole number from 1 to 24" in page.body
    _structure_ok(page.body)


def test_starting_a_session_sends_the_mark_and_hours_and_shows_it_covered(site):
    permits, client = site
    client.get(f"{BASE}/carer")
    page = client.post(f"{BASE}/carer", {"vrm": "kx68 dsl", "hours": "3"})
    assert page.status == 200
    assert _asked(permits, "start-carer-session") == [
        {"action": "start-carer-session", "token": TOKEN, "vrm": "kx68 dsl", "hours": 3}
    ]
    assert "KX68DSL is covered by your carer permit until 12:00" in page.body  # 11:00 UTC is 12:00 in June
    assert "8 June 2027, 09:00 to 12:00" in page.body
    assert f'action="{BASE}/carer/end"' in page.body
    _structure_ok(page.body)


def test_ending_the_session_sends_its_id(site):
    permits, client = site
    permits.shown = {**SHOWN, "session": SESSION}
    client.get(f"{BASE}/carer")
    page = client.post(f"{BASE}/carer/end", {"session_id": "c1"})
    assert _asked(permits, "end-carer-session") == [{"action": "end-carer-session", "token": TOKEN, "session_id": "c1"}]
    assert "KX68DSL is no longer covered by your carer permit" in page.body


@pytest.mark.parametrize(("form", "target"), [({"vrm": "", "hours": "2"}, "vrm"), ({"vrm": "KX68DSL", "hours": "25"},
                                             "hours"), ({"vrm": "KX68DSL", "hours": "two"}, "hours")])  # fmt: skip
def test_a_malformed_field_is_an_error_summary_and_starts_nothing(site, form, target):
    permits, client = site
    client.get(f"{BASE}/carer")
    page = client.post(f"{BASE}/carer", form)
    assert page.status == 400
    assert f'<a href="#{target}">' in page.body
    assert _asked(permits, "start-carer-session") == []
    _structure_ok(page.body)


@pytest.mark.parametrize(
    ("answer", "target", "text"),
    [
        (ApiResult(422, {"refusal": "SessionRunning", "detail": "A carer's vehicle (LB19PTR) is covered until 12:00"}),
         "session", "is covered until 12:00"),
        (ApiResult(422, {"refusal": "OutsideControlledHours", "detail": "No minute of that time is controlled"}),
         "hours", "No minute of that time"),
        (ApiResult(400, {"detail": "vrm: QQ! is not a UK registration mark"}), "vrm", ">QQ! is not a UK registration"),
    ],
)  # fmt: skip
def test_each_refusal_is_an_error_summary_on_the_page(site, answer, target, text):
    permits, client = site
    permits.start_answer = answer
    client.get(f"{BASE}/carer")
    page = client.post(f"{BASE}/carer", {"vrm": "QQ!", "hours": "2"})
    assert f'<a href="#{target}">' in page.body
    assert text in page.body.replace("&#39;", "'")
    assert "is covered by your carer permit" not in page.body
    _structure_ok(page.body)


def test_a_permit_not_in_force_offers_no_form(site):
    permits, client = site
    permits.shown = {**SHOWN, "in_force": False}
    page = client.get(f"{BASE}/carer")
    assert 'name="vrm"' not in page.body
    assert "not in force today" in page.body


def test_a_bad_link_is_a_404_and_a_post_without_the_links_csrf_token_starts_nothing(site):
    permits, client = site
    assert client.get("/permits/manage/PRMT0001.1900000000.forged/carer").status == 404
    client.get(f"{BASE}/carer")
    assert client.post(f"{BASE}/carer", {"vrm": "KX68DSL", "hours": "2"}, csrf=False).status == 400
    assert client.post(f"{BASE}/carer/end", {"session_id": "c1"}, csrf=False).status == 400
    assert _asked(permits, "start-carer-session") == []
    assert _asked(permits, "end-carer-session") == []


# -- applying for one in the web's journey -------------------------------------------------------------------------

CARER_TYPE = {"kind": "carer", "name": "Carer permit (covers your carer's vehicle while they visit, one vehicle at "
              "a time)", "lengths": [{"months": 12, "amount_pence": 3000, "amount": "£30.00"}], "by_vehicle": False,
              "per_household": False}  # fmt: skip


class CarerOffers(FakePermits):
    def __init__(self) -> None:
        super().__init__()
        self.zone = {**HOPFIELD, "types": [*HOPFIELD["types"], CARER_TYPE]}
        self.sent: list[dict[str, Any]] = []

    def offers(self, *, correlation_id: str) -> ApiResult:
        return ApiResult(200, {"zones": [self.zone]})

    def zone_of(self, address: dict[str, str], *, correlation_id: str) -> ApiResult:
        return ApiResult(200, {"zone": self.zone})

    def apply(self, application: dict[str, Any], *, correlation_id: str) -> ApiResult:
        self.sent.append(dict(application))  # as the web sent it (the base fake's answer needs a `vrm`)
        return super().apply({"vrm": "", **application}, correlation_id=correlation_id)


def test_a_carer_permit_is_applied_for_without_the_vehicle_step_and_sent_with_no_mark(catalogue):
    h = harness(catalogue, addresses=FakeLookup())
    permits = CarerOffers()
    h.web.site.ports = dataclasses.replace(h.web.site.ports, permits=permits, payments=PermitPay(permits))
    client = Client(h.web)
    client.get("/permits/begin")
    client.get("/permits/address")
    client.post("/permits/address", {"mode": "find", "postcode": "me14 1hq", "action": "find-address"})
    client.post("/permits/address", {"mode": "select", "uprn": "999000020001"})
    options = client.get("/permits/permit").body
    assert 'value="carer-12"' in options
    assert location(client.post("/permits/permit", {"permit": "carer-12"})) == "/permits/email"  # no vehicle step
    client.get("/permits/email")
    assert location(client.post("/permits/email", {"email": "r@example.org"})) == "/permits/check-answers"
    check = client.get("/permits/check-answers").body
    assert "Not tied to one vehicle" in check
    client.post("/permits/check-answers", {})
    [sent] = permits.sent
    assert "vrm" not in sent
    assert (sent["kind"], sent["months"]) == ("carer", 12)


def test_cancelling_a_carer_permit_says_what_stops_without_a_mark(site):
    _, client = site
    page = client.get(f"{BASE}/cancel").body.replace("&#39;", "'")
    assert "The carer permit in zone A will stop today" in page
    assert "including a session running now" in page
    done = client.post(f"{BASE}/cancel", {}).body
    assert "The carer permit ended on" in done
