"""Applying for a parking permit through the resident web, without JavaScript, on fakes of the permits and payments
functions: the start page's prices, the address by lookup (outside every zone said plainly), the zone's permits,
the registration number (the GOV.UK error summary for a bad one), the email, check your answers, the price and why,
each refusal as its own page writing nothing, DVLA down asking for a declaration, CSRF on every POST, then paying
and a confirmation that says what is true."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from web.addresses import Address, AddressLookupFailed
from web.api import ApiResult
from web.permit_journey import answer_rows, check_declaration, chosen_permit, next_step_url, permit_options

from tests.unit.web.test_web_payment_pages import FakePayments
from tests.unit.web.web_support import Client, harness, location

pytestmark = pytest.mark.unit

HOPFIELD = {
    "code": "B",
    "name": "Hopfield",
    "types": [
        {
            "kind": "resident",
            "name": "Resident permit",
            "lengths": [{"months": 6, "amount_pence": 4400, "amount": "£44.00"},
                        {"months": 12, "amount_pence": 8000, "amount": "£80.00"}],
            "by_vehicle": True,
            "per_household": True,
        },
    ],
    "max_permits_per_household": 2,
    "common_end_date": "",
    "diesel_surcharge": "£20.00",
    "second_permit_percent": 125,
}  # fmt: skip
ADDRESSES = {
    "ME14 1HQ": [Address("999000020001", "1 Hop Lane", "", "Maidstone", "ME14 1HQ", street="HOP LANE")],
    "ME17 1AB": [Address("999000030001", "2 Far Road", "", "Maidstone", "ME17 1AB", street="FAR ROAD")],
}
REASONS = ["A resident permit in Hopfield costs £80.00 for 12 months.", "Total: £80.00."]
MARK = re.compile(r"^[A-Z0-9]{2,7}$")


class FakeLookup:
    def __init__(self) -> None:
        self.failing = False

    def available(self) -> bool:
        return True

    def by_postcode(self, postcode: str) -> list[Address]:
        if self.failing:
            raise AddressLookupFailed("timeout")
        return list(ADDRESSES.get(postcode, []))


class FakePermits:
    """The permit applications function as the web sees it; `refuse` makes the next apply a 422."""

    def __init__(self) -> None:
        self.applied: list[dict[str, Any]] = []
        self.applications: dict[str, dict[str, Any]] = {}
        self.refuse: dict[str, Any] | None = None
        self.dvla_down = False

    def offers(self, *, correlation_id: str) -> ApiResult:
        return ApiResult(200, {"zones": [HOPFIELD]})

    def zone_of(self, address: dict[str, str], *, correlation_id: str) -> ApiResult:
        if address["postcode"] == "ME14 1HQ":
            return ApiResult(200, {"zone": HOPFIELD})
        detail = "This address is not in a permit parking zone, so it cannot have a permit."
        return ApiResult(422, {"detail": detail, "refusal": "AddressOutsideZones"})

    def check_vrm(self, vrm: str, *, correlation_id: str) -> ApiResult:
        value = "".join(vrm.upper().split())
        if not MARK.match(value) or "Q" in value:
            return ApiResult(400, {"detail": "This is not a UK registration number: check it against the log book"})
        return ApiResult(200, {"vrm": value, "display": f"{value[:4]} {value[4:]}"})

    def apply(self, application: dict[str, Any], *, correlation_id: str) -> ApiResult:
        self.applied.append(application)
        if self.refuse is not None:
            return ApiResult(422, self.refuse)
        if self.dvla_down and "declared_vehicle" not in application:
            return ApiResult(422, {"detail": "We cannot check your vehicle with DVLA just now.",
                                   "refusal": "DeclarationNeeded", "declare": True})  # fmt: skip
        reference = f"PRMT-{len(self.applications) + 1:04d}"
        body = {
            "reference": reference,
            "status": "pending-payment",
            "vrm": application["vrm"],
            "zone": "B",
            "kind": application["kind"],
            "months": application["months"],
            "valid_from": "2026-12-03",
            "valid_to": "2027-12-02",
            "amount_pence": 8000,
            "amount": "£80.00",
            "reasons": (["DVLA could not be reached, so this price uses the details you declared."]
                        if "declared_vehicle" in application else []) + REASONS,
            "needs_verification": "declared_vehicle" in application,
            "permit_id": "",
        }  # fmt: skip
        self.applications[reference] = body
        return ApiResult(201, body)

    def get(self, reference: str, *, correlation_id: str) -> ApiResult:
        found = self.applications.get(reference)
        return ApiResult(200, found) if found else ApiResult(404, {"detail": "no"})


class PermitPay(FakePayments):
    def __init__(self, permits: FakePermits) -> None:
        super().__init__({})
        self.permits = permits

    def start(self, reference: str, *, correlation_id: str) -> ApiResult:
        self.requests.setdefault(reference, {})
        return super().start(reference, correlation_id=correlation_id)

    def progress(self, reference: str, *, correlation_id: str) -> ApiResult:
        mine = [a for a in self.attempts if a["reference"] == reference]
        return ApiResult(200, {**mine[-1], "next_url": ""}) if mine else ApiResult(404, {"detail": "none"})


@pytest.fixture
def site(catalogue):
    h = harness(catalogue, addresses=FakeLookup())
    permits = FakePermits()
    pay = PermitPay(permits)
    h.web.site.ports = dataclasses.replace(h.web.site.ports, permits=permits, payments=pay)
    return h, permits, pay, Client(h.web)


def _to_check_answers(client: Client, vrm: str = "LB19 PTR") -> str:
    assert location(client.get("/permits/begin")) == "/permits/address"
    client.get("/permits/address")
    found = client.post("/permits/address", {"mode": "find", "postcode": "me14 1hq", "action": "find-address"})
    assert found.status == 200
    assert "1 address found for" in found.body
    assert location(client.post("/permits/address", {"mode": "select", "uprn": "999000020001"})) == "/permits/permit"
    client.get("/permits/permit")
    assert location(client.post("/permits/permit", {"permit": "resident-12"})) == "/permits/vehicle"
    client.get("/permits/vehicle")
    assert location(client.post("/permits/vehicle", {"vrm": vrm})) == "/permits/email"
    client.get("/permits/email")
    return location(client.post("/permits/email", {"email": "resident@Example.ORG"}))


def _draft(h, client):
    return h.drafts.get(client._cookies_for("/permits")["borough_draft"])


def test_the_start_page_shows_each_zones_permits_and_prices_and_what_you_need(site):
    _, _, _, client = site
    page = client.get("/permits")
    assert page.status == 200
    assert "Zone B: Hopfield" in page.body
    assert "£80.00" in page.body
    assert "£44.00" in page.body
    assert "registration number" in page.body
    assert 'href="/permits/begin"' in page.body


def test_the_journey_keeps_the_answers_and_check_answers_sends_what_the_lookup_found(site):
    h, permits, _, client = site
    assert _to_check_answers(client) == "/permits/check-answers"
    draft = _draft(h, client)
    assert draft.service_id == "parking-permit"
    assert draft.answers["email"] == "resident@example.org"  # the domain in lower case
    assert draft.answers["vrm"] == {"vrm": "LB19PTR", "display": "LB19 PTR"}
    check = client.get("/permits/check-answers")
    assert "1 Hop Lane" in check.body
    assert "Hopfield (zone B)" in check.body
    assert "Get your price" in check.body
    assert permits.applied == []  # nothing is made before "Get your price"
    priced = client.post("/permits/check-answers", {})
    assert location(priced) == "/permits/check-answers"
    assert permits.applied == [
        {"address": {"uprn": "999000020001", "postcode": "ME14 1HQ", "street": "HOP LANE"},
         "kind": "resident", "months": 12, "vrm": "LB19PTR", "contact": {"email": "resident@example.org"}}
    ]  # fmt: skip
    page = client.get("/permits/check-answers")
    assert "Why this price" in page.body
    assert all(reason in page.body for reason in REASONS)
    assert "Pay £80.00" in page.body
    assert "?change=1" not in page.body
    assert location(client.get("/permits/vehicle")) == "/permits/check-answers"


def test_an_address_outside_every_zone_is_told_so_and_nothing_is_kept(site):
    h, _, _, client = site
    client.get("/permits/begin")
    client.get("/permits/address")
    client.post("/permits/address", {"mode": "find", "postcode": "ME17 1AB"})
    page = client.post("/permits/address", {"mode": "select", "uprn": "999000030001"})
    assert page.status == 200
    assert "This address is not in a permit parking zone" in page.body
    assert "address" not in _draft(h, client).answers


def test_a_uprn_not_found_for_this_draft_is_refused(site):
    h, _, _, client = site
    client.get("/permits/begin")
    client.get("/permits/address")
    client.post("/permits/address", {"mode": "find", "postcode": "ME14 1HQ"})
    page = client.post("/permits/address", {"mode": "select", "uprn": "999000030001"})
    assert page.status == 400
    assert "govuk-error-summary" in page.body
    assert "Select an address from the list" in page.body
    assert "address" not in _draft(h, client).answers


def test_the_lookup_down_says_try_later_rather_than_a_typed_address(site):
    h, _, _, client = site
    h.web.site.ports.addresses.failing = True
    client.get("/permits/begin")
    client.get("/permits/address")
    page = client.post("/permits/address", {"mode": "find", "postcode": "ME14 1HQ"})
    assert page.status == 503
    assert "We could not look up addresses just now" in page.body


def test_an_invalid_mark_gets_the_error_summary_and_is_not_kept(site):
    h, _, _, client = site
    client.get("/permits/begin")
    client.get("/permits/address")
    client.post("/permits/address", {"mode": "find", "postcode": "ME14 1HQ"})
    client.post("/permits/address", {"mode": "select", "uprn": "999000020001"})
    client.post("/permits/permit", {"permit": "resident-12"})
    client.get("/permits/vehicle")
    page = client.post("/permits/vehicle", {"vrm": "QQ12 QQQ"})
    assert page.status == 400
    assert 'class="govuk-error-summary"' in page.body
    assert 'href="#vrm"' in page.body
    assert "not a UK registration number" in page.body
    assert "<title>Error:" in page.body
    assert 'value="QQ12 QQQ"' in page.body  # what was typed, to correct
    blank = client.post("/permits/vehicle", {"vrm": "  "})
    assert "Enter the vehicle&#39;s registration number" in blank.body
    assert "vrm" not in _draft(h, client).answers


def test_a_permit_the_zone_does_not_offer_is_refused(site):
    h, _, _, client = site
    client.get("/permits/begin")
    client.get("/permits/address")
    client.post("/permits/address", {"mode": "find", "postcode": "ME14 1HQ"})
    client.post("/permits/address", {"mode": "select", "uprn": "999000020001"})
    client.get("/permits/permit")
    page = client.post("/permits/permit", {"permit": "business-12"})
    assert page.status == 400
    assert "Select the permit you want" in page.body
    assert "permit" not in _draft(h, client).answers


@pytest.mark.parametrize(
    ("refusal", "heading", "link"),
    [
        ("VehicleNotKnown", "We could not find this vehicle", "/permits/vehicle?change=1"),
        ("VrmAlreadyPermitted", "This vehicle already has a permit in this zone", "/permits/vehicle?change=1"),
        ("HouseholdLimitReached", "Your household has all the permits it can have in this zone", 'href="/"'),
    ],
)
def test_each_refusal_is_a_clear_page_and_the_answers_can_still_be_changed(site, refusal, heading, link):
    h, permits, _, client = site
    _to_check_answers(client)
    client.get("/permits/check-answers")
    permits.refuse = {"refusal": refusal, "detail": f"Why: {refusal}."}
    page = client.post("/permits/check-answers", {})
    assert page.status == 200
    assert heading in page.body
    assert f"Why: {refusal}." in page.body
    assert link in page.body
    assert "Nothing has been saved" in page.body
    assert not _draft(h, client).submitted
    assert permits.applications == {}


def test_dvla_down_asks_for_a_declaration_then_sends_it(site):
    _h, permits, _, client = site
    permits.dvla_down = True
    _to_check_answers(client)
    client.get("/permits/check-answers")
    assert location(client.post("/permits/check-answers", {})) == "/permits/declare"
    page = client.get("/permits/declare")
    assert "We cannot check your vehicle, LB19 PTR, with DVLA just now" in page.body
    bad = client.post("/permits/declare", {"make": "", "colour": "Blue", "fuel": "STEAM", "co2": "lots"})
    assert bad.status == 400
    assert all(
        m in bad.body for m in ("Enter the vehicle&#39;s make", "Select the vehicle&#39;s fuel", "CO2 emissions must")
    )
    declared = {"make": "Ford", "colour": "Blue", "fuel": "PETROL", "co2": "128", "engine": ""}
    assert location(client.post("/permits/declare", declared)) == "/permits/check-answers"
    check = client.get("/permits/check-answers")
    assert "Vehicle details you declared" in check.body
    assert "CO2 emissions 128 g/km" in check.body
    client.post("/permits/check-answers", {})
    assert permits.applied[-1]["declared_vehicle"] == {
        "make": "Ford",
        "colour": "Blue",
        "fuel": "PETROL",
        "co2_g_km": 128,
    }
    priced = client.get("/permits/check-answers")
    assert "DVLA could not be reached" in priced.body
    assert "will check the vehicle details you declared" in priced.body


def test_every_post_needs_the_drafts_csrf_token(site):
    _h, permits, _, client = site
    _to_check_answers(client)
    for path in ("/permits/check-answers", "/permits/email", "/permits/address", "/permits/pay", "/permits/restart"):
        missing = client.post(path, {}, csrf=False)
        assert missing.status == 400, path
        forged = client.post(path, {"csrf_token": "abc.def"}, csrf=False)
        assert forged.status == 403, path
    assert permits.applied == []


def test_pay_then_the_confirmation_says_what_is_true(site):
    h, permits, pay, client = site
    _to_check_answers(client)
    client.get("/permits/check-answers")
    client.post("/permits/check-answers", {})
    reference = _draft(h, client).reference
    client.get("/permits/check-answers")
    assert location(client.post("/permits/pay", {})).startswith("https://card.payments.service.gov.uk/secure/")
    token = pay.finish("failed", "P0010")
    assert location(client.get(f"/services/parking-permit/payment/{token}")) == "/permits/confirmation"
    declined = client.get("/permits/confirmation")
    assert "Your payment was not taken" in declined.body
    assert "declined" in declined.body
    assert "Try again" in declined.body
    assert location(client.post("/permits/pay", {})).endswith("/2")  # a new attempt
    token = pay.finish("success")
    client.get(f"/services/parking-permit/payment/{token}")
    issuing = client.get("/permits/confirmation")
    assert "We have received your payment. We are issuing your permit now." in issuing.body
    assert 'http-equiv="refresh"' not in issuing.body  # no automatic refresh (WCAG 2.2.1): the resident checks again
    assert 'href="/permits/confirmation">Check again' in issuing.body
    permits.applications[reference].update(status="issued", permit_id="p-1")
    issued = client.get("/permits/confirmation")
    assert "Your permit has been issued" in issued.body
    assert reference in issued.body
    assert "3 December 2026" in issued.body
    assert 'http-equiv="refresh"' not in issued.body
    assert location(client.get("/permits/check-answers")) == "/permits/confirmation"  # nothing left to pay
    assert 'href="/permits/check-answers"' in client.get("/permits").body  # the start page leads back to it


def test_an_unknown_return_token_is_not_found(site):
    _, _, _, client = site
    assert client.get("/services/parking-permit/payment/no-such-token-xxxxxxxx").status == 404


def test_without_the_permits_function_the_pages_say_try_later(catalogue):
    h = harness(catalogue)
    assert Client(h.web).get("/permits").status == 503


# -- the journey's logic ------------------------------------------------------------------------------------------
def test_options_and_choices_are_only_the_zones():
    assert [o["value"] for o in permit_options(HOPFIELD)] == ["resident-6", "resident-12"]
    assert chosen_permit(HOPFIELD, "resident-6") == {
        "kind": "resident",
        "months": 6,
        "label": "Resident permit, 6 months",
    }
    assert chosen_permit(HOPFIELD, "resident-3") is None
    assert chosen_permit(HOPFIELD, "visitor-12") is None


def test_the_next_step_is_the_first_unanswered_then_a_declaration_when_asked():
    answers: dict[str, Any] = {"address": {"uprn": "1"}, "zone": HOPFIELD}
    assert next_step_url(answers) == "/permits/permit"
    answers.update(permit={"kind": "resident", "months": 12}, vrm={"vrm": "LB19PTR"}, email="a@b.org")
    assert next_step_url(answers) == "/permits/check-answers"
    answers["declare"] = True
    assert next_step_url(answers) == "/permits/declare"
    answers["declared_vehicle"] = {"make": "Ford", "colour": "Red", "fuel": "PETROL"}
    assert next_step_url(answers) == "/permits/check-answers"
    assert [r["href"] for r in answer_rows(answers, changeable=False)] == [""] * 6


def test_a_declaration_is_checked_as_the_function_checks_it():
    ok, errors = check_declaration(
        {"make": " Ford ", "colour": "Dark  blue", "fuel": "DIESEL", "co2": "", "engine": "1,998"}
    )
    assert errors == []
    assert ok == {"make": "Ford", "colour": "Dark blue", "fuel": "DIESEL", "engine_cc": 1998}
    _, errors = check_declaration({"make": "x" * 41, "colour": "", "fuel": "", "co2": "1001", "engine": "-1"})
    assert [e["href"] for e in errors] == ["make", "colour", "fuel", "co2", "engine"]


@pytest.mark.parametrize(
    ("status", "words"),
    [(503, "Nothing has been saved."), (502, "You have not been charged.")],
)
def test_the_function_down_or_silent_says_try_later_and_only_what_is_known(site, status, words):
    h, permits, _, client = site
    _to_check_answers(client)
    client.get("/permits/check-answers")
    permits.apply = lambda application, *, correlation_id: ApiResult(status, {"detail": "We could not set it up."})
    page = client.post("/permits/check-answers", {})
    assert page.status == 503
    assert words in page.body
    assert not _draft(h, client).submitted


@pytest.mark.parametrize(
    ("status", "words", "pay_button"),
    [
        ("paid-not-issued", "We are refunding your payment in full to the card you paid with.", False),
        ("cancelled-unpaid", "This application was not paid for within 30 days, so we cancelled it.", False),
        ("cancelled", "was cancelled and is no longer valid", False),
        ("pending-payment", "You have not paid yet.", True),
    ],
)
def test_the_confirmation_says_what_became_of_an_application_not_issued(site, status, words, pay_button):
    h, permits, _, client = site
    _to_check_answers(client)
    client.get("/permits/check-answers")
    client.post("/permits/check-answers", {})
    reference = _draft(h, client).reference
    permits.applications[reference].update(status=status)
    page = client.get("/permits/confirmation")
    assert page.status == 200
    assert words in page.body
    assert ('action="/permits/pay"' in page.body) is pay_button
