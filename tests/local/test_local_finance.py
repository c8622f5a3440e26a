"""Finance end to end in the local cloud: a resident pays through the web and the local Pay's card page, and the
Notify stand-in's outbox holds one receipt (payment-succeeded -> the notifications queue -> GOV.UK Notify), however
often the payment is applied (the return page, then Pay's webhook)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.local.test_local_notifications_journey import outbox
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page, payments_for, reference_on, send

pytestmark = pytest.mark.local

RESIDENT = "resident@example.com"  # the sample answers' contact (tests/unit/web/web_support.py)


def pay_with_a_success_card(local_cloud) -> str:
    """Send a bulky waste request, pay £25 on the local Pay's card page; the request's reference."""
    browser, next_url = send(local_cloud)
    card = card_page(browser, next_url)
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(confirm.header("location")).path, {})
    returned = browser.request("GET", urlsplit(back.header("location")).path)
    page = browser.request("GET", returned.header("location")).body.decode()
    assert "You have paid <strong>£25</strong>" in page
    return reference_on(page)


def receipts_for(local_cloud, reference: str) -> list[dict[str, Any]]:
    return [m for m in outbox(local_cloud, RESIDENT) if m["subject"] == f"Payment receipt: {reference}"]


def test_paying_sends_one_receipt_by_email(local_cloud):
    reference = pay_with_a_success_card(local_cloud)
    local_cloud.wait_for_idle(timeout_s=30)
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)  # Pay's webhook for the same payment comes 3 s later
    local_cloud.wait_for_idle(timeout_s=30)
    [payment] = payments_for(reference)
    [receipt] = receipts_for(local_cloud, reference)
    body = receipt["body"]
    assert "Service: Book a bulky waste collection" in body
    assert f"Request reference: {reference}" in body
    assert "Amount paid: £25.00" in body
    assert "Date paid: " in body
    assert f"GOV.UK Pay payment reference: {payment.payment_id}" in body
    assert receipt["type"] == "email"
