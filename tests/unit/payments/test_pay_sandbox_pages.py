"""The local Pay's card pages: next_url once, each documented test card's outcome, 3-D Secure, cancel, return."""

from __future__ import annotations

import re

import pytest

from local.sandbox.pay import cards
from tests.unit.payments.pay_support import Browser, call, card_form, create, open_card_page

pytestmark = pytest.mark.unit


def state_of(sandbox, key, payment_id):
    return call(sandbox, "GET", f"/v1/payments/{payment_id}", key=key)[1]


def test_next_url_starts_the_payment_and_works_once(sandbox, api_key):
    browser, created, card_page = open_card_page(sandbox, api_key)
    assert card_page.endswith(f"/card_details/{created['payment_id']}")
    assert state_of(sandbox, api_key, created["payment_id"])["state"]["status"] == "started"
    assert "next_url" not in state_of(sandbox, api_key, created["payment_id"])["_links"]
    status, _, text = browser.get(card_page)
    assert status == 200
    assert "Enter card details" in text
    assert "local stand-in for GOV.UK Pay" in text
    assert f'action="{card_page}"' in text  # the form posts back to the page itself
    assert f'action="{card_page}/cancel"' in text
    again, _, text = Browser(sandbox).get(created["_links"]["next_url"]["href"])
    assert again == 400
    assert "already been used" in text


def test_the_card_page_needs_the_cookie_next_url_set(sandbox, api_key):
    _, _, card_page = open_card_page(sandbox, api_key)
    status, _, text = Browser(sandbox).get(card_page)
    assert status == 400
    assert "session has ended" in text


@pytest.mark.parametrize("number", ["4000008260000000", "4242424242424242"])
def test_a_successful_card_confirms_then_returns_to_the_service(sandbox, api_key, number):
    browser, created, card_page = open_card_page(sandbox, api_key)
    status, headers, _ = browser.post(card_page, card_form(number))
    assert status == 303
    confirm = headers["Location"]
    body = state_of(sandbox, api_key, created["payment_id"])
    assert body["state"]["status"] == "submitted"
    status, _, text = browser.get(confirm)
    assert "Confirm your payment" in text
    assert "£25.00" in text
    assert number[-4:] in text
    status, headers, _ = browser.post(confirm)
    assert (status, headers["Location"]) == (303, created["return_url"])
    body = state_of(sandbox, api_key, created["payment_id"])
    assert body["state"] == {"status": "success", "finished": True}
    assert body["card_details"]["last_digits_card_number"] == number[-4:]
    assert body["card_details"]["first_digits_card_number"] == number[:6]
    assert body["settlement_summary"] == {
        "capture_submit_time": "2026-03-02T09:00:00.000Z",
        "captured_date": "2026-03-02",
    }
    assert body["refund_summary"] == {"status": "available", "amount_available": 2500, "amount_submitted": 0}


@pytest.mark.parametrize("number", ["4000000000000002", "4000000000000069", "4000000000000127"])
def test_a_rejected_card_fails_the_payment_with_p0010(sandbox, api_key, number):
    browser, created, card_page = open_card_page(sandbox, api_key)
    status, _, text = browser.post(card_page, card_form(number))
    assert status == 200
    assert "Your payment has been declined" in text
    assert created["return_url"] in text
    state = state_of(sandbox, api_key, created["payment_id"])["state"]
    assert state == {"status": "failed", "finished": True, "code": "P0010", "message": "Payment method rejected"}


def test_the_general_error_card_ends_in_error_p0050(sandbox, api_key):
    browser, created, card_page = open_card_page(sandbox, api_key)
    _, _, text = browser.post(card_page, card_form("4000000000000119"))
    assert "technical problems" in text
    assert "No money has been taken" in text
    state = state_of(sandbox, api_key, created["payment_id"])["state"]
    assert (state["status"], state["code"]) == ("error", "P0050")


def test_the_3ds_card_asks_for_authentication_then_succeeds(sandbox, api_key):
    browser, created, card_page = open_card_page(sandbox, api_key)
    status, headers, _ = browser.post(card_page, card_form("4000002500003155"))
    assert status == 303
    three_ds = headers["Location"]
    assert three_ds.endswith(f"/3ds/{created['payment_id']}")
    _, _, text = browser.get(three_ds)
    assert "Complete authentication" in text
    assert state_of(sandbox, api_key, created["payment_id"])["state"]["status"] == "started"
    _, headers, _ = browser.post(three_ds, {"result": "authenticated"})
    assert headers["Location"].endswith(f"/confirm/{created['payment_id']}")
    browser.post(headers["Location"])
    body = state_of(sandbox, api_key, created["payment_id"])
    assert body["state"]["status"] == "success"
    assert body["authorisation_summary"] == {"three_d_secure": {"required": True}}


