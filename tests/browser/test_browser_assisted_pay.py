"""Taking a fee by phone in real Chromium, JavaScript on and off: the demo caseworker submits a bulky waste booking
for a resident, the card is declined, then the request is found again by its reference from the assisted start page
("Take a payment for a request already made") and paid with a test card on the local Pay.

axe-core (WCAG 2.2 AA) runs on each page of it (JavaScript on): the start page, its error summary, the service's
pages, check answers, the done page with the card form, the declined card form, the request's payment page, the
paid page and the "already paid" page.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.test_browser_console import _sign_in, staff  # noqa: F401 (the fixture: JavaScript on and off)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DAY = date.today() + timedelta(days=7)
BULKY_WASTE = {  # each page's fields, by name
    "address": {"address.line1": "1 High Street", "address.town": "Maidstone", "address.postcode": "ME15 6JQ"},
    "item-count": {"item_count": "1"},
    "items": {"items": "Wardrobe"},
    "where-left": {"where_left": "driveway"},
    "preferred-date": {
        "preferred_date.day": str(DAY.day),
        "preferred_date.month": str(DAY.month),
        "preferred_date.year": str(DAY.year),
    },
    "contact": {"contact.email": "resident@example.org"},
}
CARD = {"#expiry_date": "04/29", "#cardholder_name": "A Resident", "#cvc": "123"}


def _fill(page: Any, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        field = page.locator(f'[name="{name}"]')
        if field.first.get_attribute("type") == "radio":
            page.locator(f'[name="{name}"][value="{value}"]').check()
        else:
            field.fill(value)


def _card(page: Any, number: str) -> None:
    page.fill("#card_number", number)
    for selector, value in CARD.items():
        page.fill(selector, value)
    page.get_by_role("button", name=re.compile(r"^Take £")).click()


def test_a_declined_phone_payment_is_taken_later_by_reference(staff):  # noqa: F811
    page, check = staff
    _sign_in(page, check)
    page.goto("/staff/assisted")
    assert page.locator("h2", has_text="Take a payment for a request already made").count() == 1
    check()
    page.fill("#pay_reference", "not a reference")
    page.get_by_role("button", name="Find the request").click()
    assert page.locator(".govuk-error-summary").inner_text().count("Enter the request's reference") == 1
    check()

    page.select_option("#service", "bulky-waste")
    page.check("#channel-phone")
    page.fill("#reason", "Resident phoned: no internet")
    page.get_by_role("button", name="Continue").click()
    while page.locator('input[name="page"]').count():
        page_id = page.locator('input[name="page"]').get_attribute("value")
        check()
        _fill(page, BULKY_WASTE[str(page_id)])
        page.get_by_role("button", name="Continue").click()
    assert page.locator("h1").inner_text() == "Check the answers before submitting"
    check()
    page.get_by_role("button", name="Submit the request").click()
    reference = page.locator(".govuk-panel__body strong").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", reference), reference
    assert page.get_by_role("link", name="this request's payment page").get_attribute("href") == (
        f"/staff/assisted/pay/{reference}"
    )
    check()

    _card(page, "4000000000000002")
    assert "The card was declined" in page.locator(".govuk-error-summary").inner_text()
    assert page.locator("#card_number").input_value() == ""  # never put back on the page
    check()

    page.goto("/staff/assisted")  # the resident calls back
    page.fill("#pay_reference", reference.lower())
    page.get_by_role("button", name="Find the request").click()
    assert page.url.endswith(f"/staff/assisted/pay/{reference}"), page.url
    assert "the fee is £25.00" in page.locator("main").inner_text()
    check()
    _card(page, "4242424242424242")
    assert page.locator("h1").inner_text() == "Payment taken"
    check()

    page.goto(f"/staff/assisted/pay/{reference}")
    assert page.locator("h1").inner_text() == "This request is paid"
    assert page.locator("#card_number").count() == 0
    check()
