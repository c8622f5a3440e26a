"""Refunds (never above amount_available, 412 P0604 on a stale amount, submitted -> success or error) and MOTO
authorisation with a one-time token in the local Pay."""

from __future__ import annotations

import pytest

from tests.unit.payments.pay_support import WEB_PAYMENT, call, card_form, create, open_card_page

pytestmark = pytest.mark.unit


def paid(sandbox, key, amount=2500) -> str:
    browser, created, card_page = open_card_page(sandbox, key, amount=amount)
    _, headers, _ = browser.post(card_page, card_form("4242424242424242"))
    browser.post(headers["Location"])
    return created["payment_id"]


def refund(sandbox, key, payment_id, amount, available=None):
    body = {"amount": amount} | ({"refund_amount_available": available} if available is not None else {})
    return call(sandbox, "POST", f"/v1/payments/{payment_id}/refunds", body, key=key)


def available(amount_available: int, amount_submitted: int) -> dict:
    return {"status": "available", "amount_available": amount_available, "amount_submitted": amount_submitted}


def summary(sandbox, key, payment_id):
    return call(sandbox, "GET", f"/v1/payments/{payment_id}", key=key)[1]["refund_summary"]


# -- refunds ------------------------------------------------------------------------------------------------------
def test_a_partial_then_a_full_refund(sandbox, api_key, clock):
    payment_id = paid(sandbox, api_key)
    status, body, _ = refund(sandbox, api_key, payment_id, 1000, 2500)
    assert status == 202
    assert (body["amount"], body["status"], body["payment_id"]) == (1000, "submitted", payment_id)
    assert body["created_date"] == "2026-03-02T09:00:00.000Z"
    assert body["_links"]["payment"]["href"].endswith(f"/v1/payments/{payment_id}")
    assert summary(sandbox, api_key, payment_id) == {
        "status": "available",
        "amount_available": 1500,
        "amount_submitted": 1000,
    }
    status, second, _ = refund(sandbox, api_key, payment_id, 1500, 1500)
    assert status == 202
    assert summary(sandbox, api_key, payment_id) == {"status": "full", "amount_available": 0, "amount_submitted": 2500}
    clock.advance(seconds=5)
    status, got, _ = call(sandbox, "GET", f"/v1/payments/{payment_id}/refunds/{second['refund_id']}", key=api_key)
    assert (status, got["status"]) == (200, "success")
    _, listed, _ = call(sandbox, "GET", f"/v1/payments/{payment_id}/refunds", key=api_key)
    assert [r["amount"] for r in listed["_embedded"]["refunds"]] == [1000, 1500]


def test_a_stale_refund_amount_available_is_412_p0604(sandbox, api_key):
    payment_id = paid(sandbox, api_key)
    refund(sandbox, api_key, payment_id, 500, 2500)
    status, body, _ = refund(sandbox, api_key, payment_id, 500, 2500)  # a second member of staff, or a retry
    assert (status, body) == (412, {"code": "P0604", "description": "Refund amount available mismatch."})
    assert summary(sandbox, api_key, payment_id)["amount_available"] == 2000


def test_a_refund_above_the_amount_available_is_refused(sandbox, api_key):
    payment_id = paid(sandbox, api_key)
    status, body, _ = refund(sandbox, api_key, payment_id, 2501, 2500)
    assert (status, body["code"]) == (400, "P0603")
    assert summary(sandbox, api_key, payment_id)["amount_submitted"] == 0


def test_an_unpaid_payment_cannot_be_refunded(sandbox, api_key):
    payment_id = create(sandbox, api_key)["payment_id"]
    status, body, _ = refund(sandbox, api_key, payment_id, 100)
    assert (status, body["code"]) == (400, "P0603")
    assert body["description"].endswith("Payment refund status: unavailable")


def test_refunds_are_pending_until_the_payment_is_captured(sandbox, api_key):
    sandbox.ledger.capture_delay = sandbox.ledger.refund_delay  # 5 s
    payment_id = paid(sandbox, api_key)
    assert summary(sandbox, api_key, payment_id)["status"] == "pending"
    status, body, _ = refund(sandbox, api_key, payment_id, 100, 2500)
    assert (status, body["code"]) == (400, "P0603")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "P0601"),
        ({"amount": 0}, 422, "P0602"),
        ({"amount": "5"}, 422, "P0602"),
        ({"amount": 10_000_001}, 422, "P0602"),
        ({"amount": 5, "refund_amount_available": 0}, 422, "P0602"),
    ],
)
def test_refund_request_validation(sandbox, api_key, body, status, code):
    payment_id = paid(sandbox, api_key)
    got_status, got, _ = call(sandbox, "POST", f"/v1/payments/{payment_id}/refunds", body, key=api_key)
    assert (got_status, got["code"]) == (status, code)


