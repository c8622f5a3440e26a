"""Renewing a permit from its email's link in real Chromium (JavaScript on, axe-core WCAG 2.2 AA on every page of
ours): a permit applied for and paid in the local Pay, its dates moved back so today is its last day (see
tests/local/test_local_permit_renewal.py), the manage page's "Renew permit", the renewal pre-filled, the error
summary for missing answers, then check your answers with the price and "Pay"."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from permits.schedule import london_day
from tests.browser.conftest import AXE
from tests.browser.journeys import checked_page
from tests.local.test_local_permit_applications import apply, found_address
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_manage import _manage_link
from tests.local.test_local_permit_renewal import _bought_months_ago, _permit_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_renew_from_the_emailed_link_to_check_your_answers(browser, site, local_cloud):
    email = f"browser.renew.{uuid.uuid4().hex[:8]}@example.org"
    address = found_address(local_cloud, "ME15 7LT")  # Tannery Yard: zone A
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 3, "vrm": "RB24PGS",
                                  "contact": {"email": email}})  # fmt: skip
    assert applied["status"] == 201, applied
    reference = applied["body"]["reference"]
    pay(local_cloud, reference)
    _bought_months_ago(local_cloud, _permit_of(local_cloud, reference)["permit_id"]["S"], london_day(datetime.now(UTC)))
    path = _manage_link(local_cloud, email)

    with checked_page(browser, site, str(AXE), javascript=True) as (page, check):
        page.goto(path)
        check()
        page.get_by_role("link", name="Renew permit").click()
        assert page.locator("h1").inner_text() == "Renew your parking permit"
        assert page.locator("#vrm").inner_text() == "RB24PGS"
        check()
        page.get_by_role("button", name="Continue").click()
        assert page.locator(".govuk-error-summary").is_visible()
        check()
        page.get_by_label("Postcode of the address the permit is for").fill(address["postcode"])
        page.get_by_label("Email address").fill(email)
        page.get_by_role("button", name="Continue").click()
        assert page.locator("h1").count() == 1
        assert "RB24PGS" in page.locator("main").inner_text()
        assert page.get_by_role("button", name="Pay").count() >= 1
        check()
