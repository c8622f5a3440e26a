"""Renewing a permit through the web's pages, end to end in the local cloud: a permit applied for and paid, its
dates moved back so that today is its last day (as tests/local/test_local_permit_renewal.py does, for the same
reason: the functions' clock is real and renewing opens 90 days before the renewal's start), then its emailed
manage link opened through the front door: "Renew permit", the renewal pre-filled, the postcode and email given,
check your answers with the price, paid in the local Pay (4242424242424242) and the confirmation saying the
renewal is issued."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from permits.schedule import london_day
from tests.local.test_local_notifications_journey import Browser, eventually
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page
from tests.local.test_local_permit_applications import apply
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_manage import _manage_link
from tests.local.test_local_permit_renewal import _bought_months_ago, _permit_of

pytestmark = pytest.mark.local

ADDRESS = {"uprn": "999000030001", "postcode": "ME14 1XX", "street": "HOPFIELD LANE"}  # 1 Ragstone Mews: zone B
MARK = "RW23PGS"  # the stand-in's petrol car kept for this test alone


def test_a_permit_is_renewed_through_the_pages_and_paid_in_the_local_pay(local_cloud):
    email = f"renew.{uuid.uuid4().hex[:8]}@example.org"
    first = apply(local_cloud, {"address": ADDRESS, "kind": "resident", "months": 3, "vrm": MARK,
                                "contact": {"email": email}})  # fmt: skip
    assert first["status"] == 201, first
    reference = first["body"]["reference"]
    pay(local_cloud, reference)
    _bought_months_ago(local_cloud, _permit_of(local_cloud, reference)["permit_id"]["S"], london_day(datetime.now(UTC)))
    path = _manage_link(local_cloud, email)

    browser = Browser(local_cloud)
    shown = browser.request("GET", path)
    assert f'href="{path}/renew"' in shown.body.decode(), shown.body.decode()
    prefilled = browser.request("GET", f"{path}/renew")
    page = prefilled.body.decode()
    assert prefilled.status == 200, page
    assert MARK in page
    assert "Why this price" in page
    renewed = browser.request("POST", f"{path}/renew", {"months": "3", "postcode": "me14 1xx", "email": email})
    assert renewed.status == 303, renewed.body.decode()[renewed.body.decode().find("<main") :][:1500]
    assert renewed.header("location") == "/permits/check-answers"
    check = browser.request("GET", "/permits/check-answers").body.decode()
    assert "Pay" in check

    to_pay = browser.request("POST", "/permits/pay", {})
    assert to_pay.status == 303, to_pay.body.decode()
    card = card_page(browser, to_pay.header("location"))
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(confirm.header("location")).path, {})
    returned = browser.request("GET", urlsplit(back.header("location")).path)
    assert returned.header("location") == "/permits/confirmation"
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)
    local_cloud.wait_for_idle(timeout_s=30)  # order-paid -> the permits queue -> the issuer

    def issued() -> bool:
        return "Your permit has been issued" in browser.request("GET", "/permits/confirmation").body.decode()

    eventually(issued, timeout_s=30)
    old = _permit_of(local_cloud, reference)
    assert "renewed_by" in old  # the renewal took over from the permit it renews
