"""The renewals stack: its table (the council's key, PITR, TTL, the reminders index the daily job Queries), its
consumer on its own queue (made from CONSUMERS: payment-succeeded only), and exact grants (no Scan, no Delete,
nothing on Resource "*")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from renewals.store import REMINDERS_DUE
from shared.events import EventType

pytestmark = pytest.mark.infra

CONSUMER = "renewals.handler.handler"


def _functions(synth) -> dict[str, Any]:
    return {
        f.props["Handler"]: f for f in synth.resources("AWS::Lambda::Function") if f.stack == synth.stack("Renewals")
    }


def _table(synth):
    (table,) = [t for t in synth.resources("AWS::DynamoDB::Table") if t.stack == synth.stack("Renewals")]
    return table


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _dynamodb_grants(synth, function) -> dict[str, set[str]]:
    """{resource (as JSON): actions} of a function's DynamoDB statements."""
    grants: dict[str, set[str]] = {}
    for statement in synth.role_statements(function):
        actions = [a for a in _actions(statement) if a.startswith("dynamodb:")]
        if actions:
            grants.setdefault(json.dumps(statement["Resource"], sort_keys=True), set()).update(actions)
    return grants


def _renewals_queue(synth):
    """The queue whose subscription filters on payment-succeeded alone (found by contract, not by logical id)."""
    (subscription,) = [
        s
        for s in synth.resources("AWS::SNS::Subscription")
        if s.props.get("FilterPolicy", {}).get("type") == [EventType.PAYMENT_SUCCEEDED.value]
    ]
    return synth.refers_to(subscription.stack, subscription.props["Endpoint"])


def test_the_table_is_encrypted_with_the_councils_key_recoverable_and_expiring(synth):
    props = _table(synth).props
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert "KMSMasterKeyId" in props["SSESpecification"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props.get("DeletionProtectionEnabled", False) is (synth.environment == "prod")
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["reference"]
    (index,) = props["GlobalSecondaryIndexes"]
    assert index["IndexName"] == REMINDERS_DUE
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["reminder", "remind_on"]


def test_the_consumer_reads_its_own_queue_with_batch_item_failures(synth):
    queue = synth.get(_renewals_queue(synth))
    assert queue.props["RedrivePolicy"]["maxReceiveCount"] == 5
    consumer = _functions(synth)[CONSUMER]
    assert queue.props["VisibilityTimeout"] >= 6 * consumer.props["Timeout"]
    (mapping,) = [m for m in synth.resources("AWS::Lambda::EventSourceMapping") if m.stack == synth.stack("Renewals")]
    assert synth.refers_to(mapping.stack, mapping.props["EventSourceArn"]) == queue.id
    assert synth.refers_to(mapping.stack, mapping.props["FunctionName"]) == consumer.id
    assert mapping.props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_consumer_may_get_put_and_update_its_table_only(synth):
    consumer = _functions(synth)[CONSUMER]
    grants = _dynamodb_grants(synth, consumer)
    assert list(grants.values()) == [{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}]
    (resource,) = [json.loads(r) for r in grants]
    assert synth.refers_to(consumer.stack, resource) == _table(synth).id


def test_no_renewals_statement_is_on_every_resource_but_tracing(synth):
    for function in _functions(synth).values():
        for statement in synth.role_statements(function):
            if statement["Resource"] == "*":
                assert set(_actions(statement)) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
