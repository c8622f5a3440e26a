"""Assisted digital in the local cloud, end to end through the front door: the demo caseworker signs in, submits a
missed-bin report by phone for a resident (the console invokes the console-only catalogue function under its IAM
policy), which is tracked publicly by its reference, triaged, and shown in the queue with channel `phone`; then a
bulky waste booking by phone, paid by MOTO with a test card on the local Pay (the console invokes the MOTO
function, which creates a `moto_api` payment and posts the card to `auth_url_post`), goes to its team."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest

from tests.local.test_local_console import CASEWORKER, Browser, _sign_in_as

pytestmark = pytest.mark.local


def _csrf(body: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()


def _hidden(body: bytes, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"'.encode(), body)
    assert found, body
    return html.unescape(found.group(1).decode())


def _signed_in(local_cloud) -> Browser:
    browser = Browser(local_cloud)
    callback, _ = _sign_in_as(browser, CASEWORKER)
    assert browser.request("GET", callback).status == 303
    return browser


def _submit(browser: Browser, service: str, pages: dict[str, dict[str, str]]):
    start = browser.request("GET", "/staff/assisted")
    assert start.status == 200, start.body
    csrf = _csrf(start.body)
    page = browser.request(
        "POST",
        "/staff/assisted",
        {"csrf_token": csrf, "service": service, "channel": "phone", "reason": "Resident phoned: no internet"},
    )
    while b'name="page"' in page.body:
        assert page.status == 200, page.body
        page_id = _hidden(page.body, "page")
        page = browser.request(
            "POST",
            "/staff/assisted/answers",
            {"csrf_token": csrf, "state": _hidden(page.body, "state"), "page": page_id, **pages[page_id]},
        )
    assert page.status == 200, page.body
    assert b"Check the answers" in page.body
    done = browser.request("POST", "/staff/assisted/submit", {"csrf_token": csrf, "state": _hidden(page.body, "state")})
    assert done.status == 200, done.body
    reference = re.search(rb"<strong>([A-Z0-9]{4}-[A-Z0-9]{4})</strong>", done.body).group(1).decode()
    return reference, done, csrf


ADDRESS = {"address.line1": "1 High Street", "address.town": "Maidstone", "address.postcode": "ME15 6JQ"}
CONTACT = {"contact.email": "resident@example.org"}


def _day(offset: int, question: str) -> dict[str, str]:
    day = date.today() + timedelta(days=offset)
    return {f"{question}.{part}": str(getattr(day, part)) for part in ("day", "month", "year")}


def _stored(local_cloud, reference: str) -> dict:
    table = local_cloud.physical_id("Borough-dev-Data/Requests")
    return local_cloud.client("dynamodb").get_item(TableName=table, Key={"reference": {"S": reference}})["Item"]


def test_a_caseworker_submits_a_missed_bin_by_phone_and_it_is_tracked_like_a_web_one(local_cloud):
    browser = _signed_in(local_cloud)
    reference, _, _ = _submit(
        browser,
        "missed-bin",
        {
            "address": ADDRESS,
            "bin-type": {"bin_type": "recycling"},
            "collection-date": _day(-1, "collection_date"),
            "bin-out": {"bin_out": "yes"},
            "contact": CONTACT,
        },
    )
    local_cloud.wait_for_idle(timeout_s=30)
    tracked = local_cloud.handle("GET", f"/api/v1/requests/{reference}")
    assert tracked.status == 200, tracked.body
    assert tracked.json()["reference"] == reference
    assert tracked.json()["service_id"] == "missed-bin"
    assert tracked.json()["team"] == "Waste services"  # triaged like a web request
    stored = _stored(local_cloud, reference)
    assert stored["channel"]["S"] == "phone"
    assert stored["assisted_reason"]["S"] == "Resident phoned: no internet"
    assert stored["submitted_by_staff"]["S"]
    queue = browser.request("GET", "/staff/cases?channel=phone")
    assert reference.encode() in queue.body
    audit = local_cloud.physical_id("Borough-dev-Console/Audit")
    trail = local_cloud.client("dynamodb").query(
        TableName=audit,
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": {"S": reference}},
    )["Items"]
    assert [(e["action"]["S"], e["details"]["M"]["channel"]["S"]) for e in trail] == [("act-for-resident", "phone")]


def test_a_bulky_waste_booking_by_phone_is_paid_by_moto_with_a_test_card(local_cloud):
    browser = _signed_in(local_cloud)
    reference, done, csrf = _submit(
        browser,
        "bulky-waste",
        {
            "address": ADDRESS,
            "item-count": {"item_count": "2"},
            "items": {"items": "Sofa\nMattress"},
            "where-left": {"where_left": "driveway"},
            "preferred-date": _day(7, "preferred_date"),
            "contact": CONTACT,
        },
    )
    assert "£25.00".encode() in done.body
    assert b'action="/staff/assisted/pay"' in done.body
    assert _stored(local_cloud, reference)["status"]["S"] == "awaiting-payment"
    card = {"card_number": "4000000000000002", "expiry_date": "04/29", "cardholder_name": "A Resident", "cvc": "123"}
    declined = browser.request("POST", "/staff/assisted/pay", {"csrf_token": csrf, "reference": reference, **card})
    assert declined.status == 200, declined.body
    assert b"The card was declined" in declined.body
    assert b"4000000000000002" not in declined.body
    paid = browser.request(
        "POST",
        "/staff/assisted/pay",
        {"csrf_token": csrf, "reference": reference, **card, "card_number": "4242424242424242"},
    )
    assert paid.status == 200, paid.body
    assert b"Payment taken" in paid.body
    local_cloud.wait_for_idle(timeout_s=30)
    tracked = local_cloud.handle("GET", f"/api/v1/requests/{reference}").json()
    assert tracked["status"] != "awaiting-payment"
    assert tracked["team"] == "Waste services"  # paid, then triaged to its team
    assert _stored(local_cloud, reference)["channel"]["S"] == "phone"


def test_a_declined_phone_payment_is_taken_later_by_reference_and_the_request_goes_to_its_team(local_cloud):
    """The call drops after a declined card; the resident calls back and another member of staff, in a new
    session, finds the request by its reference from the start page and takes the fee."""
    first = _signed_in(local_cloud)
    reference, _, csrf = _submit(
        first,
        "bulky-waste",
        {
            "address": ADDRESS,
            "item-count": {"item_count": "1"},
            "items": {"items": "Wardrobe"},
            "where-left": {"where_left": "driveway"},
            "preferred-date": _day(7, "preferred_date"),
            "contact": CONTACT,
        },
    )
    declined_card = {"card_number": "4000000000000002", "expiry_date": "04/29", "cardholder_name": "A Resident"}
    declined = first.request(
        "POST", "/staff/assisted/pay", {"csrf_token": csrf, "reference": reference, **declined_card, "cvc": "123"}
    )
    assert declined.status == 200, declined.body
    assert b"The card was declined" in declined.body
    assert f'href="/staff/assisted/pay/{reference}"'.encode() in declined.body  # the way back
    local_cloud.wait_for_idle(timeout_s=30)
    assert _stored(local_cloud, reference)["status"]["S"] == "awaiting-payment"
    assert "team" not in _stored(local_cloud, reference)  # not sent to a team while unpaid

    later = _signed_in(local_cloud)
    start = later.request("GET", "/staff/assisted")
    assert b"Take a payment for a request already made" in start.body
    csrf = _csrf(start.body)
    found = later.request("POST", "/staff/assisted/pay/find", {"csrf_token": csrf, "pay_reference": reference.lower()})
    assert found.status == 303, found.body
    assert found.header("location") == f"/staff/assisted/pay/{reference}"
    due = later.request("GET", found.header("location"))
    assert due.status == 200, due.body
    assert b"the fee is \xc2\xa325.00" in due.body
    assert b'name="card_number"' in due.body
    paid = later.request(
        "POST",
        "/staff/assisted/pay",
        {
            "csrf_token": _csrf(due.body),
            "reference": reference,
            **declined_card,
            "card_number": "4242424242424242",
            "cvc": "123",
        },
    )
    assert paid.status == 200, paid.body
    assert b"Payment taken" in paid.body
    local_cloud.wait_for_idle(timeout_s=30)
    tracked = local_cloud.handle("GET", f"/api/v1/requests/{reference}").json()
    assert tracked["status"] != "awaiting-payment"
    assert tracked["team"] == "Waste services"  # paid, then triaged to its team
    again = later.request("GET", f"/staff/assisted/pay/{reference}")
    assert b"This request is paid" in again.body
    assert b'name="card_number"' not in again.body

    audit = local_cloud.physical_id("Borough-dev-Console/Audit")
    trail = local_cloud.client("dynamodb").query(
        TableName=audit,
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": {"S": reference}},
    )["Items"]
    actions = [e["action"]["S"] for e in trail]
    assert actions == ["act-for-resident", "take-payment", "read-payment-due", "take-payment", "read-payment-due"]
    found = [e["details"]["M"]["found"]["S"] for e in trail if e["action"]["S"] == "read-payment-due"]
    assert found == ["awaiting-payment", "paid"]
    for secret in (b"4000000000000002", b"4242424242424242"):
        assert secret not in declined.body + due.body + paid.body
        assert secret not in repr(trail).encode()
