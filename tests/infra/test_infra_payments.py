"""The payments stack: its tables (attempts and refunds: the council's key, PITR, TTL, the indexes the code
queries), the webhook queue with its dead-letter queue, the reconciler's schedule, the staff payments function the
console invokes, and exact grants: who may read which Pay secret, who may write refunds, who may send to the queue,
and nothing on Resource "*"."""

from __future__ import annotations

import json
from typing import Any

import pytest

from payments.finance import PAYMENTS_BY_SERVICE, REFUNDS_BY_STATUS
from payments.refunds import REFUNDS_FAILED_METRIC
from payments.refunds_store import OPEN_REFUNDS
from payments.store import BY_DAY, BY_RETURN_TOKEN, OPEN_ATTEMPTS, UNPAID_REQUESTS

pytestmark = pytest.mark.infra

SERVICE_HANDLERS = (
    "payments.handler.handler",
    "payments.worker.handler",
    "payments.reconciler.handler",
    "payments.creator_handler.handler",
    "payments.moto_handler.handler",  # fees by phone (tests/infra/test_infra_assisted.py)
)
CREATOR = "payments.creator_handler.handler"
COMPARISON = "payments.reconciler.nightly_handler"
RECEIVER = "payments.webhooks.handler"
STAFF = "payments.staff.handler"
STAFF_API = "payments.staff_api.handler"  # the staff refund API (POST /api/v1/payments/{reference}/refunds)
ORDER_REFUNDS = "payments.order_refunds.handler"  # refund-order, for the permits functions
WORKER, RECONCILER = "payments.worker.handler", "payments.reconciler.handler"


def _functions(synth) -> dict[str, Any]:
    return {
        f.props["Handler"]: f for f in synth.resources("AWS::Lambda::Function") if f.stack == synth.stack("Payments")
    }


def _tables(synth) -> dict[str, Any]:
    """The stack's tables by their sort key: `attempt` (Payments) and `refund` (Refunds)."""
    found = [t for t in synth.resources("AWS::DynamoDB::Table") if t.stack == synth.stack("Payments")]
    return {t.props["KeySchema"][1]["AttributeName"]: t for t in found}


def _table(synth):
    return _tables(synth)["attempt"]


def _grants(synth, function, table) -> dict[str, set[str]]:
    """The DynamoDB actions `function` has on `table` ("table") and on each of its indexes (by name)."""
    found: dict[str, set[str]] = {}
    for statement in synth.role_statements(function):
        if not any(a.startswith("dynamodb:") for a in _actions(statement)):
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:  # CDK merges statements of the same actions into one with many resources
            if synth.refers_to(function.stack, resource) == table.id:
                found.setdefault("table", set()).update(_actions(statement))
            elif isinstance(resource, dict) and "Fn::Join" in resource:
                parts = resource["Fn::Join"][1]
                if synth.refers_to(function.stack, parts[0]) == table.id:
                    found.setdefault(str(parts[-1]).removeprefix("/index/"), set()).update(_actions(statement))
    return found


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
    assert set(indexes) == {BY_RETURN_TOKEN, OPEN_ATTEMPTS, UNPAID_REQUESTS, PAYMENTS_BY_SERVICE, BY_DAY}
    assert [k["AttributeName"] for k in indexes[BY_DAY]["KeySchema"]] == ["created_day", "created_at"]
    assert [k["AttributeName"] for k in indexes[UNPAID_REQUESTS]["KeySchema"]] == ["awaiting", "unpaid_due"]
    assert [k["AttributeName"] for k in indexes[OPEN_ATTEMPTS]["KeySchema"]] == ["open", "created_at"]


def _mapping_of(synth, function):
    """The event source mapping that feeds `function` (found by its function, not by logical id)."""
    (mapping,) = [
        m
        for m in synth.resources("AWS::Lambda::EventSourceMapping")
        if m.stack == synth.stack("Payments") and synth.refers_to(m.stack, m.props["FunctionName"]) == function.id
    ]
    return mapping


