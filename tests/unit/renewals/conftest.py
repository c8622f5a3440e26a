"""Fixtures for the renewals service: its table (with the reminders index) and the events topic on moto."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from shared import aws
from shared import settings as shared_settings

TABLE = "renewals_table"


def create_renewals_table() -> None:
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "reference", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "reference", "AttributeType": "S"},
            {"AttributeName": "reminder", "AttributeType": "S"},
            {"AttributeName": "remind_on", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "reminders-due",
                "KeySchema": [
                    {"AttributeName": "reminder", "KeyType": "HASH"},
                    {"AttributeName": "remind_on", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with mock_aws():
        aws.reset()
        shared_settings.reset()
        create_renewals_table()
        monkeypatch.setenv("RENEWALS_TABLE", TABLE)
        yield
        aws.reset()
        shared_settings.reset()


def items() -> dict[str, dict]:
    return {i["reference"]: i for i in boto3.resource("dynamodb").Table(TABLE).scan()["Items"]}
