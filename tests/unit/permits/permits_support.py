"""A moto Permits table shaped as stacks/permits_stack.py declares it (pk + sk, the by-vrm and by-household
indexes), and the audit table."""

from __future__ import annotations

from typing import Any

from permits.store import BY_HOUSEHOLD, BY_VRM


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
