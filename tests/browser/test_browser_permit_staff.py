"""Parking permits in the staff console in real Chromium, JavaScript on and off: the demo caseworker opens Parking
permits from the primary navigation, is shown the error summary for an empty search, finds a permit by its mark,
opens it, is shown the error summary for a revocation without a reason, then revokes it with one.

axe-core (WCAG 2.2 AA) runs on each of those pages (JavaScript on): the search page, its error summary, the
results, the permit page, the permit page with the revocation's error, and the revoked permit.
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
    assert "The permit is revoked" in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator("#permit-status").text_content() == "revoked"
    assert page.get_by_role("button", name="Revoke the permit").count() == 0
    check()
