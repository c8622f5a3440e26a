"""Issue 12 item 8's pages in real Chromium, JavaScript on and off, axe-core (WCAG 2.2 AA) on each page of ours with
JavaScript on (CSP bypassed only to inject it):

- the resident's visitor wallet (`/permits/manage/<token>/visitors`, from the permit's emailed manage link): the
  balance, a visitor mark that is not one (the error summary), a visitor day started (or, on a day whose zone is
  not controlled, the refusal shown as an error), and cancelled with the day given back;
- the console's staff apply journey (`/staff/permits/apply`): the form, its error summary, the priced application
  with the card form, and a declined card (nothing is paid, so each run applies again);
- the resident permit pages at a phone's width (375 px): the start page, the permit's manage page, its vehicle
  change and cancel pages and the visitor page fit without scrolling sideways, with no axe violation there either.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from permits.visitors import controlled_minutes
from permits.zones import load_zones
from shared.calendar import LONDON
from tests.browser.conftest import AXE
from tests.browser.journeys import axe_violations, checked_page
from tests.browser.test_browser_console import _sign_in, staff  # noqa: F401 (the fixture: JavaScript on and off)
from tests.local.test_local_permit_applications import apply
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_manage import _manage_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WALLET_HOME = {"uprn": "999000020005", "postcode": "ME14 1HQ", "street": "HOPFIELD LANE"}  # 12-14: zone B, by day
WALLET_MARK = "BV24WLT"  # the DVLA stand-in's car for this test alone
APPLY_HOME = {"uprn": "999000010008", "postcode": "ME15 6JQ", "street": "COBNUT ROW"}  # The Old Forge: zone A
APPLY_MARK = "BA24 APP"  # the stand-in's car for this test alone, never paid for
NARROW = {"width": 375, "height": 812}
DECLINED = "4000000000000002"


@pytest.fixture(scope="module")
def manage_path(local_cloud: Any) -> str:
    """The manage link of a zone B permit paid in the local Pay (one for the module: both runs use its wallet)."""
    email = f"browser.wallet.{uuid.uuid4().hex[:8]}@example.org"
    applied = apply(local_cloud, {"address": WALLET_HOME, "kind": "resident", "months": 12, "vrm": WALLET_MARK,
                                  "contact": {"email": email}})  # fmt: skip
    assert applied["status"] == 201, applied
    pay(local_cloud, applied["body"]["reference"])
    return _manage_link(local_cloud, email)


def _next_weekday() -> date:
    """The next day after today (London) from Monday to Friday: zone B's controlled days."""
    day = date.today() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_visitor_wallet_pages_show_the_balance_start_and_cancel_a_visitor_day(
    browser, site, manage_path, javascript
):
    with checked_page(browser, site, str(AXE), javascript=javascript) as (page, check):
        page.goto(f"{manage_path}/visitors")
        assert page.locator("h1").inner_text() == "Visitor permits"
        balance = page.locator("#balance").inner_text()
        assert "visitor days left" in balance, balance
        assert "Hopfield (zone B)" in page.locator("main").inner_text()
        check()

        day = _next_weekday()

        def visit(mark: str) -> None:
            page.fill("#vrm", mark)
            page.fill("#visit-day", str(day.day))
            page.fill("#visit-month", str(day.month))
            page.fill("#visit-year", str(day.year))
            page.get_by_role("button", name="Start visitor permit").click()

        visit("NOT A MARK!")
        summary = page.locator(".govuk-error-summary")
        assert summary.is_visible()
        assert summary.get_by_role("link").first.get_attribute("href") == "#vrm"
        check()

        visitor = f"VW{uuid.uuid4().int % 90 + 10:02d} {'JSN' if javascript else 'NJS'}"  # fictional visitors
        visit(visitor)
        midnight = datetime(day.year, day.month, day.day, tzinfo=LONDON)
        if controlled_minutes(load_zones().zone("B"), midnight, midnight + timedelta(days=1)) == 0:  # a bank holiday
            assert "not controlled" in page.locator(".govuk-error-summary").inner_text()
            check()
            return
        assert "has a visitor permit for" in page.locator("#started").inner_text()
        assert visitor.replace(" ", "") in page.locator("table").inner_text().replace(" ", "")
        check()

        page.get_by_role("button", name=re.compile(f"^Cancel the day for {visitor.replace(' ', ' ?')}")).click()
        assert "is cancelled and the day given back" in page.locator("#cancelled").inner_text()
        assert "(cancelled)" in page.locator("table").inner_text()
        check()


def test_staff_apply_for_a_resident_see_the_price_and_a_declined_card(staff):  # noqa: F811
    page, check = staff
    _sign_in(page, check)
    page.goto("/staff/permits/apply")
    assert page.locator("h1").inner_text() == "Apply for a permit for a resident"
    check()

    page.get_by_role("button", name="Check and price the permit").click()
    summary = page.locator(".govuk-error-summary")
    assert "Select how the resident contacted us" in summary.inner_text()
    assert summary.get_by_role("link").first.get_attribute("href") == "#channel"
    check()

    page.check("#channel-phone")
    page.fill("#reason", "No internet at home")
    page.fill("#uprn", APPLY_HOME["uprn"])
    page.fill("#postcode", APPLY_HOME["postcode"])
    page.fill("#street", APPLY_HOME["street"])
    page.check("#kind-resident")
    page.check("#months-12")
    page.fill("#vrm", APPLY_MARK)
    page.fill("#email", "resident.by.phone@example.org")
    page.get_by_role("button", name="Check and price the permit").click()
    assert page.locator("h1").inner_text() == "Take the payment by card"
    caption = page.locator(".govuk-caption-l").inner_text()
    assert caption.startswith("Permit application "), caption
    assert page.get_by_role("heading", name="Why this price").count() == 1
    check()

    page.fill("#card_number", DECLINED)
    page.fill("#expiry_date", "04/29")
    page.fill("#cardholder_name", "A Resident")
    page.fill("#cvc", "123")
    page.get_by_role("button", name=re.compile(r"^Take £")).click()
    assert "The card was declined" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator("#card_number").input_value() == ""  # never put back on the page
    reference = caption.removeprefix("Permit application ").strip()
    assert page.get_by_role("link", name="permit application's page").get_attribute("href") == (
        f"/staff/permits/{reference}"
    )
    check()


def _fits(page: Any) -> None:
    """Nothing wider than the phone: the page does not scroll sideways."""
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], (page.url, width)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_the_resident_permit_pages_fit_a_phone_screen(browser, site, manage_path, javascript):
    context = browser.new_context(base_url=site, viewport=NARROW, java_script_enabled=javascript,
                                  bypass_csp=javascript)  # fmt: skip
    page = context.new_page()
    violations: dict[str, list[str]] = {}
    try:
        for path in ("/permits", manage_path, f"{manage_path}/vehicle", f"{manage_path}/cancel",
                     f"{manage_path}/visitors"):  # fmt: skip
            answer = page.goto(path)
            assert answer is not None, path
            assert answer.status == 200, path
            assert page.locator("h1").is_visible()
            _fits(page)
            if javascript:
                found = axe_violations(page, str(AXE))
                if found:
                    violations[path] = found
        page.goto(f"{manage_path}/visitors")
        page.get_by_role("button", name="Start visitor permit").click()  # the error summary, at that width
        assert page.locator(".govuk-error-summary").is_visible()
        _fits(page)
    finally:
        context.close()
    assert not violations, violations
