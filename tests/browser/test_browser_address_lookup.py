"""Finding an address by postcode in real Chromium, with JavaScript on and off, against the local cloud's OS Places
stand-in (the web's real client): find, the list (axe-core: no WCAG 2.2 AA violations), choose, check your answers;
a postcode with no addresses, a bad postcode and the service down."""

from __future__ import annotations

import pytest

from tests.browser.conftest import AXE
from tests.browser.journeys import axe_violations, continue_button, page_id

pytestmark = [pytest.mark.browser, pytest.mark.slow]

START = "/services/bulky-waste/begin"  # its first page asks for the collection address


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def tab(request, browser, site):
    """A page with JavaScript on (CSP bypassed only so that axe-core can be injected) or off."""
    context = browser.new_context(base_url=site, java_script_enabled=request.param, bypass_csp=request.param)
    yield context.new_page(), request.param
    context.close()


def _find(page, postcode: str) -> None:
    page.fill("#address-find-postcode", postcode)
    page.get_by_role("button", name="Find address").click()
    page.wait_for_load_state()


def test_an_address_found_by_postcode_is_chosen_and_shown_to_check(tab):
    page, javascript = tab
    page.goto(START)
    assert page_id(page.url) == "address"
    assert page.get_by_label("Postcode").is_visible()
    _find(page, "me15 6jq")
    assert page_id(page.url) == "address"  # the same page, shown again with the addresses
    assert "8 addresses found for ME15 6JQ" in page.locator("#address-found").inner_text()
    chooser = page.get_by_label("Select an address")
    assert chooser.locator("option").count() == 9  # "8 addresses found", then each address
    if javascript:
        assert not axe_violations(page, str(AXE))
    chooser.select_option(label="Flat 1, Oast Court, 5 Cobnut Row, Maidstone")
    continue_button(page).last.click()
    assert page_id(page.url) == "item-count"
    page.goto("/services/bulky-waste/address?change=1")
    assert page.get_by_label("Select an address").input_value() != ""  # the chosen address, still chosen
    assert "Flat 1, Oast Court" in page.locator("#address-uprn option:checked").inner_text()


def test_no_addresses_a_bad_postcode_and_the_manual_route(tab):
    page, javascript = tab
    page.goto(START)
    _find(page, "ME15")
    summary = page.locator(".govuk-error-summary")
    assert "Enter a full UK postcode, like ME15 6JQ" in summary.inner_text()
    if javascript:
        assert not axe_violations(page, str(AXE))
    summary.get_by_role("link").click()
    if javascript:
        assert page.evaluate("document.activeElement.id") == "address-find-postcode"
    _find(page, "ME15 6ZZ")
    assert "We could not find any addresses for ME15 6ZZ" in page.locator("#address-not-found").inner_text()
    page.get_by_role("link", name="Enter the address manually").click()
    page.fill("#address-line1", "Unit 4, Cobnut Yard")
    page.fill("#address-town", "Maidstone")
    page.fill("#address-postcode", "ME15 6ZZ")
    continue_button(page).last.click()
    assert page_id(page.url) == "item-count"


def test_when_the_lookup_service_is_down_the_address_is_typed_in(tab):
    page, javascript = tab
    page.goto(START)
    _find(page, "ME15 9ZZ")  # the stand-in answers 503 for this postcode
    assert "We could not look up addresses just now" in page.locator("#address-lookup-failed").inner_text()
    assert page.locator("#address-postcode").input_value() == "ME15 9ZZ"
    if javascript:
        assert not axe_violations(page, str(AXE))
    page.fill("#address-line1", "1 Cobnut Row")
    page.fill("#address-town", "Maidstone")
    continue_button(page).last.click()
    assert page_id(page.url) == "item-count"
