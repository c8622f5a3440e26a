"""The staff refund API (`POST /api/v1/payments/{reference}/refunds`, payments.staff_api) against the local Pay over
HTTP and moto tables: the member of staff from the token's claims, the `refund` permission from its `role:` groups,
the console's refusals as problem+json, one refund per Idempotency-Key, and who, when, why and from where kept in
the refund's own record (never in the logs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from payments.refunds_store import RefundsStore
from tests.helpers import FakeContext, http_event
from tests.unit.payments.test_payments_refunds import (
    REFERENCE,
    RefundsMeanwhile,
    pay,
    pay_refunds,
    refund_posts,
    refunds_with,
)

pytestmark = pytest.mark.unit

ROUTE_KEY = "POST /api/v1/payments/{reference}/refunds"
FINANCE = {"sub": "finance-sub", "email": "finance@example.org", "cognito:groups": "[role:finance team:waste]"}
CASEWORKER = {"sub": "cw-sub", "cognito:groups": "[role:caseworker team:waste]"}
KEY = "api-key-0000000000000001"
REASON = "Collection missed at Flat 3, 12 Acacia Avenue"


@pytest.fixture
def paid(tables, running, adapter, clock) -> str:
    return pay(running, adapter, clock)


@pytest.fixture
def api(paid, api_key, running, monkeypatch) -> Iterator[Any]:
    from payments import service, staff_api
    from shared import settings

    boto3.client("secretsmanager", region_name="eu-west-2").create_secret(
        Name="borough/test/pay-api-key", SecretString=api_key
    )
    for name, value in {
        "PAYMENTS_TABLE": "payments",
        "REFUNDS_TABLE": "refunds",
        "REFUND_ROLES": "finance",
        "PAY_BASE_URL": running.api_url,
        "PAY_API_KEY_SECRET_ID": "borough/test/pay-api-key",
    }.items():
        monkeypatch.setenv(name, value)
    settings.reset()
    service.reset()
    yield staff_api
    settings.reset()
    service.reset()


def post(api, body: Any = None, *, claims=FINANCE, key: str | None = KEY, reference: str = REFERENCE, headers=None):
    sent = {"x-forwarded-for": "203.0.113.9, 198.51.100.7", **(headers or {})}
    if key is not None:
        sent["idempotency-key"] = key
    event = http_event(
        "POST",
        f"/api/v1/payments/{reference}/refunds",
        body={"amount": 1000, "reason": REASON} if body is None else body,
        headers=sent,
        path_parameters={"reference": reference},
        route_key=ROUTE_KEY,
        claims=claims,
    )
    answer = api.handler(event, FakeContext())
    return answer["statusCode"], json.loads(answer["body"]), {k.lower(): v for k, v in answer["headers"].items()}


def test_finance_refunds_part_and_the_record_says_who_when_why_and_from_where(api, running, caplog):
    status, body, headers = post(api)
    assert status == 201, body
    assert (body["reference"], body["number"], body["amount_pence"], body["status"]) == (
        REFERENCE,
        1,
        1000,
        "submitted",
    )
    assert (body["via"], body["staff"], body["reason"]) == ("api", "finance-sub", REASON)
    assert headers["cache-control"] == "no-store"
    [record] = RefundsStore("refunds").of(REFERENCE)
    assert (record.staff, record.reason, record.via, record.source_ip, record.form_key) == (
        "finance-sub",
        REASON,
        "api",
        "198.51.100.7",  # the address CloudFront appended, not the one the caller wrote first
        KEY,
    )
    asked = datetime.fromisoformat(record.requested_at)  # when: the function's clock
    assert timedelta(0) <= datetime.now(UTC) - asked < timedelta(minutes=1)
    assert pay_refunds(running) == [(1000, "submitted")]
    logged = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert "Acacia" not in logged
    assert "198.51.100.7" not in logged


def test_the_same_key_twice_is_one_refund(api, running):
    first = post(api)
    again = post(api)
    assert (first[0], again[0]) == (201, 200)
    assert again[2]["idempotent-replayed"] == "true"
    assert again[1] == first[1]
    assert refund_posts(running) == 1
    assert len(RefundsStore("refunds").of(REFERENCE)) == 1
    # A new key is a new refund, with the next number.
    status, body, _ = post(api, {"amount": 500, "reason": "Second visit missed"}, key="api-key-0000000000000002")
    assert (status, body["number"]) == (201, 2)
    assert refund_posts(running) == 2


def test_the_same_key_for_another_refund_is_422_and_asks_pay_nothing(api, running):
    post(api)
    status, body, headers = post(api, {"amount": 999, "reason": REASON})
    assert status == 422
    assert headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in body["detail"]
    assert refund_posts(running) == 1


def test_a_role_without_the_refund_permission_is_403(api, running):
    status, body, headers = post(api, claims=CASEWORKER)
    assert (status, headers["content-type"]) == (403, "application/problem+json")
    assert body["detail"] == "You do not have permission to refund payments."
    assert refund_posts(running) == 0
    assert RefundsStore("refunds").of(REFERENCE) == []
    assert post(api, claims={"cognito:groups": "[role:finance]"})[0] == 403  # no subject: nobody to record


@pytest.mark.parametrize(
    ("body", "key", "status"),
    [
        ({"amount": "10.00", "reason": "r"}, KEY, 422),
        ({"amount": 0, "reason": "r"}, KEY, 422),
        ({"amount": True, "reason": "r"}, KEY, 422),
        ({"amount": 100, "reason": "   "}, KEY, 422),
        ({"amount": 100, "reason": "x" * 501}, KEY, 422),
        ({"amount": 100}, KEY, 422),
        ({"amount": 100, "reason": "r"}, None, 400),
        ({"amount": 100, "reason": "r"}, "short", 400),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(api, running, body, key, status):
    answer = post(api, body, key=key)
    assert answer[0] == status, answer
    assert answer[2]["content-type"] == "application/problem+json"
    assert RefundsStore("refunds").of(REFERENCE) == []
    assert refund_posts(running) == 0


def test_more_than_is_left_is_409_over_available(api, running):
    status, body, headers = post(api, {"amount": 3501, "reason": REASON})
    assert (status, headers["content-type"], body["problem"]) == (409, "application/problem+json", "over-available")
    assert "£35.00" in body["detail"]
    assert refund_posts(running) == 0
    # The same key again is the same refusal, and Pay is still not asked.
    assert post(api, {"amount": 3501, "reason": REASON})[1]["problem"] == "over-available"
    assert refund_posts(running) == 0


def test_a_payment_refunded_in_full_is_409_fully_refunded(api, running, clock):
    assert post(api, {"amount": 3500, "reason": REASON})[0] == 201
    clock.advance(seconds=10)
    running.sandbox.advance()
    status, body, _ = post(api, {"amount": 1, "reason": REASON}, key="api-key-0000000000000002")
    assert (status, body["problem"]) == (409, "fully-refunded")


def test_an_unpaid_request_is_409_not_paid(api, running):
    status, body, _ = post(api, reference="ZZZZ-0000")
    assert (status, body["problem"]) == (409, "not-paid")


def test_a_payment_changed_twice_meanwhile_is_409_changed_after_one_re_read(api, running, adapter, clock, monkeypatch):
    monkeypatch.setattr(api, "refunds", lambda: refunds_with(RefundsMeanwhile(adapter, 2), clock))
    status, body, _ = post(api)
    assert (status, body["problem"]) == (409, "changed")
    assert pay_refunds(running) == [(100, "submitted"), (100, "submitted")]  # ours was never made
    assert RefundsStore("refunds").get(REFERENCE, 1).status == "not-created"


def test_a_malformed_reference_is_400(api, running):
    assert post(api, reference="not-a-ref")[0] == 400


def _roles() -> dict[str, list[str]]:
    import yaml

    from stacks.console_stack import ROLES_FILE

    return {name: role["permissions"] for name, role in yaml.safe_load(ROLES_FILE.read_text())["roles"].items()}


@pytest.mark.parametrize("role", sorted(_roles()))
def test_the_route_by_role_matrix_follows_roles_yaml(api, running, role):
    """Each console role (roles.yaml) against the route: allowed exactly when the role holds `refund`."""
    claims = {"sub": f"{role}-sub", "cognito:groups": f"[role:{role} team:waste]"}
    status, body, _ = post(api, claims=claims, key=f"api-key-{role:0>16}")
    assert (status == 201) is ("refund" in _roles()[role]), (role, status, body)
    if status != 201:
        assert status == 403
        assert refund_posts(running) == 0
