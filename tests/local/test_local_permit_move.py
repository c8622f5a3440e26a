"""Moving a permit into another zone, end to end in the local cloud: a permit applied for in Hopfield (zone B) and
paid in the local Pay (4242424242424242); from its emailed manage link, through the web's front door, "I have
moved": the new address found with the OS Places stand-in, a refusal first (an address in the permit's own zone:
the error summary, nothing written), then an address in Town centre (zone A), the move priced with why, the
difference paid in the local Pay; the issuer surrenders the old permit and issues the new one in one transaction:
the enforcement look-up then says the mark is valid in A and not in B (valid in another zone), and the resident is
emailed about the new permit."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.local.test_local_notifications_journey import Browser, eventually, outbox
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page
from tests.local.test_local_permit_applications import apply, stored
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_manage import _manage_link
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

MARK = "MV24ZNE"  # the DVLA stand-in's vehicle for this test alone: petrol, 124 g/km
OLD = {"uprn": "999000030004", "postcode": "ME14 1XX", "street": "HOPFIELD LANE"}  # 4 Ragstone Mews, B: this test alone
NEW_UPRN = "999000010008"  # at ME15 6JQ, Cobnut Row: zone A (Town centre)
HIDDEN = re.compile(r'<input type="hidden" name="(csrf_token|uprn|postcode|street|signature)" value="([^"]*)"')


def _fields(page: str) -> dict[str, str]:
    return dict(HIDDEN.findall(page))


def test_an_emailed_link_moves_the_permit_into_another_zone_paid_in_the_local_pay(local_cloud):
    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    email = f"move.{uuid.uuid4().hex[:8]}@example.org"
    applied = apply(local_cloud, {"address": OLD, "kind": "resident", "months": 12, "vrm": MARK,
                                  "contact": {"email": email}})  # fmt: skip
    assert applied["status"] == 201, applied
    reference = applied["body"]["reference"]
    assert applied["body"]["amount_pence"] == 8000  # Hopfield: £80.00 for 12 months (124 g/km: 100%)
    pay(local_cloud, reference)
    old_permit = stored(local_cloud, reference)["permit_id"]["S"]  # type: ignore[index]
    assert _check(local_cloud, token, MARK, "B", post=True).json()["answer"] == "valid"
    path = _manage_link(local_cloud, email)

    browser = Browser(local_cloud)
    assert f'href="{path}/move"' in browser.request("GET", path).body.decode()
    asked = browser.request("GET", f"{path}/move")
    assert asked.status == 200
    found = browser.request("POST", f"{path}/move", {**_fields(asked.body.decode()), "postcode": "me14 1hq",
                                                     "action": "find-address"})  # fmt: skip
    page = found.body.decode()
    assert "addresses found for <strong>ME14 1HQ</strong>" in page, page
    same = re.search(r'<option value="(\d+)"', page)
    assert same
    refused = browser.request("POST", f"{path}/move", {**_fields(page), "postcode": "ME14 1HQ",
                                                       "uprn": same.group(1)})  # fmt: skip
    assert refused.status == 422
    assert "govuk-error-summary" in refused.body.decode()
    assert "the zone your permit is already for" in refused.body.decode()

    checked = browser.request("POST", f"{path}/move", {**_fields(page), "postcode": "ME15 6JQ", "uprn": NEW_UPRN})
    page = checked.body.decode()
    assert checked.status == 200, page
    assert "Town centre (zone A)" in page
    # moved on its first day: all 12 months credited (£80.00); Town centre: £140.00 for the 12 months
    assert "Pay £60.00 and move" in page
    assert "12 whole months of the 12 you paid £80.00 for are unused: a credit of £80.00" in page
    assert _check(local_cloud, token, MARK, "B", post=True).json()["answer"] == "valid"  # nothing written yet

    confirmed = browser.request("POST", f"{path}/move/confirm", _fields(page))
    assert confirmed.status in (302, 303), confirmed.body.decode()
    card = card_page(browser, confirmed.header("location"))
    paid = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(paid.header("location")).path, {})
    returned = urlsplit(back.header("location")).path
    assert returned.startswith("/services/parking-permit-move/payment/")
    assert "Payment received" in browser.request("GET", returned).body.decode()
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)
    local_cloud.wait_for_idle(timeout_s=30)  # order-paid -> the permits queue -> the issuer makes the move

    in_a = _check(local_cloud, token, MARK, "A", post=True).json()
    assert in_a["answer"] == "valid", in_a
    in_b = _check(local_cloud, token, MARK, "B", post=True).json()
    assert in_b["answer"] == "valid-in-another-zone", in_b
    item = stored(local_cloud, reference)
    assert item is not None
    assert (item["permit_zone"]["S"], item["uprn"]["S"], item["price_now_pence"]["N"]) == ("A", NEW_UPRN, "14000")
    assert item["permit_id"]["S"] != old_permit
    assert in_a["permit_id"] == item["permit_id"]["S"]  # the new permit; in B the look-up names it as the other zone's
    assert (in_b["other_zone"], in_b["permit_id"]) == ("A", in_a["permit_id"])

    def issued_emails() -> list[dict[str, Any]]:
        return [m for m in outbox(local_cloud, email) if m["subject"].endswith(" is issued")]

    eventually(lambda: len(issued_emails()) == 2, timeout_s=30)  # the new permit's, after the first
    assert f"Your parking permit for {MARK} in zone A is issued." in issued_emails()[-1]["body"]
    shown = browser.request("GET", path).body.decode()  # the same link now shows the permit in A
    assert ">A<" in shown
