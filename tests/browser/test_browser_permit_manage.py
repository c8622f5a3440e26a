"""Managing a permit from its email's link in real Chromium (JavaScript on, axe-core WCAG 2.2 AA on every page of
ours): a permit applied for and paid in the local Pay, the link from the Notify stand-in's email, the permit page,
a malformed mark (the error summary), a cheaper vehicle (the change and its refund), the cancel confirmation and
the cancelled page, and a forged link's 404 page."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import AXE
from tests.browser.journeys import checked_page
from tests.local.test_local_permit_applications import apply, found_address
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_manage import _manage_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_change_the_vehicle_then_cancel_from_the_emailed_link(browser, site, local_cloud):
    email = f"browser.manage.{uuid.uuid4().hex[:8]}@example.org"
    address = found_address(local_cloud, "ME15 7LT")  # Tannery Yard: zone A
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": "MB23DSL",
                                  "contact": {"email": email}})  # fmt: skip
    assert applied["status"] == 201, applied
    pay(local_cloud, applied["body"]["reference"])
    path = _manage_link(local_cloud, email)

    with checked_page(browser, site, str(AXE), javascript=True) as (page, check):
        page.goto(path)
        assert page.locator("h1").inner_text() == "Your parking permit"
        assert page.locator("#vrm").inner_text() == "MB23DSL"
        check()
        page.get_by_role("link", name="Change vehicle").click()
        check()
        label = "What is the new vehicle's registration number?"
        page.get_by_label(label).fill("QQ12 ABC")
        page.get_by_role("button", name="Change vehicle").click()
        assert page.locator(".govuk-error-summary").is_visible()
        check()
        page.get_by_label(label).fill("MB23 PTL")
        page.get_by_role("button", name="Change vehicle").click()
        assert page.locator("h1").inner_text() == "The vehicle on your permit has been changed"
        assert "We are refunding" in page.locator("#refund").inner_text()
        check()
        page.goto(path)
        assert page.locator("#vrm").inner_text() == "MB23PTL"
        page.get_by_role("link", name="Cancel permit").click()
        assert "less the zone's admin fee" in page.locator("main").inner_text()
        check()
        page.get_by_role("button", name="Cancel permit").click()
        assert page.locator("h1").inner_text() == "Your permit has been cancelled"
        check()
        page.goto(path)
        assert page.locator("#status").inner_text() == "Cancelled"
        check()
        reference, expires, _ = path.rsplit("/", 1)[1].split(".")
        page.goto(f"/permits/manage/{reference}.{expires}.bm90LXNpZ25lZA")
        assert page.locator("h1").inner_text() == "This link does not work"
        check()
