"""The payments stack: its table (the council's key, PITR, TTL, the two indexes the code queries), the webhook
queue with its dead-letter queue, the reconciler's schedule, and exact grants: who may read which Pay secret, who
may send to the queue, and nothing on Resource "*"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from payments.store import BY_RETURN_TOKEN, OPEN_ATTEMPTS, UNPAID_REQUESTS

pytestmark = pytest.mark.infra

SERVICE_HANDLERS = (
    "payments.handler.handler",
    "payments.worker.handler",
    "payments.reconciler.handler",
    "payments.moto_handler.handler",  # fees by phone (tests/infra/test_infra_assisted.py)
)
RECEIVER = "payments.webhooks.handler"


def _functions(synth) -> dict[str, Any]:
    return {
        f.props["Handler"]: f for f in synth.resources("AWS::Lambda::Function") if f.stack == synth.stack("Payments")
    }


def _table(synth):
    (table,) = [t for t in synth.resources("AWS::DynamoDB::Table") if t.stack == synth.stack("Payments")]
    return table


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _secret_grants(synth, function) -> list[str]:
    """The secret names (the `borough/<env>/...` part of each ARN) a function may read."""
    names = []
    for statement in synth.role_statements(function):
        if "secretsmanager:GetSecretValue" in _actions(statement):
            text = json.dumps(statement["Resource"])
            names += [part for part in ("pay-api-key", "pay-webhook-secret", "OriginVerify") if part in text]
            assert _actions(statement) == ["secretsmanager:GetSecretValue"]
    return sorted(names)


def test_the_table_is_encrypted_with_the_councils_key_recoverable_and_expiring(synth):
    props = _table(synth).props
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert "KMSMasterKeyId" in props["SSESpecification"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props.get("DeletionProtectionEnabled", False) is (synth.environment == "prod")
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["reference", "attempt"]
    indexes = {index["IndexName"]: index for index in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {BY_RETURN_TOKEN, OPEN_ATTEMPTS, UNPAID_REQUESTS}
    assert [k["AttributeName"] for k in indexes[UNPAID_REQUESTS]["KeySchema"]] == ["awaiting", "unpaid_due"]
    assert [k["AttributeName"] for k in indexes[OPEN_ATTEMPTS]["KeySchema"]] == ["open", "created_at"]


def test_the_webhook_queue_has_a_dead_letter_queue_and_fits_the_workers_timeout(synth):
    queues = [q for q in synth.resources("AWS::SQS::Queue") if q.stack == synth.stack("Payments")]
    (queue,) = [q for q in queues if "RedrivePolicy" in q.props]
    assert queue.props["RedrivePolicy"]["maxReceiveCount"] == 5
    assert queue.props["SqsManagedSseEnabled"] is True
    worker = _functions(synth)["payments.worker.handler"]
    assert queue.props["VisibilityTimeout"] >= 6 * worker.props["Timeout"]
    (mapping,) = [m for m in synth.resources("AWS::Lambda::EventSourceMapping") if m.stack == synth.stack("Payments")]
    assert synth.refers_to(mapping.stack, mapping.props["EventSourceArn"]) == queue.id
    assert mapping.props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_reconciler_runs_every_five_minutes(synth):
    (rule,) = [r for r in synth.resources("AWS::Events::Rule") if r.stack == synth.stack("Payments")]
    assert rule.props["ScheduleExpression"] == "rate(5 minutes)"
    (target,) = rule.props["Targets"]
    reconciler = _functions(synth)["payments.reconciler.handler"]
    assert synth.refers_to(rule.stack, target["Arn"]) == reconciler.id


def test_only_the_functions_that_call_pay_read_its_key_and_only_the_receiver_reads_the_signing_secret(synth):
    functions = _functions(synth)
    assert set(functions) == {*SERVICE_HANDLERS, RECEIVER}
    for handler in SERVICE_HANDLERS:
        assert _secret_grants(synth, functions[handler]) == ["pay-api-key"], handler
    assert _secret_grants(synth, functions[RECEIVER]) == ["OriginVerify", "pay-webhook-secret"]
    for function in synth.resources("AWS::Lambda::Function"):
        if function.stack != synth.stack("Payments"):
            text = json.dumps(synth.role_statements(function))
            assert "pay-api-key" not in text
            assert "pay-webhook-secret" not in text


def test_the_receiver_only_checks_and_queues(synth):
    receiver = _functions(synth)[RECEIVER]
    actions = {a for s in synth.role_statements(receiver) for a in _actions(s)}
    assert not {a for a in actions if a.startswith(("dynamodb:", "sns:", "lambda:"))}
    (send,) = [s for s in synth.role_statements(receiver) if "sqs:SendMessage" in _actions(s)]
    assert _actions(send) == ["sqs:SendMessage"]
    assert synth.refers_to(receiver.stack, send["Resource"]).logical_id.startswith("WebhookQueue")


def test_attempts_are_never_scanned_or_deleted_and_requests_only_read_and_updated(synth):
    table = _table(synth)
    for handler in SERVICE_HANDLERS:
        function = _functions(synth)[handler]
        for statement in synth.role_statements(function):
            if not any(a.startswith("dynamodb:") for a in _actions(statement)):
                continue
            assert not {"dynamodb:Scan", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"} & set(_actions(statement))
            if synth.refers_to(function.stack, statement["Resource"]) == table.id:
                assert set(_actions(statement)) <= {
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                }


def test_the_web_may_send_residents_on_to_pays_card_pages(synth):
    (policy,) = synth.resources("AWS::CloudFront::ResponseHeadersPolicy")
    csp = json.dumps(policy.props)
    form_action = csp.split("form-action", 1)[1].split(";", 1)[0]
    assert "https://card.payments.service.gov.uk" in form_action
