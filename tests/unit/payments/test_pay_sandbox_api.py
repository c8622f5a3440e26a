"""The local Pay's REST API answers as GOV.UK Pay's OpenAPI 1.0.3 and API reference say: validation, codes, states."""

from __future__ import annotations

import re

import pytest

from local.sandbox.pay.api import new_api_key
from tests.unit.payments.pay_support import WEB_PAYMENT, call, create

pytestmark = pytest.mark.unit


# -- authentication -----------------------------------------------------------------------------------------------
def test_api_keys_are_shaped_like_pays_test_keys():
    key = new_api_key()
    assert re.fullmatch(r"api_test_[a-z0-9]{58}", key)
    assert new_api_key() != key


@pytest.mark.parametrize("header", [None, "Bearer ", "Basic abc", "Bearer api_test_unknown"])
def test_a_missing_or_unknown_key_is_401(sandbox, api_key, header):
    headers = {"Authorization": header} if header is not None else {}
    status, _, _ = call(sandbox, "GET", "/v1/payments/anything", headers=headers)
    assert status == 401


def test_the_mount_prefix_and_the_bare_path_are_the_same_api(sandbox, api_key):
    created = create(sandbox, api_key)
    for path in (f"/v1/payments/{created['payment_id']}", f"/sandbox/pay/v1/payments/{created['payment_id']}"):
        status, body, _ = call(sandbox, "GET", path, key=api_key)
        assert status == 200
        assert body["payment_id"] == created["payment_id"]


# -- create payment -----------------------------------------------------------------------------------------------
def test_a_created_payment_has_pays_fields_and_links(sandbox, api_key):
    request = WEB_PAYMENT | {"metadata": {"ledger_code": "BW01", "attempt": 1, "paid_online": True}}
    status, body, headers = call(sandbox, "POST", "/v1/payments", request, key=api_key)
    assert status == 201
    assert headers["Location"] == f"http://127.0.0.1:9/sandbox/pay/v1/payments/{body['payment_id']}"
    assert len(body["payment_id"]) == 26
    assert body["state"] == {"status": "created", "finished": False}
    assert body["amount"] == 2500
    assert body["reference"] == WEB_PAYMENT["reference"]
    assert body["return_url"] == WEB_PAYMENT["return_url"]
    assert body["metadata"] == {"ledger_code": "BW01", "attempt": 1, "paid_online": True}
    assert body["created_date"] == "2026-03-02T09:00:00.000Z"
    assert body["refund_summary"] == {"status": "unavailable", "amount_available": 0, "amount_submitted": 0}
    links = body["_links"]
    assert links["next_url"]["href"].startswith("http://127.0.0.1:9/sandbox/pay/secure/")
    assert links["self"]["href"].endswith(f"/v1/payments/{body['payment_id']}")
    assert links["cancel"]["method"] == "POST"
    assert "auth_url_post" not in links


@pytest.mark.parametrize("name", ["amount", "reference", "description", "return_url"])
def test_a_missing_required_attribute_is_400_p0101(sandbox, api_key, name):
    request = {k: v for k, v in WEB_PAYMENT.items() if k != name}
    status, body, _ = call(sandbox, "POST", "/v1/payments", request, key=api_key)
    assert status == 400
    assert body == {"code": "P0101", "field": name, "description": f"Missing mandatory attribute: {name}"}


