"""Applying for a parking permit through the front door of the local cloud, as a browser without JavaScript: the
start page's prices from the zones file, the address from the OS Places stand-in, the permit, an invalid mark
refused with the error summary, the email, the price and why from the deployed PermitApplications function (the
vehicle from the DVLA stand-in), paying in the local Pay with 4242424242424242, the confirmation saying the permit
is issued, and the enforcement look-up answering valid. A refusal is its own page and stores nothing; DVLA down asks
for a declaration."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from local import pay_standin
from tests.local.test_local_notifications_journey import Browser
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page
from tests.local.test_local_permit_applications import count_applications, stored
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

UPRN = re.compile(r'<option value="(\d+)"[^>]*>([^<]+)</option>')


def _redirected(response: Any) -> str:
    assert response.status == 303, (response.status, response.body[:1500])
    return str(response.header("location"))


def _to_check_answers(local_cloud: Any, postcode: str, vrm: str, house: str) -> Browser:
    browser = Browser(local_cloud)
    assert _redirected(browser.request("GET", "/permits/begin")) == "/permits/address"
    assert browser.request("GET", "/permits/address").status == 200
    found = browser.request(
        "POST", "/permits/address", {"mode": "find", "postcode": postcode, "action": "find-address"}
    )
    assert found.status == 200, found.body[:1500]
    uprn = next(u for u, text in UPRN.findall(found.body.decode()) if text.startswith(house))
    assert (
        _redirected(browser.request("POST", "/permits/address", {"mode": "select", "uprn": uprn})) == "/permits/permit"
    )
    assert browser.request("GET", "/permits/permit").status == 200
    assert _redirected(browser.request("POST", "/permits/permit", {"permit": "resident-12"})) == "/permits/vehicle"
    assert browser.request("GET", "/permits/vehicle").status == 200
    refused = browser.request("POST", "/permits/vehicle", {"vrm": "AB1234567"})
    assert refused.status == 400
    assert 'class="govuk-error-summary"' in refused.body.decode()
    assert "A registration number has up to 7 letters and numbers" in refused.body.decode()
    assert _redirected(browser.request("POST", "/permits/vehicle", {"vrm": vrm})) == "/permits/email"
    assert browser.request("GET", "/permits/email").status == 200
    email = browser.request("POST", "/permits/email", {"email": "permit.resident@example.org"})
    assert _redirected(email) == "/permits/check-answers"
    assert browser.request("GET", "/permits/check-answers").status == 200
    return browser


def test_apply_pay_and_the_permit_is_issued_and_valid(local_cloud):
    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    assert _check(local_cloud, token, "L123OLD", "A", post=True).json()["answer"] == "no-permit"
    start = Browser(local_cloud).request("GET", "/permits")
    assert start.status == 200
    assert "Zone A: Town centre" in start.body.decode()
    assert "£140.00" in start.body.decode()  # zone A's 12-month resident permit, from the zones file

    browser = _to_check_answers(local_cloud, "ME15 6JQ", "L123 OLD", "2 Cobnut Row")  # zone A, by its street
    priced = browser.request("POST", "/permits/check-answers", {})
    assert _redirected(priced) == "/permits/check-answers"
    page = browser.request("GET", "/permits/check-answers").body.decode()
    assert "Why this price" in page
    assert "engine" in page  # a 1994 car: priced by its engine size
    assert "ends on 31 March" in page  # zone A's end date shortens the permit, and the reasons say so
    reference = re.search(r'id="reference">([A-Z0-9-]+)<', page).group(1)
    application = stored(local_cloud, reference)
    assert application is not None
    assert application["status"]["S"] == "pending-payment"
    assert application["contact"]["M"]["email"]["S"] == "permit.resident@example.org"
    amount = int(application["amount_pence"]["N"])
    assert f"£{amount // 100:,}.{amount % 100:02d}" in page

    next_url = _redirected(browser.request("POST", "/permits/pay", {"action": "pay"}))
    assert next_url.startswith(pay_standin.base_url(local_cloud.url) + "/secure/")
    card = card_page(browser, next_url)
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(_redirected(confirm)).path, {})
    returned = urlsplit(_redirected(back)).path
    assert returned.startswith("/services/parking-permit/payment/")
    assert _redirected(browser.request("GET", returned)) == "/permits/confirmation"
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)  # the local Pay's webhook lands too: one permit still
    local_cloud.wait_for_idle(timeout_s=30)  # order-paid -> the permits queue -> the issuer

    confirmation = browser.request("GET", "/permits/confirmation").body.decode()
    assert "Your permit has been issued" in confirmation
    assert reference in confirmation
    assert stored(local_cloud, reference)["status"]["S"] == "issued"
    checked = _check(local_cloud, token, "L123OLD", "A", post=True)
    assert checked.status == 200, checked.body
    assert checked.json()["answer"] == "valid"


def test_a_refusal_is_a_page_and_stores_nothing(local_cloud):
    browser = _to_check_answers(local_cloud, "ME14 2LB", "MX20 EXP", "11 Wealden Way")  # zone C
    before = count_applications(local_cloud)
    page = browser.request("POST", "/permits/check-answers", {})
    text = page.body.decode()
    assert page.status == 200, text[:1500]
    assert "This vehicle cannot have a permit" in text
    assert "Nothing has been saved" in text
    assert count_applications(local_cloud) == before


def test_an_address_outside_every_zone_is_told_so(local_cloud):
    browser = Browser(local_cloud)
    browser.request("GET", "/permits/begin")
    browser.request("GET", "/permits/address")
    found = browser.request("POST", "/permits/address", {"mode": "find", "postcode": "ME17 1AB"})
    uprn = UPRN.findall(found.body.decode())[0][0]
    page = browser.request("POST", "/permits/address", {"mode": "select", "uprn": uprn})
    assert page.status == 200
    assert "This address is not in a permit parking zone" in page.body.decode()


def test_dvla_down_asks_for_the_vehicles_details(local_cloud):
    browser = _to_check_answers(local_cloud, "ME14 1HQ", "SV19 DWN", "6 Hopfield Lane")
    before = count_applications(local_cloud)
    assert _redirected(browser.request("POST", "/permits/check-answers", {})) == "/permits/declare"
    assert count_applications(local_cloud) == before
    declare = browser.request("GET", "/permits/declare").body.decode()
    assert "We cannot check your vehicle, SV19 DWN, with DVLA just now" in declare
    declared = {"make": "Ford", "colour": "Blue", "fuel": "PETROL", "co2": "128", "engine": ""}
    assert _redirected(browser.request("POST", "/permits/declare", declared)) == "/permits/check-answers"
    browser.request("GET", "/permits/check-answers")
    assert _redirected(browser.request("POST", "/permits/check-answers", {})) == "/permits/check-answers"
    priced = browser.request("GET", "/permits/check-answers").body.decode()
    assert "DVLA could not be reached" in priced
    reference = re.search(r'id="reference">([A-Z0-9-]+)<', priced).group(1)
    assert stored(local_cloud, reference)["needs_verification"]["BOOL"] is True
