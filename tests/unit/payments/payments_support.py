"""Moto tables for the payments service's tests: Requests (keyed by reference) and Payments (reference + attempt,
with the service's indexes, as stacks/payments_stack.py declares them), Refunds (with the finance export's
`refunds-by-status` index too)."""

from __future__ import annotations

from typing import Any

from payments.finance import (
    PAYMENTS_BY_SERVICE,
    PAYMENTS_BY_SERVICE_FIELDS,
    REFUNDS_BY_STATUS,
    REFUNDS_BY_STATUS_FIELDS,
)
from payments.refunds_store import OPEN_REFUNDS
from payments.store import BY_DAY, BY_RETURN_TOKEN, OPEN_ATTEMPTS, UNPAID_REQUESTS
from shared import aws


def create_payments_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "reference", "KeyType": "HASH"}, {"AttributeName": "attempt", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "reference", "AttributeType": "S"},
            {"AttributeName": "attempt", "AttributeType": "N"},
            {"AttributeName": "return_token", "AttributeType": "S"},
            {"AttributeName": "open", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
            {"AttributeName": "awaiting", "AttributeType": "S"},
            {"AttributeName": "unpaid_due", "AttributeType": "S"},
            {"AttributeName": "service_id", "AttributeType": "S"},
            {"AttributeName": "created_day", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": BY_RETURN_TOKEN,
                "KeySchema": [{"AttributeName": "return_token", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": OPEN_ATTEMPTS,
                "KeySchema": [
                    {"AttributeName": "open", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": UNPAID_REQUESTS,
                "KeySchema": [
                    {"AttributeName": "awaiting", "KeyType": "HASH"},
                    {"AttributeName": "unpaid_due", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": PAYMENTS_BY_SERVICE,
                "KeySchema": [
                    {"AttributeName": "service_id", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(PAYMENTS_BY_SERVICE_FIELDS)},
            },
            {
                "IndexName": BY_DAY,
                "KeySchema": [
                    {"AttributeName": "created_day", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_requests_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "reference", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "reference", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def create_refunds_table(dynamodb: Any, name: str) -> None:
    """Refunds (reference + refund number) with the sparse open-refunds index and the refunds-by-status index, as
    stacks/payments_stack.py declares them."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "reference", "KeyType": "HASH"}, {"AttributeName": "refund", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "reference", "AttributeType": "S"},
            {"AttributeName": "refund", "AttributeType": "N"},
            {"AttributeName": "open", "AttributeType": "S"},
            {"AttributeName": "requested_at", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": OPEN_REFUNDS,
                "KeySchema": [
                    {"AttributeName": "open", "KeyType": "HASH"},
                    {"AttributeName": "requested_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": REFUNDS_BY_STATUS,
                "KeySchema": [
                    {"AttributeName": "status", "KeyType": "HASH"},
                    {"AttributeName": "requested_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(REFUNDS_BY_STATUS_FIELDS)},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def put_awaiting_request(reference: str, *, status: str = "awaiting-payment", amount: int = 2500) -> None:
    """A request as the catalogue stores it on "Accept and send" for a fee service (bulky waste)."""
    aws.table("requests").put_item(
        Item={
            "reference": reference,
            "service_id": "bulky-waste",
            "service_title": "Book a bulky waste collection",
            "status": status,
            "amount_due_pence": amount,
            "history": [{"status": status, "at": "2026-03-02T09:00:00+00:00"}],
            "expires_at": 2_000_000_000,
        }
    )


def set_payments_environment(monkeypatch: Any, *, pay_url: str, topic_arn: str, **extra: str) -> None:
    """A payments function's environment, as the stack gives it (the Pay key's secret is made by the caller)."""
    for name, value in {
        "PAYMENTS_TABLE": "payments",
        "REQUESTS_TABLE": "requests",
        "EVENTS_TOPIC_ARN": topic_arn,
        "PAY_BASE_URL": pay_url,
        "PAY_API_KEY_SECRET_ID": "borough/test/pay-api-key",
        "PUBLIC_BASE_URL": "https://borough.example",
        **extra,
    }.items():
        monkeypatch.setenv(name, value)