def test_failing_3ds_rejects_the_payment(sandbox, api_key):
    browser, created, card_page = open_card_page(sandbox, api_key)
    _, headers, _ = browser.post(card_page, card_form("4000002500003155"))
    browser.post(headers["Location"], {"result": "failed"})
    assert state_of(sandbox, api_key, created["payment_id"])["state"]["code"] == "P0010"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (card_form("4000000000000001"), "Enter a valid card number"),
        (card_form("4111111111111111"), "Enter one of the test card numbers"),
        (card_form("6759649826438453"), "Maestro is not accepted"),
        (card_form("4242424242424242", expiry_month="13"), "Enter a valid expiry date"),
        (card_form("4242424242424242", expiry_month="02", expiry_year="26"), "The card has expired"),
        (card_form("4242424242424242", cardholder_name=" "), "Enter the name as it appears on the card"),
        (card_form("4242424242424242", cvc="12"), "Enter a valid card security code"),
    ],
)
def test_form_errors_keep_the_payment_started_and_never_echo_the_card(sandbox, api_key, form, message):
    browser, created, card_page = open_card_page(sandbox, api_key)
    status, _, text = browser.post(card_page, form)
    assert status == 200
    assert "There is a problem" in text
    assert message in text
    assert form["card_number"] not in text.split("<details>")[0]  # the test-card list below may name it
    assert re.search(r'id="cvc"[^>]*value=""', text)  # the security code is never put back on the page
    assert state_of(sandbox, api_key, created["payment_id"])["state"]["status"] == "started"


def test_cancel_payment_fails_it_with_p0030_and_returns(sandbox, api_key):
    browser, created, card_page = open_card_page(sandbox, api_key)
    status, headers, _ = browser.post(f"{card_page}/cancel")
    assert (status, headers["Location"]) == (303, created["return_url"])
    state = state_of(sandbox, api_key, created["payment_id"])["state"]
    assert state == {
        "status": "failed",
        "finished": True,
        "code": "P0030",
        "message": "Payment was cancelled by the user",
    }


def test_delayed_capture_waits_capturable_until_captured(sandbox, api_key):
    browser, created, card_page = open_card_page(sandbox, api_key, delayed_capture=True)
    _, headers, _ = browser.post(card_page, card_form("4242424242424242"))
    browser.post(headers["Location"])
    body = state_of(sandbox, api_key, created["payment_id"])
    assert body["state"]["status"] == "capturable"
    assert body["_links"]["capture"]["method"] == "POST"
    assert call(sandbox, "POST", f"/v1/payments/{created['payment_id']}/capture", {}, key=api_key)[0] == 204
    assert state_of(sandbox, api_key, created["payment_id"])["state"]["status"] == "success"
    status, body, _ = call(sandbox, "POST", f"/v1/payments/{created['payment_id']}/capture", {}, key=api_key)
    assert (status, body["code"]) == (409, "P1003")


def test_an_authorised_payment_goes_back_to_confirm_and_a_paid_one_cannot_be_paid_again(sandbox, api_key):
    browser, created, card_page = open_card_page(sandbox, api_key, delayed_capture=True)
    _, headers, _ = browser.post(card_page, card_form("4242424242424242"))
    confirm = headers["Location"]
    status, headers, _ = browser.get(card_page)  # the browser's back button
    assert (status, headers["Location"]) == (303, confirm)
    status, headers, _ = browser.post(card_page, card_form("4000000000000002"))
    assert (status, headers["Location"]) == (303, confirm)
    browser.post(confirm)
    status, _, text = browser.get(card_page)
    assert "Your payment was successful" in text
    assert "Enter card details" not in text
    assert state_of(sandbox, api_key, created["payment_id"])["state"]["status"] == "capturable"


def test_an_expired_payments_card_page_says_so(sandbox, api_key, clock):
    created = create(sandbox, api_key)
    clock.advance(minutes=91)
    status, _, text = Browser(sandbox).get(created["_links"]["next_url"]["href"])
    assert status == 200
    assert "Your payment session has expired" in text


def test_a_finished_payment_cannot_be_paid_again(sandbox, api_key):
    browser, created, card_page = open_card_page(sandbox, api_key)
    call(sandbox, "POST", f"/v1/payments/{created['payment_id']}/cancel", {}, key=api_key)
    _, _, text = browser.post(card_page, card_form("4242424242424242"))
    assert "cancelled" in text
    assert state_of(sandbox, api_key, created["payment_id"])["state"]["code"] == "P0040"


def test_the_test_cards_list_names_every_outcome():
    text = cards.cards_text()
    for number in ("4000008260000000", "4242424242424242", "4000002500003155", "4000000000000002"):
        assert number in text
    assert {card.outcome for card in cards.TEST_CARDS} == {
        "success",
        "3ds",
        "declined",
        "expired",
        "wrong_cvc",
        "provider_error",
        "not_accepted",
    }
    assert all(cards.luhn_valid(card.number) for card in cards.TEST_CARDS)
    assert not cards.luhn_valid("4242424242424241")
