"""The staff refund API in the local cloud: `POST /api/v1/payments/{reference}/refunds` through the front door,
API Gateway's JWT authorizer (a real ID token of the demo finance officer from the local Cognito) and the deployed
StaffRefundsApi function, against the local Pay: a refund made once however often it is posted, the console's
refusals as problem+json, and the record saying who, when, why and from where."""

from __future__ import annotations

from typing import Any

import pytest

from local import pay_standin
from local.moto_session import LOCK
from local.staff import DEMO_PASSWORD, DEMO_STAFF, SIGN_IN_PATH
from tests.local.test_local_payments import pay_with_a_success_card

pytestmark = pytest.mark.local

KEY = "local-api-refund-000000000001"


def _token(local_cloud, role: str) -> str:
    signed_in = local_cloud.handle(
        "POST", SIGN_IN_PATH, json_body={"username": DEMO_STAFF[role], "password": DEMO_PASSWORD}
    )
    assert signed_in.status == 200, signed_in.body
    return str(signed_in.json()["id_token"])


def _post(local_cloud, reference: str, body: dict[str, Any], *, token: str | None, key: str = KEY):
    headers = {"content-type": "application/json", "idempotency-key": key}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return local_cloud.handle("POST", f"/api/v1/payments/{reference}/refunds", headers, json_body=body)


def test_finance_refunds_over_http_once_and_is_refused_as_the_console_is(local_cloud):
    reference = pay_with_a_success_card(local_cloud)
    [payment] = [p for p in pay_standin.sandbox().ledger.payments.values() if p.reference == reference]
    finance = _token(local_cloud, "finance")
    reason = {"amount": 1000, "reason": "Collection missed"}

    assert _post(local_cloud, reference, reason, token=None).status == 401  # the authorizer, before any function
    caseworker = _post(local_cloud, reference, reason, token=_token(local_cloud, "caseworker"))
    assert caseworker.status == 403, caseworker.body
    assert caseworker.header("content-type") == "application/problem+json"
    assert payment.refunds == []

    made = _post(local_cloud, reference, reason, token=finance)
    assert made.status == 201, made.body
    assert (made.json()["number"], made.json()["status"], made.json()["via"]) == (1, "submitted", "api")
    again = _post(local_cloud, reference, reason, token=finance)  # a double POST
    assert (again.status, again.header("idempotent-replayed")) == (200, "true")
    assert [(r.amount, r.status) for r in payment.refunds] == [(1000, "submitted")]  # one refund at Pay

    over = _post(local_cloud, reference, {"amount": 2000, "reason": "Second visit"}, token=finance, key="k" * 20)
    assert (over.status, over.header("content-type")) == (409, "application/problem+json")
    assert (over.json()["problem"], over.json()["status"]) == ("over-available", 409)
    assert "£15.00" in over.json()["detail"]
    assert len(payment.refunds) == 1

    with LOCK:
        items = local_cloud.client("dynamodb").query(
            TableName=local_cloud.physical_id("Borough-dev-Payments/Refunds"),
            KeyConditionExpression="#r = :r",
            ExpressionAttributeNames={"#r": "reference"},
            ExpressionAttributeValues={":r": {"S": reference}},
        )["Items"]
    first = next(i for i in items if i["refund"]["N"] == "1")
    assert (first["via"]["S"], first["reason"]["S"], first["form_key"]["S"]) == ("api", "Collection missed", KEY)
    assert first["staff"]["S"]  # the finance officer's Cognito sub, from the token
    assert first["source_ip"]["S"]  # where from
    assert first["requested_at"]["S"]