def test_refund_json_errors_and_unknown_ids(sandbox, api_key):
    payment_id = paid(sandbox, api_key)
    status, body, _ = call(sandbox, "POST", f"/v1/payments/{payment_id}/refunds", b"{", key=api_key)
    assert (status, body["code"]) == (400, "P0697")
    assert call(sandbox, "POST", "/v1/payments/nope/refunds", {"amount": 1}, key=api_key)[1]["code"] == "P0600"
    assert call(sandbox, "GET", f"/v1/payments/{payment_id}/refunds/nope", key=api_key)[1]["code"] == "P0700"
    assert call(sandbox, "GET", "/v1/payments/nope/refunds/nope", key=api_key)[1]["code"] == "P0700"
    assert call(sandbox, "GET", "/v1/payments/nope/refunds", key=api_key)[1]["code"] == "P0800"


def test_a_refund_can_end_in_error_and_gives_the_amount_back(sandbox, api_key, clock):
    payment_id = paid(sandbox, api_key)
    sandbox.ledger.refund_errors = 1
    _, body, _ = refund(sandbox, api_key, payment_id, 700, 2500)
    clock.advance(seconds=5)
    _, got, _ = call(sandbox, "GET", f"/v1/payments/{payment_id}/refunds/{body['refund_id']}", key=api_key)
    assert got["status"] == "error"
    assert summary(sandbox, api_key, payment_id) == {
        "status": "available",
        "amount_available": 2500,
        "amount_submitted": 0,
    }


def test_search_refunds_by_date_range_with_paging(sandbox, api_key, clock):
    payment_id = paid(sandbox, api_key, amount=1000)
    made = []
    for amount in (100, 200, 300):
        available = summary(sandbox, api_key, payment_id)["amount_available"]
        made.append(refund(sandbox, api_key, payment_id, amount, available)[1]["refund_id"])
        clock.advance(minutes=1)
    query = "from_date=2026-03-02T09:00:00Z&to_date=2026-03-02T09:02:00Z&display_size=1"
    _, first, _ = call(sandbox, "GET", f"/v1/refunds?{query}", key=api_key)
    assert (first["total"], first["count"]) == (2, 1)
    assert first["results"][0]["refund_id"] == made[1]
    _, second, _ = call(sandbox, "GET", f"/v1/refunds?{query}&page=2", key=api_key)
    assert second["results"][0]["refund_id"] == made[0]
    status, body, _ = call(sandbox, "GET", f"/v1/refunds?{query}&page=3", key=api_key)
    assert (status, body["code"]) == (404, "P1100")


def test_the_refund_search_answers_as_pays_description_has_it(sandbox, api_key, clock):
    """RefundSearchResults: total, count, page, results (RefundDetailForSearch), and SearchNavigationLinks that keep
    the query; 401 without a key; every bad parameter named in one 422 P1101 (RequestError)."""
    payment_id = paid(sandbox, api_key, amount=1000)
    for amount in (100, 200, 300):
        refund(sandbox, api_key, payment_id, amount, summary(sandbox, api_key, payment_id)["amount_available"])
        clock.advance(minutes=1)
    query = "from_date=2026-03-02T09:00:00Z&to_date=2026-03-02T10:00:00Z&display_size=1"
    status, middle, _ = call(sandbox, "GET", f"/v1/refunds?{query}&page=2", key=api_key)
    assert status == 200
    assert (middle["total"], middle["count"], middle["page"]) == (3, 1, 2)
    assert set(middle["_links"]) == {"self", "first_page", "last_page", "prev_page", "next_page"}
    for name, page in (("self", 2), ("first_page", 1), ("last_page", 3), ("prev_page", 1), ("next_page", 3)):
        href = middle["_links"][name]["href"]
        assert href.startswith("http://127.0.0.1:9/sandbox/pay/v1/refunds?"), href
        assert f"page={page}" in href
        assert "display_size=1" in href
        assert "from_date=2026-03-02T09%3A00%3A00Z" in href
    [result] = middle["results"]
    assert set(result) == {
        "refund_id",
        "payment_id",
        "amount",
        "status",
        "created_date",
        "settlement_summary",
        "_links",
    }
    assert set(result["_links"]) == {"self", "payment"}  # RefundLinksForSearch
    assert (result["amount"], result["status"], result["payment_id"]) == (200, "success", payment_id)
    assert result["created_date"].endswith("Z")
    assert len(result["created_date"]) == len("2026-03-02T09:01:00.000Z")
    assert call(sandbox, "GET", f"/v1/refunds?{query}")[0] == 401
    bad = "from_date=2026-03-02&to_settled_date=2026-02-30&from_settled_date=x&display_size=0"
    status, body, _ = call(sandbox, "GET", f"/v1/refunds?{bad}", key=api_key)
    assert (status, body["code"]) == (422, "P1101")
    assert body["description"] == (
        "Invalid parameters: from_date, from_settled_date, to_settled_date, display_size. "
        "See Public API documentation for the correct data formats"
    )
    # Settled dates are Stripe's: this account's refunds have none (their settlement_summary is empty).
    status, none, _ = call(sandbox, "GET", "/v1/refunds?from_settled_date=2026-03-01", key=api_key)
    assert (status, none["total"], none["results"]) == (200, 0, [])


