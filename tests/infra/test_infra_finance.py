"""The finance export's indexes (no Scan): attempts by service and creation time on the Payments table, refunds by
state and request time on the Refunds table, each projecting only what a line needs (never the card page link, the
return token, a refund's reason or who asked); the staff function may Query exactly those two indexes."""

from __future__ import annotations

import json

import pytest

from payments.finance import (
    PAYMENTS_BY_SERVICE,
    PAYMENTS_BY_SERVICE_FIELDS,
    REFUNDS_BY_STATUS,
    REFUNDS_BY_STATUS_FIELDS,
)

pytestmark = pytest.mark.infra


def _table(synth, sort_key: str):
    (table,) = [
        t
        for t in synth.resources("AWS::DynamoDB::Table")
        if t.stack == synth.stack("Payments") and t.props["KeySchema"][1]["AttributeName"] == sort_key
    ]
    return table


@pytest.mark.parametrize(
    ("sort_key", "name", "keys", "fields", "never"),
    [
        ("attempt", PAYMENTS_BY_SERVICE, ["service_id", "created_at"], PAYMENTS_BY_SERVICE_FIELDS, {"next_url"}),
        ("refund", REFUNDS_BY_STATUS, ["status", "requested_at"], REFUNDS_BY_STATUS_FIELDS, {"reason", "staff"}),
    ],
)
def test_the_tables_have_the_finance_exports_indexes(synth, sort_key, name, keys, fields, never):
    table = _table(synth, sort_key)
    index = {i["IndexName"]: i for i in table.props["GlobalSecondaryIndexes"]}[name]
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == list(
        zip(keys, ("HASH", "RANGE"), strict=True)
    )
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    assert sorted(index["Projection"]["NonKeyAttributes"]) == sorted(fields)
    assert not never & set(index["Projection"]["NonKeyAttributes"])


def test_the_staff_function_may_query_both_indexes_and_never_scan(synth):
    (staff,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "payments.staff.handler"]
    statements = synth.role_statements(staff)
    text = json.dumps(statements)
    assert "dynamodb:Scan" not in text
    for name in (PAYMENTS_BY_SERVICE, REFUNDS_BY_STATUS):
        granted = [s for s in statements if f"/index/{name}" in json.dumps(s["Resource"])]
        assert granted, name
        assert all(s["Action"] in ("dynamodb:Query", ["dynamodb:Query"]) for s in granted), name


def test_the_staff_function_checks_the_export_roles_itself(synth):
    (staff,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "payments.staff.handler"]
    assert staff.props["Environment"]["Variables"]["EXPORT_ROLES"] == "finance"  # roles.yaml: export-finance