@pytest.mark.parametrize(
    ("overrides", "field", "why"),
    [
        ({"amount": 0}, "amount", "Must be greater than or equal to 1"),
        ({"amount": 10_000_001}, "amount", "Must be less than or equal to 10000000"),
        ({"amount": "2500"}, "amount", "Must be a valid numeric format"),
        ({"amount": True}, "amount", "Must be a valid numeric format"),
        ({"amount": 25.5}, "amount", "Must be a valid numeric format"),
        ({"reference": "r" * 256}, "reference", "Must be less than or equal to 255 characters length"),
        ({"description": "d" * 256}, "description", "Must be less than or equal to 255 characters length"),
        ({"description": 7}, "description", "Must be of type String"),
        ({"return_url": "https://x.example/" + "a" * 1990}, "return_url", "Must be less than or equal to 2000"),
        ({"return_url": "ftp://x.example/"}, "return_url", "Must be a valid URL format"),
        ({"return_url": "/relative"}, "return_url", "Must be a valid URL format"),
        ({"language": "fr"}, "language", 'Must be "en" or "cy"'),
        ({"metadata": {}}, "metadata", "Cannot have more than 10"),
        ({"metadata": {f"k{i}": i for i in range(11)}}, "metadata", "Cannot have more than 10"),
        ({"metadata": {"k" * 31: "v"}}, "metadata", "Keys must be between 1 and 30"),
        ({"metadata": {"note": "v" * 101}}, "metadata", "no greater than 100"),
        ({"metadata": {"nested": {"a": 1}}}, "metadata", "String, Boolean or Number"),
        ({"metadata": ["a"]}, "metadata", "key-value pairs"),
        ({"delayed_capture": "yes"}, "delayed_capture", "Must be true or false"),
        ({"authorisation_mode": "phone"}, "authorisation_mode", "Must be one of"),
    ],
)
def test_an_invalid_attribute_is_422_p0102(sandbox, api_key, overrides, field, why):
    status, body, _ = call(sandbox, "POST", "/v1/payments", WEB_PAYMENT | overrides, key=api_key)
    assert status == 422
    assert body["code"] == "P0102"
    assert body["field"] == field
    assert body["description"].startswith(f"Invalid attribute value: {field}. ")
    assert why in body["description"]


def test_the_limits_themselves_are_accepted(sandbox, api_key):
    body = create(
        sandbox,
        api_key,
        amount=10_000_000,
        reference="r" * 255,
        description="d" * 255,
        return_url="https://x.example/" + "a" * (2000 - 18),
        metadata={f"k{i:02d}" + "x" * 26: "v" * 100 for i in range(10)},
        language="cy",
    )
    assert body["amount"] == 10_000_000
    assert body["language"] == "cy"
    assert len(body["metadata"]) == 10


def test_metadata_keys_equal_but_for_case_are_kept_once(sandbox, api_key):
    body = create(sandbox, api_key, metadata={"Ledger": "A", "ledger": "B", "other": None})
    assert len([k for k in body["metadata"] if k.lower() == "ledger"]) == 1
    assert "other" in body["metadata"]


def test_http_return_urls_are_allowed_on_a_test_account_only(sandbox, api_key):
    assert create(sandbox, api_key, return_url="http://127.0.0.1:8000/pay/return")["return_url"].startswith("http:")
    sandbox.live = True
    status, body, _ = call(
        sandbox, "POST", "/v1/payments", WEB_PAYMENT | {"return_url": "http://x.example/"}, key=api_key
    )
    assert (status, body["code"], body["field"]) == (422, "P0102", "return_url")


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_400_p0197(sandbox, api_key, raw):
    status, body, _ = call(sandbox, "POST", "/v1/payments", raw, key=api_key)
    assert (status, body["code"]) == (400, "P0197")


def test_a_post_that_is_not_json_is_blocked_with_p0920(sandbox, api_key):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body, _ = call(sandbox, "POST", "/v1/payments", b"amount=1", key=api_key, headers=headers)
    assert (status, body["code"]) == (400, "P0920")


def test_an_idempotency_key_of_the_wrong_shape_is_422_naming_the_header(sandbox, api_key):
    headers = {"Idempotency-Key": "not allowed!"}
    status, body, _ = call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=api_key, headers=headers)
    assert (status, body["code"], body["header"]) == (422, "P0102", "Idempotency-Key")
    status, _, _ = call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=api_key, headers={"Idempotency-Key": "a-1"})
    assert status == 201