def test_the_webhook_queue_has_a_dead_letter_queue_and_fits_the_workers_timeout(synth):
    worker = _functions(synth)["payments.worker.handler"]
    mapping = _mapping_of(synth, worker)
    queue = synth.get(synth.refers_to(mapping.stack, mapping.props["EventSourceArn"]))
    assert queue.props["RedrivePolicy"]["maxReceiveCount"] == 5
    assert queue.props["SqsManagedSseEnabled"] is True
    assert queue.props["VisibilityTimeout"] >= 6 * worker.props["Timeout"]
    assert mapping.props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_create_queue_is_paced_has_a_dead_letter_queue_and_only_the_web_function_sends_to_it(synth):
    functions = _functions(synth)
    creator = functions[CREATOR]
    mapping = _mapping_of(synth, creator)
    queue_id = synth.refers_to(mapping.stack, mapping.props["EventSourceArn"])
    queue = synth.get(queue_id)
    assert queue.props["SqsManagedSseEnabled"] is True
    assert queue.props["RedrivePolicy"]["maxReceiveCount"] == 5
    assert queue.props["VisibilityTimeout"] >= 6 * creator.props["Timeout"]
    assert creator.props["Timeout"] >= 30  # tries with backoff, each a create of 6 s at worst
    assert mapping.props["BatchSize"] == 1
    assert mapping.props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 2 <= mapping.props["ScalingConfig"]["MaximumConcurrency"] <= 5  # a few creates in flight: Pay's 15/s
    dead_letters = synth.refers_to(queue.stack, queue.props["RedrivePolicy"]["deadLetterTargetArn"])
    alarmed = [
        a
        for a in synth.resources("AWS::CloudWatch::Alarm")
        if a.props.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and dead_letters.logical_id in json.dumps(a.props.get("Dimensions"))
    ]
    assert alarmed, "the create queue's dead-letter queue is alarmed"
    senders = {
        handler
        for handler, function in functions.items()
        for statement in synth.role_statements(function)
        if "sqs:SendMessage" in _actions(statement)
        and synth.refers_to(function.stack, statement["Resource"]) == queue_id
    }
    assert senders == {"payments.handler.handler"}
    consumed = {
        action
        for statement in synth.role_statements(creator)
        if synth.refers_to(creator.stack, statement["Resource"]) == queue_id
        for action in _actions(statement)
    }
    assert "sqs:ChangeMessageVisibility" in consumed  # hands a still rate-limited create back after a few seconds
    assert "sqs:SendMessage" not in consumed
    web = functions["payments.handler.handler"]
    assert synth.refers_to(web.stack, web.props["Environment"]["Variables"]["CREATE_QUEUE_URL"]) == queue_id


def _rule_of(synth, function):
    """The schedule whose one target is `function` (found by its target, not by logical id)."""
    (rule,) = [
        r
        for r in synth.resources("AWS::Events::Rule")
        if r.stack == synth.stack("Payments")
        and [synth.refers_to(r.stack, t["Arn"]) for t in r.props["Targets"]] == [function.id]
    ]
    return rule


def test_the_reconciler_runs_every_five_minutes(synth):
    rule = _rule_of(synth, _functions(synth)["payments.reconciler.handler"])
    assert rule.props["ScheduleExpression"] == "rate(5 minutes)"


def test_the_comparison_runs_once_a_night_reads_only_and_its_mismatches_are_alarmed(synth):
    comparison = _functions(synth)[COMPARISON]
    rule = _rule_of(synth, comparison)
    assert rule.props["ScheduleExpression"] == "cron(30 3 * * ? *)"  # after yesterday's attempts have all finished
    assert rule.props.get("State", "ENABLED") == "ENABLED"
    tables = _tables(synth)
    dynamodb = [s for s in synth.role_statements(comparison) if any(a.startswith("dynamodb:") for a in _actions(s))]
    for statement in dynamodb:  # every DynamoDB grant is on one of the two tables (or their indexes)
        resource = json.dumps(statement["Resource"])
        assert tables["attempt"].logical_id in resource or tables["refund"].logical_id in resource
    # No write, no other index, no scan: the attempts of a day by `by-day`, the refunds of a day by state.
    assert _grants(synth, comparison, tables["attempt"]) == {"table": {"dynamodb:GetItem"}, BY_DAY: {"dynamodb:Query"}}
    assert _grants(synth, comparison, tables["refund"]) == {REFUNDS_BY_STATUS: {"dynamodb:Query"}}
    variables = comparison.props["Environment"]["Variables"]
    assert {"PAYMENTS_TABLE", "REFUNDS_TABLE", "PAY_API_KEY_SECRET_ID", "PAY_BASE_URL"} <= set(variables)
    assert not [
        s for s in synth.role_statements(comparison) if any(a.startswith(("sns:", "sqs:")) for a in _actions(s))
    ]
    (alarm,) = [
        a for a in synth.resources("AWS::CloudWatch::Alarm") if a.props.get("MetricName") == "PaymentMismatches"
    ]
    assert alarm.props["Namespace"] == "Borough"
    assert alarm.props["Dimensions"] == [{"Name": "service", "Value": "payments"}]
    assert alarm.props["Threshold"] == 1
    assert alarm.props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert comparison.props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "payments"


