"""Renewing a permit from its manage link: the renewal pre-filled and why its price, each refusal in words, the
answers checked before anything is asked, then applied with `renews` and paid as an application is (check your
answers, Pay, the confirmation). On fakes of the permits and payments functions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from web.api import ApiResult

from tests.unit.web.test_web_permit_manage import BASE, ManagedPermits
from tests.unit.web.test_web_permit_pages import FakeLookup, PermitPay
from tests.unit.web.web_support import Client, harness, location

pytestmark = pytest.mark.unit

RENEWAL = {"renews": "PRMT-0001", "permit_id": "p-1", "address": {"uprn": "999000020001"}, "zone": "B",
           "kind": "resident", "months": 12, "vrm": "LB19PTR", "start": "2027-12-03", "valid_from": "2027-12-03",
           "valid_to": "2028-12-02", "amount_pence": 8000, "amount": "£80.00",
           "reasons": ["Resident permit, 12 months: £80.00.", "CO2 band B (101 to 110 g/km)."]}  # fmt: skip
STREET = "HOP LANE"  # the fake lookup's street for ME14 1HQ, 999000020001
ANSWERS = {"months": "12", "postcode": "me14 1hq", "email": "resident@example.org"}


@pytest.fixture
def renewing(catalogue):
    h = harness(catalogue, addresses=FakeLookup())
    permits = ManagedPermits()
    pay = PermitPay(permits)
    h.web.site.ports = dataclasses.replace(h.web.site.ports, permits=permits, payments=pay)
    client = Client(h.web)
    permits.renewal_answer = ApiResult(200, dict(RENEWAL))
    return permits, pay, client


def test_the_manage_page_offers_renew_and_the_renewal_is_prefilled_with_why_this_price(renewing):
    permits, _, client = renewing
    assert f'href="{BASE}/renew"' in client.get(BASE).body
    page = client.get(f"{BASE}/renew")
    assert page.status == 200
    for words in ("LB19PTR", "12 months", "3 December 2027 to 2 December 2028", "£80.00", "Why this price",
                  "CO2 band B (101 to 110 g/km).", "change the vehicle on this permit first"):  # fmt: skip
        assert words in page.body
    assert 'value="12" checked' in page.body
    assert permits.applied == []


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"reason": "too-early", "renewable_from": "2027-09-03"}, "You can renew this permit from 3 September 2027"),
        ({"reason": "revoked"}, "This permit was cancelled, so it cannot be renewed"),
        ({"reason": "not-offered"}, "no longer sold in the zone"),
        ({"reason": "not-issued"}, "This application has no permit to renew."),
    ],
)
def test_each_refusal_is_said_in_words_and_nothing_is_applied(renewing, answer, words):
    permits, _, client = renewing
    permits.renewal_answer = ApiResult(409, answer)
    page = client.get(f"{BASE}/renew")
    assert "This permit cannot be renewed" in page.body
    assert words in page.body
    assert f'href="{BASE}/renew"' not in client.get(BASE).body
    assert permits.applied == []


def test_missing_answers_are_an_error_summary_and_nothing_is_applied(renewing):
    permits, _, client = renewing
    client.get(f"{BASE}/renew")
    page = client.post(f"{BASE}/renew", {"months": "5", "postcode": "nowhere", "email": ""})
    assert page.status == 400
    assert page.body.count('class="govuk-error-summary"') == 1  # the layout's, once
    for words in ("Enter a full UK postcode", "Enter your email address", "Choose how long the permit should last"):
        assert words in page.body
    assert permits.applied == []


def test_renewing_applies_with_renews_then_pays_as_an_application(renewing):
    permits, pay, client = renewing
    client.get(f"{BASE}/renew")
    assert location(client.post(f"{BASE}/renew", ANSWERS)) == "/permits/check-answers"
    assert permits.applied == [{"address": {"uprn": "999000020001", "postcode": "ME14 1HQ", "street": STREET},
                                "kind": "resident", "months": 12, "vrm": "LB19PTR",
                                "contact": {"email": "resident@example.org"}, "start": "2027-12-03",
                                "renews": "PRMT-0001"}]  # fmt: skip
    check = client.get("/permits/check-answers")
    assert "£80.00" in check.body
    assert "LB19PTR" in check.body
    assert location(client.post("/permits/pay", {})).startswith("https://card.payments.service.gov.uk/secure/")
    token = pay.finish("success")
    assert location(client.get(f"/services/parking-permit/payment/{token}")) == "/permits/confirmation"
    assert "We are issuing your permit now" in client.get("/permits/confirmation").body
    permits.applications["PRMT-0001"].update(status="issued", permit_id="p-2")
    assert "Your permit has been issued" in client.get("/permits/confirmation").body


def test_a_lapsed_permit_is_renewed_as_a_new_application(renewing):
    permits, _, client = renewing
    today = datetime.now(UTC).date().isoformat()  # the harness's clock is real: a lapsed renewal starts today
    permits.renewal_answer = ApiResult(200, {**RENEWAL, "start": today, "valid_from": today})
    client.get(f"{BASE}/renew")
    client.post(f"{BASE}/renew", ANSWERS)
    assert "renews" not in permits.applied[0]
    assert permits.applied[0]["start"] == today


def test_a_refused_renewal_says_why_and_keeps_nothing(renewing):
    permits, _, client = renewing
    permits.refuse = {"refusal": "RenewalNotAllowed", "detail": "The permit has been renewed already."}
    client.get(f"{BASE}/renew")
    page = client.post(f"{BASE}/renew", ANSWERS)
    assert "We cannot renew this permit" in page.body
    assert "The permit has been renewed already." in page.body
    assert location(client.get("/permits/check-answers")) == "/permits"  # no draft made


def test_a_postcode_that_is_not_the_permits_address_is_an_error_and_nothing_is_applied(renewing):
    permits, _, client = renewing
    client.get(f"{BASE}/renew")
    page = client.post(f"{BASE}/renew", {**ANSWERS, "postcode": "ME17 1AB"})
    assert page.status == 400
    assert "Enter the postcode of the address the permit is for" in page.body
    assert permits.applied == []
