"""Moving a permit into another zone from its email's link in real Chromium (JavaScript on, axe-core WCAG 2.2 AA on
every page of ours): a permit applied for in Town centre and paid in the local Pay, the link from the Notify
stand-in's email, "I have moved", no postcode (the error summary), the addresses found, "Check your move" with why
this price, and the cheaper move made at once with its refund."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import AXE
from tests.browser.journeys import checked_page
from tests.local.test_local_permit_applications import apply
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_manage import _manage_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOWN = {"uprn": "999000010007", "postcode": "ME15 6JQ", "street": "COBNUT ROW"}  # zone A (Town centre)
NEW_UPRN = "999000020005"  # at ME14 1HQ, Hopfield Lane: zone B (Hopfield), cheaper


def test_move_into_a_cheaper_zone_from_the_emailed_link(browser, site, local_cloud):
    email = f"browser.move.{uuid.uuid4().hex[:8]}@example.org"
    applied = apply(local_cloud, {"address": TOWN, "kind": "resident", "months": 12, "vrm": "MB24MOV",
                                  "contact": {"email": email}})  # fmt: skip
    assert applied["status"] == 201, applied
    pay(local_cloud, applied["body"]["reference"])
    path = _manage_link(local_cloud, email)

    with checked_page(browser, site, str(AXE), javascript=True) as (page, check):
        page.goto(path)
        page.get_by_role("link", name="I have moved").click()
        assert page.locator("h1").inner_text() == "What is your new address?"
        check()
        page.get_by_role("button", name="Find address").click()
        assert page.locator(".govuk-error-summary").is_visible()
        assert "Enter the postcode of your new address" in page.locator(".govuk-error-summary").inner_text()
        check()
        page.get_by_label("Postcode").fill("me14 1hq")
        page.get_by_role("button", name="Find address").click()
        assert "found for ME14 1HQ" in page.locator("#address-found").inner_text()
        check()
        page.get_by_label("Select your new address").select_option(NEW_UPRN)
        page.get_by_role("button", name="Continue").click()
        assert page.locator("h1").inner_text() == "Check your move"
        assert "Hopfield (zone B)" in page.locator("#zone").inner_text()
        assert "credit" in page.locator("#reasons").inner_text()
        check()
        page.get_by_role("button", name="Move my permit").click()
        assert page.locator("h1").inner_text() == "Your permit has moved"
        assert "We are refunding" in page.locator("#refund").inner_text()
        assert "no longer valid in zone A" in page.locator("#outcome").inner_text()
        check()
        page.goto(path)
        assert page.locator("#status").inner_text() == "Active"
        check()
