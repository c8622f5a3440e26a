"""The paid journey in real Chromium (issue 10): bulky waste through the resident web to the local Pay's card page
and back, with JavaScript on and off, for a success card, a declined card and Cancel on Pay's page.

axe-core (WCAG 2.2 AA) runs on every page of ours in the journey (JavaScript on; CSP bypassed only to inject it):
the service's start and question pages, check your answers, the "payment not taken" page, the confirmation and
the tracking page. The local Pay's pages (`/sandbox/pay/...`: card details, confirm, Pay's own "declined" page)
stand in for GOV.UK Pay's hosted pages, which are GOV.UK Pay's to make accessible, not ours: they are not checked.
"""

from __future__ import annotations

import re

import pytest

from shared.catalogue import load_catalogue
from tests.browser.conftest import AXE
from tests.browser.journeys import checked_page, continue_button, enter_card, fill_page, page_id

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SERVICE = "bulky-waste"
SUCCESS, DECLINED = "4242424242424242", "4000000000000002"  # Pay's documented test cards (local/sandbox/pay/cards.py)


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def resident(request, browser, site, local_cloud):
    """A resident's browser, JavaScript on (with axe) or off: (page, check, cloud)."""
    with checked_page(browser, site, str(AXE), javascript=request.param) as (page, check):
        yield page, check, local_cloud


def _to_pay(page, check) -> None:
    """Start to "Accept and send" (axe on each page), on to Pay's card page."""
    definition = load_catalogue()[SERVICE]
    page.goto(f"/services/{SERVICE}")
    check()
    page.get_by_role("button", name="Start now").click()
    for _ in range(len(definition.pages) + 1):
        if page.url.endswith("/check-answers"):
            break
        check()
        fill_page(page, definition, page_id(page.url))
        continue_button(page).last.click()
    assert page.url.endswith("/check-answers"), page.url
    check()
    assert re.match(r"£\d", page.locator("#fee-amount").inner_text())
    page.get_by_role("button", name="Accept and send").click()
    assert "/sandbox/pay/card_details/" in page.url, page.url


def _stored(cloud, reference: str) -> dict:
    """The request as the Requests table holds it (what the team would work from)."""
    # payment-succeeded -> resume -> triage, behind queues. A failed triage is retried when its message comes back,
    # after the triage queue's 60 s visibility timeout: wait_for_idle waits for that retry, so allow it the time.
    cloud.wait_for_idle(timeout_s=120)
    table = cloud.physical_id("Borough-dev-Data/Requests")
    item = cloud.client("dynamodb").get_item(TableName=table, Key={"reference": {"S": reference}}).get("Item")
    assert item, reference
    return item


def _pay(page) -> None:
    enter_card(page, SUCCESS)
    page.get_by_role("button", name="Confirm payment").click()


def _received_and_sent_to_its_team(page, check, cloud) -> dict:
    """The confirmation (paid), then the tracking page: received, and the team dealing with it named. Returns the
    stored request."""
    assert page.url.endswith(f"/services/{SERVICE}/confirmation"), page.url
    assert page.locator("h1").inner_text() == "Request sent"
    assert page.locator("#paid").is_visible()
    check()
    reference = page.locator("#reference").inner_text()
    page.locator('main a[href^="/track?reference="]').click()
    assert page.locator("h1").inner_text() == f"Request {reference}"
    stored = _stored(cloud, reference)
    assert stored["status"]["S"] == "received", stored
    assert stored["team"]["S"], stored
    page.reload()  # triage (the cases service's, behind a queue) has named the team by now
    assert page.locator("#status").inner_text() == "Received"
    assert page.locator("dt", has_text="Dealt with by").count() == 1
    check()
    return stored


def _not_taken_then_retry(page, check, cloud, told: str) -> None:
    """Back on our "not taken" page: told why and that the request is not sent; it waits for payment with no team.
    "Try again" goes straight back to Pay (no question asked again): pay, and the same request, with the same
    answers, is received and sent to its team."""
    assert f"/services/{SERVICE}/payment/" in page.url, page.url
    assert page.locator("h1").inner_text() == "Your payment was not taken"
    main = page.locator("main").inner_text()
    assert told in main, main
    assert "has not been sent to the council yet" in main, main
    check()
    reference = page.locator("#reference").inner_text()
    waiting = _stored(cloud, reference)
    assert waiting["status"]["S"] == "awaiting-payment", waiting
    assert "team" not in waiting, waiting  # not sent to any team
    page.get_by_role("button", name="Try again").click()
    assert "/sandbox/pay/card_details/" in page.url, page.url
    _pay(page)
    received = _received_and_sent_to_its_team(page, check, cloud)
    assert received["reference"] == waiting["reference"]
    assert received["answers"] == waiting["answers"]


def test_a_success_card_sends_the_request_to_its_team(resident):
    page, check, cloud = resident
    _to_pay(page, check)
    _pay(page)
    _received_and_sent_to_its_team(page, check, cloud)


def test_a_declined_card_tells_the_resident_who_can_try_again(resident):
    page, check, cloud = resident
    _to_pay(page, check)
    enter_card(page, DECLINED)
    # Pay's own page says it was declined and links back to the service.
    assert page.locator("h1").inner_text() == "Your payment has been declined"
    page.get_by_role("link", name="Go back to the service").click()
    _not_taken_then_retry(page, check, cloud, "Your payment was declined. No money has been taken.")


def test_cancel_on_pays_page_tells_the_resident_who_can_try_again(resident):
    page, check, cloud = resident
    _to_pay(page, check)
    page.get_by_role("button", name="Cancel payment").click()  # Pay sends the browser straight back
    _not_taken_then_retry(page, check, cloud, "You cancelled your payment. No money has been taken.")