# -- MOTO ---------------------------------------------------------------------------------------------------------
MOTO = {k: v for k, v in WEB_PAYMENT.items() if k != "return_url"} | {"authorisation_mode": "moto_api"}
CARD = {"card_number": "4242424242424242", "expiry_date": "12/30", "cvc": "123", "cardholder_name": "J Bloggs"}


def moto_payment(sandbox, key) -> tuple[str, str, dict]:
    status, body, _ = call(sandbox, "POST", "/v1/payments", MOTO, key=key)
    assert status == 201
    post = body["_links"]["auth_url_post"]
    return body["payment_id"], post["params"]["one_time_token"], post


def test_a_moto_payment_returns_auth_url_post_with_a_one_time_token(sandbox, api_key):
    payment_id, token, post = moto_payment(sandbox, api_key)
    assert post["href"] == "http://127.0.0.1:9/sandbox/pay/v1/auth"
    assert (post["method"], post["type"]) == ("POST", "application/json")
    assert token
    body = call(sandbox, "GET", f"/v1/payments/{payment_id}", key=api_key)[1]
    assert body["moto"] is True
    assert body["authorisation_mode"] == "moto_api"
    assert "return_url" not in body
    assert "next_url" not in body["_links"]
    assert "auth_url_post" not in body["_links"]  # only the create answer carries the token


def test_moto_authorisation_succeeds_once_without_an_api_key(sandbox, api_key):
    payment_id, token, _ = moto_payment(sandbox, api_key)
    status, _, _ = call(sandbox, "POST", "/v1/auth", CARD | {"one_time_token": token})
    assert status == 204
    body = call(sandbox, "GET", f"/v1/payments/{payment_id}", key=api_key)[1]
    assert body["state"]["status"] == "success"
    assert body["card_details"]["last_digits_card_number"] == "4242"
    status, again, _ = call(sandbox, "POST", "/v1/auth", CARD | {"one_time_token": token})
    assert (status, again["code"]) == (400, "P1212")


def test_moto_with_an_unknown_token_is_p1211(sandbox):
    status, body, _ = call(sandbox, "POST", "/v1/auth", CARD | {"one_time_token": "not-a-token"})
    assert (status, body["code"], body["field"]) == (400, "P1211", "one_time_token")


@pytest.mark.parametrize(
    ("number", "status", "code", "state"),
    [
        ("4000000000000002", 402, "P0010", ("failed", "P0010")),
        ("4000000000000127", 402, "P0010", ("failed", "P0010")),
        ("4111111111111111", 402, "P0010", ("failed", "P0010")),
        ("4000000000000119", 500, "P0050", ("error", "P0050")),
    ],
)
def test_moto_card_outcomes(sandbox, api_key, number, status, code, state):
    payment_id, token, _ = moto_payment(sandbox, api_key)
    got_status, body, _ = call(sandbox, "POST", "/v1/auth", CARD | {"one_time_token": token, "card_number": number})
    assert (got_status, body["code"]) == (status, code)
    got = call(sandbox, "GET", f"/v1/payments/{payment_id}", key=api_key)[1]["state"]
    assert (got["status"], got["code"]) == state


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"cvc": None}, "P0101", "cvc"),
        ({"cardholder_name": None}, "P0101", "cardholder_name"),
        ({"card_number": "42424242"}, "P0102", "card_number"),
        ({"card_number": "4242x42424242424"}, "P0102", "card_number"),
        ({"cvc": "12345"}, "P0102", "cvc"),
        ({"expiry_date": "1230"}, "P0102", "expiry_date"),
        ({"expiry_date": "13/30"}, "P0102", "expiry_date"),
    ],
)
def test_moto_request_validation_is_422(sandbox, api_key, change, code, field):
    _, token, _ = moto_payment(sandbox, api_key)
    body = {k: v for k, v in (CARD | {"one_time_token": token} | change).items() if v is not None}
    status, answer, _ = call(sandbox, "POST", "/v1/auth", body)
    assert (status, answer["code"], answer["field"]) == (422, code, field)
