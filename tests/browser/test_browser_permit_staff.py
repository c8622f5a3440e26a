"""Parking permits in the staff console in real Chromium, JavaScript on and off: the demo caseworker opens Parking
permits from the primary navigation, is shown the error summary for an empty search, finds a permit by its mark,
finds it again by its address's postcode (choosing the address), opens it, is shown the error summary for a
revocation without a reason and then without a refund chosen, then revokes it with both.

axe-core (WCAG 2.2 AA) runs on each of those pages (JavaScript on): the search page, its error summary, the
results, the addresses at a postcode and the chosen one's permits, the permit page, the permit page with each of the
revocation's errors, and the revoked permit.
"""

from __future__ import annotations

import pytest

from tests.browser.test_browser_console import _sign_in, staff  # noqa: F401 (the fixture: JavaScript on and off)
from tests.local.test_local_permit_staff import issued_permit

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_caseworker_finds_a_permit_by_its_mark_and_revokes_it(staff, local_cloud):  # noqa: F811
    page, check = staff
    reference, _ = issued_permit(local_cloud, "bw70 stf")  # a new one each run (the last one is revoked)
    _sign_in(page, check)
    page.get_by_role("navigation", name="Primary navigation").get_by_role("link", name="Parking permits").click()
    assert page.locator("h1").inner_text() == "Parking permits"
    check()

    page.get_by_role("button", name="Search by registration mark").click()
    summary = page.locator(".govuk-error-summary")
    assert "Enter the registration mark" in summary.inner_text()
    assert summary.get_by_role("link").get_attribute("href") == "#vrm"
    check()

    page.fill("#vrm", "bw70 stf")
    page.get_by_role("button", name="Search by registration mark").click()
    assert page.locator("#results-heading").inner_text() == "Permits found by registration mark"
    assert "BW70 STF" in page.locator("table").inner_text()
    check()

    page.fill("#postcode", "me15 6jq")  # Cobnut Row: the permit's address is the first there
    page.get_by_role("button", name="Search by postcode of the address").click()
    assert page.locator("#addresses-heading").inner_text() == "Addresses at ME15 6JQ"
    check()
    page.locator("#address-choice .govuk-radios__input").first.check()
    page.get_by_role("button", name="Find this address's permits").click()
    assert page.locator("#results-heading").inner_text() == "Permits found by uprn of the address"
    check()

    page.get_by_role("link", name=reference).click()
    assert page.locator("h1").inner_text() == "BW70 STF in zone A"
    assert page.locator("#permit-status").text_content() == "active"
    vehicle = page.locator("#vehicle").inner_text()
    assert "VAUXHALL" in vehicle  # the details DVLA gave
    assert "1199" in vehicle
    check()

    page.get_by_role("button", name="Revoke the permit").click()
    assert "Enter the reason for revoking the permit" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator("#permit-status").text_content() == "active"
    check()

    page.fill("#revoke-reason", "The resident moved out of the zone")
    page.get_by_role("button", name="Revoke the permit").click()
    summary = page.locator(".govuk-error-summary")
    assert "Select whether to refund the unused months" in summary.inner_text()
    assert summary.get_by_role("link").get_attribute("href") == "#revoke-refund"
    check()

    page.check("#revoke-refund-none")
    page.get_by_role("button", name="Revoke the permit").click()
    assert "The permit is revoked" in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator("#permit-status").text_content() == "revoked"
    assert page.get_by_role("button", name="Revoke the permit").count() == 0
    check()
