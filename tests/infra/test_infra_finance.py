"""The finance export's index on the Payments table: attempts by service and creation time (no Scan), projecting
only what a line needs (never the card page link or the return token)."""

from __future__ import annotations

import pytest

from payments.finance import PAYMENTS_BY_SERVICE, PAYMENTS_BY_SERVICE_FIELDS

pytestmark = pytest.mark.infra


def test_the_payments_table_has_the_finance_exports_index(synth):
    (table,) = [
        t
        for t in synth.resources("AWS::DynamoDB::Table")
        if t.stack == synth.stack("Payments") and t.props["KeySchema"][1]["AttributeName"] == "attempt"
    ]
    indexes = {index["IndexName"]: index for index in table.props["GlobalSecondaryIndexes"]}
    index = indexes[PAYMENTS_BY_SERVICE]
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == [
        ("service_id", "HASH"),
        ("created_at", "RANGE"),
    ]
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert sorted(index["Projection"]["NonKeyAttributes"]) == sorted(PAYMENTS_BY_SERVICE_FIELDS)
    assert not {"next_url", "return_token"} & set(index["Projection"]["NonKeyAttributes"])
