"""A moto Permits table shaped as stacks/permits_stack.py declares it (pk + sk, the by-vrm, by-household, by-change
and by-due indexes), and the audit table."""

from __future__ import annotations

from typing import Any

from permits.feed import FEED_ATTRIBUTES
from permits.schedule import BY_DUE
from permits.store import BY_CHANGE, BY_HOUSEHOLD, BY_VRM


def create_permits_table(dynamodb: Any, name: str) -> Any:
    return dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "vrm", "AttributeType": "S"},
            {"AttributeName": "household", "AttributeType": "S"},
            {"AttributeName": "zone", "AttributeType": "S"},
            {"AttributeName": "feed_month", "AttributeType": "S"},
            {"AttributeName": "feed_at", "AttributeType": "S"},
            {"AttributeName": "due_on", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": BY_VRM,
                "KeySchema": [{"AttributeName": "vrm", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": BY_HOUSEHOLD,
                "KeySchema": [
                    {"AttributeName": "household", "KeyType": "HASH"},
                    {"AttributeName": "zone", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": BY_CHANGE,
                "KeySchema": [
                    {"AttributeName": "feed_month", "KeyType": "HASH"},
                    {"AttributeName": "feed_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(FEED_ATTRIBUTES)},
            },
            {
                "IndexName": BY_DUE,
                "KeySchema": [
                    {"AttributeName": "due_on", "KeyType": "HASH"},
                    {"AttributeName": "pk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def create_lookups_table(dynamodb: Any, name: str) -> Any:
    return dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "device", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "device", "AttributeType": "S"},
            {"AttributeName": "at", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