def test_moto_payments_refuse_a_return_url_and_need_the_feature(sandbox, api_key):
    moto = {k: v for k, v in WEB_PAYMENT.items() if k != "return_url"} | {"authorisation_mode": "moto_api"}
    status, body, _ = call(sandbox, "POST", "/v1/payments", moto | {"return_url": "https://x.example/"}, key=api_key)
    assert (status, body["code"]) == (422, "P0104")
    sandbox.moto_api_enabled = False
    status, body, _ = call(sandbox, "POST", "/v1/payments", moto, key=api_key)
    assert (status, body["code"]) == (422, "P0195")


def test_agreement_payments_are_not_enabled(sandbox, api_key):
    status, body, _ = call(
        sandbox, "POST", "/v1/payments", WEB_PAYMENT | {"authorisation_mode": "agreement"}, key=api_key
    )
    assert (status, body["code"]) == (422, "P0196")


# -- get, events, cancel, capture ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "suffix", "code"),
    [("GET", "", "P0200"), ("GET", "/events", "P0300"), ("POST", "/cancel", "P0500"), ("POST", "/capture", "P1000")],
)
def test_an_unknown_payment_is_404_with_the_endpoints_code(sandbox, api_key, method, suffix, code):
    status, body, _ = call(
        sandbox, method, f"/v1/payments/nosuchpayment{suffix}", {} if method == "POST" else None, key=api_key
    )
    assert (status, body) == (404, {"code": code, "description": "Not found"})


def test_cancelling_an_unfinished_payment_ends_it_with_p0040_and_twice_is_409(sandbox, api_key):
    payment_id = create(sandbox, api_key)["payment_id"]
    status, _, _ = call(sandbox, "POST", f"/v1/payments/{payment_id}/cancel", {}, key=api_key)
    assert status == 204
    _, body, _ = call(sandbox, "GET", f"/v1/payments/{payment_id}", key=api_key)
    assert body["state"] == {
        "status": "cancelled",
        "finished": True,
        "code": "P0040",
        "message": "Payment was cancelled by the service",
    }
    assert "cancel" not in body["_links"]
    assert "next_url" not in body["_links"]
    status, body, _ = call(sandbox, "POST", f"/v1/payments/{payment_id}/cancel", {}, key=api_key)
    assert (status, body["code"]) == (409, "P0502")


def test_events_list_every_state_change_in_order(sandbox, api_key, clock):
    payment_id = create(sandbox, api_key)["payment_id"]
    clock.advance(minutes=1)
    call(sandbox, "POST", f"/v1/payments/{payment_id}/cancel", {}, key=api_key)
    _, body, _ = call(sandbox, "GET", f"/v1/payments/{payment_id}/events", key=api_key)
    assert body["payment_id"] == payment_id
    assert [(e["state"]["status"], e["updated"]) for e in body["events"]] == [
        ("created", "2026-03-02T09:00:00.000Z"),
        ("cancelled", "2026-03-02T09:01:00.000Z"),
    ]
    assert body["events"][1]["_links"]["payment_url"]["href"].endswith(f"/v1/payments/{payment_id}")


def test_an_unpaid_payment_expires_after_90_minutes_with_p0020(sandbox, api_key, clock):
    payment_id = create(sandbox, api_key)["payment_id"]
    clock.advance(minutes=89, seconds=59)
    assert call(sandbox, "GET", f"/v1/payments/{payment_id}", key=api_key)[1]["state"]["status"] == "created"
    clock.advance(seconds=1)
    state = call(sandbox, "GET", f"/v1/payments/{payment_id}", key=api_key)[1]["state"]
    assert state == {"status": "failed", "finished": True, "code": "P0020", "message": "Payment expired"}


def test_unknown_routes_and_methods(sandbox, api_key):
    assert call(sandbox, "GET", "/v1/nothing", key=api_key)[0] == 404
    assert call(sandbox, "DELETE", "/v1/payments", key=api_key)[0] == 405