def test_only_the_functions_that_call_pay_read_its_key_and_only_the_receiver_reads_the_signing_secret(synth):
    functions = _functions(synth)
    assert set(functions) == {*SERVICE_HANDLERS, RECEIVER, STAFF, STAFF_API, COMPARISON, ORDER_REFUNDS}
    for handler in (*SERVICE_HANDLERS, STAFF, COMPARISON, ORDER_REFUNDS):
        assert _secret_grants(synth, functions[handler]) == ["pay-api-key"], handler
    assert _secret_grants(synth, functions[RECEIVER]) == ["OriginVerify", "pay-webhook-secret"]
    assert _secret_grants(synth, functions[STAFF_API]) == ["OriginVerify", "pay-api-key"]
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
    for handler in (*SERVICE_HANDLERS, COMPARISON):
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


# -- refunds --------------------------------------------------------------------------------------------------------
def test_the_refunds_table_is_encrypted_recoverable_and_has_the_open_refunds_index(synth):
    props = _tables(synth)["refund"].props
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert "KMSMasterKeyId" in props["SSESpecification"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props.get("DeletionProtectionEnabled", False) is (synth.environment == "prod")
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["reference", "refund"]
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {OPEN_REFUNDS, REFUNDS_BY_STATUS}  # the finance export's: tests/infra/test_infra_finance.py
    index = indexes[OPEN_REFUNDS]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["open", "requested_at"]
    assert index["Projection"]["ProjectionType"] == "ALL"  # the reconciler polls from the index alone


def test_only_the_staff_functions_write_new_refunds_and_they_only_read_attempts(synth):
    functions = _functions(synth)
    tables = _tables(synth)
    refunds, attempts = tables["refund"], tables["attempt"]
    staff = functions[STAFF]
    assert _grants(synth, staff, refunds) == {
        "table": {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"},
        REFUNDS_BY_STATUS: {"dynamodb:Query"},  # the finance export
    }
    assert _grants(synth, staff, attempts) == {"table": {"dynamodb:Query"}, PAYMENTS_BY_SERVICE: {"dynamodb:Query"}}
    # The staff refund API writes new refunds as the staff function does, without the finance export's index.
    assert _grants(synth, functions[STAFF_API], refunds) == {
        "table": {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"}
    }
    assert _grants(synth, functions[STAFF_API], attempts) == {"table": {"dynamodb:Query"}}
    following = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem"}
    assert _grants(synth, functions[WORKER], refunds) == {"table": following}
    assert _grants(synth, functions[RECONCILER], refunds) == {"table": following, OPEN_REFUNDS: {"dynamodb:Query"}}
    for handler in ("payments.handler.handler", RECEIVER):
        assert _grants(synth, functions[handler], refunds) == {}, handler
    # Nothing outside the payments stack touches either table (the console asks the staff function).
    for function in synth.resources("AWS::Lambda::Function"):
        if function.stack != synth.stack("Payments"):
            assert _grants(synth, function, refunds) == {} == _grants(synth, function, attempts)


def test_the_staff_function_is_named_for_the_console_and_checks_the_refund_roles_itself(synth):
    staff = _functions(synth)[STAFF]
    assert staff.props["FunctionName"] == f"Borough-{synth.environment}-StaffPayments"
    variables = staff.props["Environment"]["Variables"]
    assert variables["REFUND_ROLES"] == "finance"  # roles.yaml: the only role holding `refund`
    assert {"PAYMENTS_TABLE", "REFUNDS_TABLE", "PAY_API_KEY_SECRET_ID", "PAY_BASE_URL"} <= set(variables)
    actions = {a for s in synth.role_statements(staff) for a in _actions(s)}
    assert not {a for a in actions if a.startswith(("sns:", "sqs:", "lambda:"))}
    for handler in (WORKER, RECONCILER):
        assert "REFUNDS_TABLE" in _functions(synth)[handler].props["Environment"]["Variables"], handler


def test_a_refund_ending_in_error_alarms(synth):
    (alarm,) = [a for a in synth.resources("AWS::CloudWatch::Alarm") if a.props["MetricName"] == REFUNDS_FAILED_METRIC]
    assert alarm.props["Namespace"] == "Borough"
    assert alarm.props["Dimensions"] == [{"Name": "service", "Value": "payments"}]
    assert (alarm.props["Threshold"], alarm.props["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert alarm.props["AlarmActions"]


def test_the_console_may_invoke_the_staff_function_and_nothing_else_may(synth):
    staff_name = f"Borough-{synth.environment}-StaffPayments"
    by_handler = {f.props["Handler"]: f for f in synth.resources("AWS::Lambda::Function")}
    console = by_handler["console.handler.handler"]
    assert console.props["Environment"]["Variables"]["STAFF_PAYMENTS_FUNCTION"] == staff_name
    invokes = [s for s in synth.role_statements(console) if "lambda:InvokeFunction" in _actions(s)]
    assert [_actions(s) for s in invokes] == [["lambda:InvokeFunction"]]
    # CDK merges the console's invoke statements (assisted digital's two functions are named by reference): one
    # ARN built from the name, arn:<partition>:lambda:<region>:<account>:function:<name>, exactly that function
    resources = invokes[0]["Resource"]
    resources = resources if isinstance(resources, list) else [resources]
    by_name = [r for r in resources if isinstance(r, dict) and "Fn::Join" in r]
    permits_name = f"Borough-{synth.environment}-PermitsStaff"  # parking permits' staff function (test_infra_permits)
    applications_name = f"Borough-{synth.environment}-PermitApplications"  # a permit applied for for a resident
    assert sorted(r["Fn::Join"][1][-1] for r in by_name) == sorted(
        [f":function:{permits_name}", f":function:{staff_name}", f":function:{applications_name}"]
    )
    for handler, function in by_handler.items():
        if handler != "console.handler.handler":
            assert staff_name not in json.dumps(synth.role_statements(function)), handler


def test_the_staff_refund_route_needs_a_staff_token_and_reaches_the_staff_api_alone(synth):
    from stacks.routes import CASES_STAFF_ROUTES, STAFF_REFUND_ROUTES

    routes = {r.props["RouteKey"]: r for r in synth.resources("AWS::ApiGatewayV2::Route")}
    (key,) = STAFF_REFUND_ROUTES
    assert key == "POST /api/v1/payments/{reference}/refunds"
    route, patch = routes[key], routes[CASES_STAFF_ROUTES[0]]
    assert route.stack == synth.stack("Payments")
    assert route.props["AuthorizationType"] == "JWT"
    authorizer = synth.refers_to(route.stack, route.props["AuthorizerId"])
    assert authorizer == synth.refers_to(patch.stack, patch.props["AuthorizerId"])  # the staff pool's, as PATCH
    assert "AuthorizationScopes" not in route.props  # an ID or access token of the staff pool; roles in code
    integration = synth.get(synth.refers_to(route.stack, route.props["Target"]["Fn::Join"][1][1]))
    target = synth.get(synth.refers_to(integration.stack, integration.props["IntegrationUri"]))
    assert target.props["Handler"] == STAFF_API
    variables = target.props["Environment"]["Variables"]
    assert variables["REFUND_ROLES"] == "finance"
    assert {
        "PAYMENTS_TABLE",
        "REFUNDS_TABLE",
        "PAY_API_KEY_SECRET_ID",
        "PAY_BASE_URL",
        "ORIGIN_VERIFY_SECRET_ID",
    } <= set(variables)
    actions = {a for s in synth.role_statements(target) for a in _actions(s)}
    assert not {a for a in actions if a.startswith(("sns:", "sqs:", "lambda:"))}
    permissions = [
        p
        for p in synth.resources("AWS::Lambda::Permission")
        if synth.refers_to(p.stack, p.props["FunctionName"]) == target.id
    ]
    assert [p.props["Principal"] for p in permissions] == ["apigateway.amazonaws.com"]
