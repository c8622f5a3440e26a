"""The renewals stack: its table (the council's key, PITR, TTL, the reminders index the daily job Queries), its
consumer on its own queue (made from CONSUMERS: payment-succeeded only), and exact grants (no Scan, no Delete,
nothing on Resource "*")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from renewals.store import REMINDERS_DUE
from shared.events import EventType
from tests.infra.test_infra_payments import _actions

pytestmark = pytest.mark.infra

CONSUMER = "renewals.handler.handler"


def _functions(synth) -> dict[str, Any]:
    return {
        f.props["Handler"]: f for f in synth.resources("AWS::Lambda::Function") if f.stack == synth.stack("Renewals")
    }


def _table(synth):
    (table,) = [t for t in synth.resources("AWS::DynamoDB::Table") if t.stack == synth.stack("Renewals")]
    return table


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


JOB = "renewals.job.handler"
LINKS = "renewals.links.handler"


def test_the_job_runs_daily_and_queries_the_reminders_index_never_scanning(synth):
    (rule,) = [r for r in synth.resources("AWS::Events::Rule") if r.stack == synth.stack("Renewals")]
    assert rule.props["ScheduleExpression"] == "cron(0 8 * * ? *)"
    (target,) = rule.props["Targets"]
    job = _functions(synth)[JOB]
    assert synth.refers_to(rule.stack, target["Arn"]) == job.id
    table = _table(synth).id
    grants = _dynamodb_grants(synth, job)
    assert sorted(map(sorted, grants.values())) == [["dynamodb:Query"], ["dynamodb:UpdateItem"]]
    for resource, actions in grants.items():
        value = json.loads(resource)
        if actions == {"dynamodb:Query"}:  # the index only: `<table ARN>/index/reminders-due`
            assert value["Fn::Join"][1][-1] == f"/index/{REMINDERS_DUE}"
            assert synth.refers_to(job.stack, value["Fn::Join"][1][0]) == table
        else:
            assert synth.refers_to(job.stack, value) == table


def test_the_job_publishes_to_the_events_topic_only(synth):
    job = _functions(synth)[JOB]
    (topic,) = [t for t in synth.resources("AWS::SNS::Topic") if t.stack == synth.stack("Events")]
    published = [s for s in synth.role_statements(job) if "sns:Publish" in _actions(s)]
    (statement,) = published
    assert _actions(statement) == ["sns:Publish"]
    assert synth.refers_to(job.stack, statement["Resource"]) == topic.id


def test_the_links_function_is_named_reads_its_key_and_one_request_item(synth):
    links = _functions(synth)[LINKS]
    assert links.props["FunctionName"].endswith("-RenewalLinks")
    grants = _dynamodb_grants(synth, links)
    requests = next(
        t.id
        for t in synth.resources("AWS::DynamoDB::Table")
        if t.stack == synth.stack("Data")
        and t.props["KeySchema"] == [{"AttributeName": "reference", "KeyType": "HASH"}]
    )
    by_table = {synth.refers_to(links.stack, json.loads(r)): a for r, a in grants.items()}
    assert by_table == {_table(synth).id: {"dynamodb:GetItem", "dynamodb:PutItem"}, requests: {"dynamodb:GetItem"}}
    secrets = [s for s in synth.role_statements(links) if any(a.startswith("secretsmanager:") for a in _actions(s))]
    (statement,) = secrets
    assert _actions(statement) == ["secretsmanager:GetSecretValue"]
    (secret,) = [s for s in synth.resources("AWS::SecretsManager::Secret") if s.stack == synth.stack("Renewals")]
    assert synth.refers_to(links.stack, statement["Resource"]) == secret.id
    variables = links.props["Environment"]["Variables"]
    assert synth.refers_to(links.stack, variables["RENEWAL_LINK_KEY_SECRET_ID"]) == secret.id