# -- rate limit ---------------------------------------------------------------------------------------------------
def test_more_than_15_posts_a_second_is_429_p0900_per_key_and_category(sandbox, api_key, clock):
    for _ in range(15):
        assert call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=api_key)[0] == 201
    status, body, _ = call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=api_key)
    assert (status, body) == (429, {"code": "P0900", "description": "Too many requests"})
    other_key = sandbox.new_api_key()
    assert call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=other_key)[0] == 201
    payment_id = create(sandbox, other_key)["payment_id"]
    assert call(sandbox, "POST", f"/v1/payments/{payment_id}/cancel", {}, key=api_key)[0] == 204  # another category
    assert call(sandbox, "GET", f"/v1/payments/{payment_id}", key=api_key)[0] == 200  # GETs are not limited
    clock.advance(seconds=1)
    assert call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=api_key)[0] == 201


def test_injected_failures_answer_as_pay_does(sandbox, api_key):
    sandbox.fail_next(500, "P0198")
    status, body, _ = call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=api_key)
    assert (status, body["code"]) == (500, "P0198")
    assert call(sandbox, "POST", "/v1/payments", WEB_PAYMENT, key=api_key)[0] == 201


# -- search -------------------------------------------------------------------------------------------------------
def test_search_payments_by_date_range_newest_first_with_paging_links(sandbox, api_key, clock):
    ids = []
    for _ in range(5):
        ids.append(create(sandbox, api_key)["payment_id"])
        clock.advance(minutes=10)
    query = "from_date=2026-03-02T09:05:00Z&to_date=2026-03-02T09:40:00Z&display_size=2"
    status, first, _ = call(sandbox, "GET", f"/v1/payments?{query}", key=api_key)
    assert status == 200
    assert (first["total"], first["count"], first["page"]) == (3, 2, 1)
    assert [p["payment_id"] for p in first["results"]] == [ids[3], ids[2]]
    assert "next_url" not in first["results"][0]["_links"]
    assert "prev_page" not in first["_links"]
    assert "page=2" in first["_links"]["next_page"]["href"]
    status, second, _ = call(sandbox, "GET", f"/v1/payments?{query}&page=2", key=api_key)
    assert [p["payment_id"] for p in second["results"]] == [ids[1]]
    assert "next_page" not in second["_links"]
    status, body, _ = call(sandbox, "GET", f"/v1/payments?{query}&page=3", key=api_key)
    assert (status, body["code"]) == (404, "P0402")


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v1/payments?from_date=2026-03-02", "P0401"),
        ("/v1/payments?display_size=501", "P0401"),
        ("/v1/payments?page=0", "P0401"),
        ("/v1/refunds?to_date=yesterday", "P1101"),
        ("/v1/refunds?display_size=x", "P1101"),
        ("/v1/payments?from_settled_date=2026-13-01", "P0401"),  # a date only, and a real one
        ("/v1/refunds?to_settled_date=2026-03-02T00:00:00Z", "P1101"),
    ],
)
def test_bad_search_parameters_are_422(sandbox, api_key, path, code):
    status, body, _ = call(sandbox, "GET", path, key=api_key)
    assert (status, body["code"]) == (422, code)
    assert body["description"].startswith("Invalid parameters: ")


def test_search_filters_by_reference_and_state(sandbox, api_key):
    create(sandbox, api_key, reference="A")
    cancelled = create(sandbox, api_key, reference="B")["payment_id"]
    call(sandbox, "POST", f"/v1/payments/{cancelled}/cancel", {}, key=api_key)
    assert [p["reference"] for p in call(sandbox, "GET", "/v1/payments?reference=A", key=api_key)[1]["results"]] == [
        "A"
    ]
    results = call(sandbox, "GET", "/v1/payments?state=cancelled", key=api_key)[1]["results"]
    assert [p["payment_id"] for p in results] == [cancelled]
