"""The permit-issued email end to end in the local cloud: apply with an email address through the deployed
PermitApplications function, pay in the local Pay with 4242424242424242 (the return page, then Pay's webhook, then the
reconciler all see the success), the issuer stores permit-issued with its write, the Permits table's stream publishes
it (its own outbox publisher), the notifications consumer asks the permits function for the contact details and the
Notify stand-in's outbox holds the one email: the mark, the zone and the dates."""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.local.payment_support import function_named_by_handler, invoke
from tests.local.test_local_notifications_journey import Browser, eventually, outbox
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page, fire_reconciler
from tests.local.test_local_permit_applications import apply, found_address, stored

pytestmark = pytest.mark.local

SUBJECT = "Your parking permit for LB19PTR is issued"


def _day(value: str) -> str:
    day = date.fromisoformat(value)
    return f"{day.day} {day:%B %Y}"


def pay_in_the_local_pay(local_cloud: Any, reference: str) -> None:
    """`start` as the web does, the card page with the success card, and the return page."""
    payments = function_named_by_handler(local_cloud, "payments.handler.handler")
    started = invoke(local_cloud, payments, {"action": "start", "reference": reference, "correlation_id": "t"})
    assert started["status"] == 200, started
    browser = Browser(local_cloud)
    card = card_page(browser, started["body"]["next_url"])
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(confirm.header("location")).path, {})
    token = urlsplit(back.header("location")).path.rsplit("/", 1)[1]
    returned = invoke(local_cloud, payments, {"action": "return", "token": token, "correlation_id": "t"})
    assert returned["body"]["status"] == "success", returned


def test_the_resident_is_emailed_once_when_the_paid_permit_is_issued(local_cloud):
    email = f"permit.holder.{uuid.uuid4().hex[:8]}@example.org"  # this test's own recipient in the outbox
    address = found_address(local_cloud, "ME14 2LB")  # Wealden Way: zone C
    applied = apply(
        local_cloud,
        {"address": address, "kind": "resident", "months": 12, "vrm": "LB19 PTR", "contact": {"email": email}},
    )
    assert applied["status"] == 201, applied
    reference, body = applied["body"]["reference"], applied["body"]
    assert body["zone"] == "C"

    pay_in_the_local_pay(local_cloud, reference)
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)  # the local Pay's webhook for the same payment lands too
    local_cloud.wait_for_idle(timeout_s=30)
    fire_reconciler(local_cloud)  # and the reconciler finds it finished: all three announce the same order-paid
    local_cloud.wait_for_idle(timeout_s=30)

    item = stored(local_cloud, reference)
    assert item is not None
    assert item["status"]["S"] == "issued", item
    assert "outbox" in item  # permit-issued, stored with the move to issued

    def issued_emails() -> list[dict[str, Any]]:
        return [m for m in outbox(local_cloud, email) if m["subject"] == SUBJECT]

    eventually(lambda: bool(issued_emails()), timeout_s=30)
    local_cloud.wait_for_idle(timeout_s=30)
    [sent] = issued_emails()  # once, though the payment's success was seen three times
    assert sent["type"] == "email"
    assert "Your parking permit for LB19PTR in zone C is issued." in sent["body"]
    assert f"valid from {_day(body['valid_from'])} to {_day(body['valid_to'])}, both days included" in sent["body"]
    assert f"Application reference: {reference}." in sent["body"]
    assert len(outbox(local_cloud, email)) == 1  # nothing else was sent to the resident
