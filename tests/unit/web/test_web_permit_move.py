"""Moving a permit into another zone from its manage link: the postcode (error summary), the addresses found by the
lookup, a refusal in the error summary, "Check your move" with the price and why, a move made at once, a dearer
move paid through payments, the address signed for the link, CSRF bound to it. On fakes of the permits and payments
functions and the address lookup (the move itself: tests/unit/permits/test_moving.py)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from web.addresses import Address, AddressLookupFailed
from web.api import ApiResult

from shared.location import POSTCODE_MESSAGE
from tests.unit.web.test_web_permit_manage import BASE, ManagedPermits
from tests.unit.web.test_web_permit_pages import PermitPay
from tests.unit.web.web_support import Client, harness, location

pytestmark = pytest.mark.unit

TOWN = Address("100000000101", "1 Cobnut Row", "", "Maidstone", "ME15 6AA", street="COBNUT ROW")
TOWN_2 = Address("100000000102", "2 Cobnut Row", "", "Maidstone", "ME15 6AA", street="COBNUT ROW")
QUOTE = {"zone": "A", "zone_name": "Town centre", "valid_from": "2026-09-15", "valid_to": "2027-05-31", "months": 9,
         "new_price_pence": 10500, "credit_pence": 5333, "to_pay_pence": 5167, "to_refund_pence": 0,
         "reasons": ["8 whole months of the 12 you paid £80.00 for are unused: a credit of £53.33.",
                     "To pay: £51.67."]}  # fmt: skip


class Lookup:
    def __init__(self) -> None:
        self.failing = False

    def available(self) -> bool:
        return True

    def by_postcode(self, postcode: str) -> list[Address]:
        if self.failing:
            raise AddressLookupFailed("timeout")
        return [TOWN, TOWN_2] if postcode == "ME15 6AA" else []


class MovingPermits(ManagedPermits):
    def __init__(self) -> None:
        super().__init__()
        self.quote_answer = ApiResult(200, QUOTE)
        self.move_answer = ApiResult(202, {**QUOTE, "status": "pending-payment", "move_reference": "MOVE-0001"})

    def move_quote(self, reference: str, address: dict[str, str], *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "move-quote", "reference": reference, "address": address})
        return self.quote_answer

    def move(self, reference: str, address: dict[str, str], *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "move", "reference": reference, "address": address})
        return self.move_answer


@pytest.fixture
def site(catalogue):
    h = harness(catalogue, addresses=Lookup())
    permits = MovingPermits()
    pay = PermitPay(permits)
    h.web.site.ports = dataclasses.replace(h.web.site.ports, permits=permits, payments=pay)
    return permits, pay, Client(h.web), h


def _asked(permits: MovingPermits) -> list[dict[str, Any]]:
    return [a for a in permits.asked if a["action"] not in ("manage", "renewal")]


def _check(client: Client) -> str:
    client.get(f"{BASE}/move")
    page = client.post(f"{BASE}/move", {"postcode": "me15 6aa", "uprn": TOWN.uprn})
    assert page.status == 200
    return page.body


def test_the_permit_page_offers_the_move(site):
    _, _, client, _ = site
    assert f'href="{BASE}/move"' in client.get(BASE).body


def test_no_postcode_or_a_malformed_one_is_an_error_summary(site):
    permits, _, client, _ = site
    client.get(f"{BASE}/move")
    for typed, message in (("", "Enter the postcode of your new address"), ("ME15", POSTCODE_MESSAGE)):
        page = client.post(f"{BASE}/move", {"postcode": typed, "action": "find-address"})
        assert page.status == 400
        assert page.body.count('class="govuk-error-summary"') == 1
        assert "<title>Error: " in page.body
        assert message in page.body
    assert _asked(permits) == []


def test_the_addresses_found_are_offered_and_an_address_not_among_them_is_refused(site):
    permits, _, client, _ = site
    client.get(f"{BASE}/move")
    found = client.post(f"{BASE}/move", {"postcode": "ME15 6AA", "action": "find-address"})
    assert "2 addresses found for <strong>ME15 6AA</strong>" in found.body
    assert "1 Cobnut Row, Maidstone" in found.body
    forged = client.post(f"{BASE}/move", {"postcode": "ME15 6AA", "uprn": "999999999999"})
    assert forged.status == 400
    assert "Select an address from the list" in forged.body
    nothing = client.post(f"{BASE}/move", {"postcode": "ME99 9ZZ", "action": "find-address"})
    assert "We could not find any addresses for ME99 9ZZ" in nothing.body
    assert _asked(permits) == []


def test_a_refusal_is_shown_in_the_error_summary_and_nothing_is_moved(site):
    permits, _, client, _ = site
    permits.quote_answer = ApiResult(422, {"refusal": "HouseholdLimitReached",
                                           "detail": "Your household already has 1 permits in Station."})  # fmt: skip
    client.get(f"{BASE}/move")
    page = client.post(f"{BASE}/move", {"postcode": "ME15 6AA", "uprn": TOWN.uprn})
    assert page.status == 422
    assert page.body.count('class="govuk-error-summary"') == 1
    assert "Your household already has 1 permits in Station." in page.body
    assert [a["action"] for a in _asked(permits)] == ["move-quote"]


def test_check_your_move_shows_the_price_and_why(site):
    permits, _, client, _ = site
    body = _check(client)
    assert "Check your move" in body
    assert "Town centre (zone A)" in body
    assert "15 September 2026 to 31 May 2027" in body
    assert "£53.33" in body
    assert "£105.00" in body
    assert "Pay £51.67 and move" in body
    assert "8 whole months of the 12 you paid £80.00 for are unused" in body
    assert _asked(permits) == [
        {"action": "move-quote", "reference": "PRMT-0001",
         "address": {"uprn": TOWN.uprn, "postcode": "ME15 6AA", "street": "COBNUT ROW"}}
    ]  # fmt: skip


def test_a_dearer_move_goes_to_pay_and_its_return_says_what_happens(site):
    permits, pay, client, _ = site
    body = _check(client)
    fields = dict(re.findall(r'<input type="hidden" name="(uprn|postcode|street|signature)" value="([^"]*)"', body))
    tampered = client.post(f"{BASE}/move/confirm", {**fields, "uprn": TOWN_2.uprn})
    assert tampered.status == 404  # only the address this link's page showed
    assert [a["action"] for a in _asked(permits)] == ["move-quote"]
    paying = client.post(f"{BASE}/move/confirm", fields)
    assert paying.status in (302, 303)
    assert location(paying)
    assert [a["reference"] for a in pay.attempts] == ["MOVE-0001"]
    token = pay.attempts[0]["token"]
    assert "Your payment was not taken" in client.get(f"/services/parking-permit-move/payment/{token}").body
    pay.attempts[0].update(status="success", finished=True)
    back = client.get(f"/services/parking-permit-move/payment/{token}").body
    assert "Payment received" in back
    assert "until then your permit stays valid in its old zone" in back


def test_a_cheaper_move_is_made_at_once_and_the_refund_shown(site):
    permits, pay, client, _ = site
    cheaper = {**QUOTE, "to_pay_pence": 0, "to_refund_pence": 2333, "reasons": ["To refund: £23.33."]}
    permits.quote_answer = ApiResult(200, cheaper)
    permits.move_answer = ApiResult(200, {**cheaper, "status": "applied", "move_reference": "MOVE-0002"})
    body = _check(client)
    assert "Move my permit" in body
    fields = dict(re.findall(r'<input type="hidden" name="(uprn|postcode|street|signature)" value="([^"]*)"', body))
    done = client.post(f"{BASE}/move/confirm", fields)
    assert done.status == 200
    assert "Your permit has moved" in done.body
    assert "We are refunding <strong>£23.33</strong>" in done.body
    assert "It is no longer valid in zone B" in done.body
    assert pay.attempts == []


def test_a_move_refused_meanwhile_is_its_own_page(site):
    permits, _, client, _ = site
    permits.move_answer = ApiResult(422, {"refusal": "PermitNotChangeable", "detail": "This permit changed meanwhile."})
    body = _check(client)
    fields = dict(re.findall(r'<input type="hidden" name="(uprn|postcode|street|signature)" value="([^"]*)"', body))
    page = client.post(f"{BASE}/move/confirm", fields)
    assert "We cannot move this permit" in page.body
    assert "Your permit has not been changed." in page.body


def test_the_lookup_down_moves_nothing(site):
    permits, _, client, h = site
    h.web.site.ports.addresses.failing = True
    client.get(f"{BASE}/move")
    page = client.post(f"{BASE}/move", {"postcode": "ME15 6AA", "action": "find-address"})
    assert "We could not look up addresses just now" in page.body
    assert _asked(permits) == []


def test_an_ended_permit_is_not_moved_and_a_post_without_the_links_token_asks_nothing(site):
    permits, _, client, _ = site
    client.get(f"{BASE}/move")
    assert client.post(f"{BASE}/move", {"postcode": "ME15 6AA", "uprn": TOWN.uprn}, csrf=False).status == 400
    assert _asked(permits) == []
    permits.permit["status"] = "cancelled"
    assert location(client.get(f"{BASE}/move")) == BASE
