"""A change of vehicle declared while DVLA is down, then corrected by staff and repriced, end to end in the local
cloud: a permit applied for and paid in the local Pay (4242424242424242); its emailed manage link opened in the web;
the vehicle changed to `SV24DCL` (the DVLA stand-in answers 503 for it: DVLA down), so the page asks for the
vehicle's details; declared as a low-emission petrol car, the change is priced from the declaration (cheaper: applied
at once, the difference refunded in the local Pay) and the permit flagged for verification. The demo caseworker opens
the permit in the console and corrects the details (a petrol car of 160 g/km: dearer), which reprices it: an order at
payments for the difference, the resident emailed (`permit-repriced`, with the manage link); the manage page shows
the amount to pay with a Pay button, paid in the local Pay, and the issuer applies it (the permit's price now the
corrected vehicle's). The console's audit has the verification; the look-up says `valid` for the new mark throughout.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from local.staff import DEMO_STAFF
from tests.local.test_local_console import _form, _signed_in
from tests.local.test_local_notifications_journey import Browser, eventually, outbox
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page
from tests.local.test_local_permit_applications import apply, stored
from tests.local.test_local_permit_changes import pay, pay_refunds
from tests.local.test_local_permit_manage import _manage_link
from tests.local.test_local_permit_staff import _trail
from tests.local.test_local_permits import _check, _device, _table, _token

pytestmark = pytest.mark.local

FIRST, DOWN = "DV24DCL", "SV24DCL"  # the stand-in's petrol car (this test alone); the mark DVLA 503s for
# Wealden Way, zone C (its third house: no other local test applies there)
ADDRESS = {"uprn": "999000040003", "postcode": "ME14 2LB", "street": "WEALDEN WAY"}
REPRICED = re.compile(r"Your permit: (\S+) Application reference")


def _application(local_cloud: Any, reference: str) -> dict[str, Any]:
    item = _table(local_cloud, "Borough-dev-Permits/Permits").get_item(
        Key={"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"}
    )["Item"]
    return dict(item)


def test_a_change_declared_while_dvla_is_down_is_corrected_by_staff_and_the_difference_paid(local_cloud):
    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    email = f"declare.{uuid.uuid4().hex[:8]}@example.org"
    applied = apply(local_cloud, {"address": ADDRESS, "kind": "resident", "months": 12, "vrm": FIRST,
                                  "contact": {"email": email}})  # fmt: skip
    assert applied["status"] == 201, applied
    reference = applied["body"]["reference"]
    pay(local_cloud, reference)
    assert stored(local_cloud, reference)["status"]["S"] == "issued"  # type: ignore[index]
    path = _manage_link(local_cloud, email)

    # The resident changes the vehicle to one DVLA cannot be asked about: the page asks for its details.
    browser = Browser(local_cloud)
    assert browser.request("GET", f"{path}/vehicle").status == 200
    asked = browser.request("POST", f"{path}/vehicle", {"vrm": "sv24 dcl"})
    page = asked.body.decode()
    assert asked.status == 200, page
    assert "Tell us about the new vehicle" in page
    assert "We cannot check the new vehicle, SV24 DCL, with DVLA just now" in page
    form = _form(asked.body, f"{path}/vehicle/declare")
    declared = {**form, "make": "Ford", "colour": "Red", "fuel": "PETROL", "co2": "95", "engine": ""}
    missing = browser.request("POST", f"{path}/vehicle/declare", {**declared, "make": ""})
    assert missing.status == 400
    assert b"There is a problem" in missing.body
    assert _check(local_cloud, token, FIRST, "C", post=True).json()["answer"] == "valid"  # nothing changed
    changed = browser.request("POST", f"{path}/vehicle/declare", declared)
    page = changed.body.decode()
    assert changed.status == 200, page
    assert "The vehicle on your permit has been changed" in page
    assert "it is priced from the details you gave us" in page
    assert _check(local_cloud, token, DOWN, "C", post=True).json()["answer"] == "valid"
    assert _check(local_cloud, token, FIRST, "C", post=True).json()["answer"] != "valid"
    [change_refund] = pay_refunds(reference)  # low emission: cheaper, refunded at once
    assert change_refund > 0
    item = _application(local_cloud, reference)
    assert (item["needs_verification"], item["vehicle_source"]) == (True, "declared")
    declared_price = int(item["price_now_pence"])

    # Staff check the details with DVLA and correct them: the permit repriced, an order for the difference.
    staff = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    permit_page = staff.request("GET", f"/staff/permits/{reference}")
    assert permit_page.status == 200, permit_page.body[:1500]
    assert b"Verify the declared details" in permit_page.body
    verify = _form(permit_page.body, f"/staff/permits/{reference}/verify")
    corrected = {**verify, "outcome": "corrected", "note": "DVLA by phone", "make": "Ford", "colour": "Red",
                 "fuel": "PETROL", "co2_g_km": "160"}  # fmt: skip
    done = staff.request("POST", f"/staff/permits/{reference}/verify", corrected)
    assert done.status == 303, done.body[:1500]
    after = staff.request("GET", done.header("location"))
    assert b"Vehicle details corrected" in after.body
    assert b"to pay by the resident" in after.body
    item = _application(local_cloud, reference)
    assert item["needs_verification"] is False
    correction = str(item["pending_correction"])
    assert int(item["price_now_pence"]) == declared_price  # unchanged until paid
    actions = [e["action"]["S"] for e in _trail(local_cloud, f"permit:{reference}")]
    assert "verify-permit" in actions

    # The resident is emailed, and pays the difference from the permit's page.
    def repriced() -> list[dict[str, Any]]:
        return [m for m in outbox(local_cloud, email) if m["subject"].startswith("We corrected the vehicle details")]

    eventually(lambda: bool(repriced()), timeout_s=30)
    [message] = repriced()
    assert "There is £" in message["body"]
    link = REPRICED.search(message["body"])
    assert link is not None, message["body"]
    assert urlsplit(link.group(1)).path == path
    shown = browser.request("GET", path)
    page = shown.body.decode()
    assert 'id="correction"' in page, page
    to_pay = re.search(r"You need to pay (£[\d.,]+)", page)
    assert to_pay is not None
    paying = browser.request("POST", f"{path}/pay", _form(shown.body, f"{path}/pay"))
    assert paying.status in (302, 303), paying.body[:500]
    card = card_page(browser, paying.header("location"))
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(confirm.header("location")).path, {})
    returned = browser.request("GET", urlsplit(back.header("location")).path)
    assert b"Payment received" in returned.body, returned.body[:800]
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)
    local_cloud.wait_for_idle(timeout_s=30)  # order-paid -> the permits queue -> the issuer applies the correction

    item = _application(local_cloud, reference)
    assert "pending_correction" not in item
    assert int(item["price_now_pence"]) > declared_price
    [paid] = [e for e in item["ledger"] if e["order"] == correction]
    assert f"£{int(paid['pence']) / 100:,.2f}" == to_pay.group(1)  # what the page asked for is what was paid
    assert 'id="correction"' not in browser.request("GET", path).body.decode()  # nothing more to pay
    assert _check(local_cloud, token, DOWN, "C", post=True).json()["answer"] == "valid"
