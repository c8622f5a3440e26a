"""Applying for a parking permit in real Chromium (issue 12), with JavaScript on and off: from the home page's link,
the start page, the address by postcode lookup, the permit, an invalid registration number (the error summary), the
email, check your answers, the price and why, the local Pay's card page with 4242424242424242, and the confirmation
saying the permit is issued. With JavaScript on the vehicle is one DVLA cannot answer for (the stand-in's 503 mark),
so the declaration page and its errors are met too.

axe-core (WCAG 2.2 AA) runs on every page of ours in the journey (JavaScript on; CSP bypassed only to inject it),
the error pages included. The local Pay's pages stand in for GOV.UK Pay's and are not checked.
"""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import AXE
from tests.browser.journeys import checked_page, enter_card

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUCCESS = "4242424242424242"
# Each run its own zone and mark: an issued permit's mark cannot have another in its zone.
JOURNEYS = {
    True: {
        "postcode": "ME14 2LB",
        "house": "10 Wealden Way, Penenden Heath, Maidstone",
        "vrm": "SV19 DWN",
        "zone": "Wealden (zone C)",
    },
    False: {
        "postcode": "ME16 8PQ",
        "house": "21 Millpond Drive, Maidstone",
        "vrm": "EV71 ELC",
        "zone": "Station (zone D)",
    },
}


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def resident(request, browser, site, local_cloud):
    with checked_page(browser, site, str(AXE), javascript=request.param) as (page, check):
        yield page, check, local_cloud, request.param


def _continue(page) -> None:
    page.get_by_role("button", name="Continue").click()


def test_apply_and_pay_for_a_permit(resident):
    page, check, cloud, javascript = resident
    journey = JOURNEYS[javascript]
    page.goto("/")
    check()
    page.get_by_role("link", name="Apply for a resident's parking permit").click()
    assert page.url.endswith("/permits"), page.url
    assert page.locator("h1").inner_text() == "Apply for a parking permit"
    assert page.locator("caption", has_text="Zone A: Town centre").count() == 1
    check()
    page.get_by_role("button", name="Start now").click()

    assert page.url.endswith("/permits/address"), page.url
    check()
    page.get_by_role("button", name="Find address").click()  # nothing typed: the error summary
    assert page.locator(".govuk-error-summary").is_visible()
    check()
    page.get_by_label("Postcode").fill(journey["postcode"])
    page.get_by_role("button", name="Find address").click()
    check()
    page.get_by_label("Select an address").select_option(label=journey["house"])
    _continue(page)

    assert page.url.endswith("/permits/permit"), page.url
    check()
    page.get_by_label("Resident permit, 12 months").check()
    _continue(page)

    assert page.url.endswith("/permits/vehicle"), page.url
    check()
    page.get_by_label("What is the vehicle's registration number?").fill("QQ12 ABC")
    _continue(page)
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert "not a UK registration number" in summary.inner_text()
    check()
    page.get_by_label("What is the vehicle's registration number?").fill(journey["vrm"])
    _continue(page)

    assert page.url.endswith("/permits/email"), page.url
    check()
    page.get_by_label("What is your email address?").fill("browser.permit@example.org")
    _continue(page)

    assert page.url.endswith("/permits/check-answers"), page.url
    assert journey["zone"] in page.locator("main").inner_text()
    check()
    page.get_by_role("button", name="Get your price").click()
    if javascript:  # DVLA cannot answer for this mark: declare the vehicle
        assert page.url.endswith("/permits/declare"), page.url
        check()
        _continue(page)  # nothing given: the errors
        assert page.locator(".govuk-error-summary").is_visible()
        check()
        page.get_by_label("Make").fill("Ford")
        page.get_by_label("Colour").fill("Blue")
        page.get_by_label("Petrol").check()
        page.get_by_label("CO2 emissions in g/km (optional)").fill("128")
        _continue(page)
        assert page.url.endswith("/permits/check-answers"), page.url
        check()
        page.get_by_role("button", name="Get your price").click()

    assert page.url.endswith("/permits/check-answers"), page.url
    assert page.locator("h2", has_text="Why this price").count() == 1
    assert page.locator("#reasons li").count() >= 2
    price = page.locator("#price").inner_text()
    check()
    page.get_by_role("button", name=f"Pay {price}").click()
    enter_card(page, SUCCESS)
    page.get_by_role("button", name="Confirm payment").click()

    assert page.url.endswith("/permits/confirmation"), page.url
    check()  # paid: issued already, or "Payment received" while the issuer works
    cloud.wait_for_idle(timeout_s=30)  # order-paid -> the permits queue -> the issuer
    for _ in range(10):
        page.goto("/permits/confirmation")
        if page.locator("h1").inner_text() == "Your permit has been issued":
            break
        time.sleep(0.5)
    assert page.locator("h1").inner_text() == "Your permit has been issued"
    assert page.locator("#vrm").inner_text() == journey["vrm"].replace(" ", "")
    check()
