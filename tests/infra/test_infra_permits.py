"""The permits stack: the Permits table (the council's key, PITR, the four indexes the store and the schedule
query), the look-ups' audit, the devices' pool (a resource server scope, client-credentials clients, no demo device
in prod), the check and feed routes' JWT authorizer and scope, throttling, the check, feed, issuer and daily
schedule functions' exact grants, the schedule's rule, the feed's signing key, and the permit journey's state
machine (Standard, its steps function, who may start and resume it)."""

from __future__ import annotations

import json
import re

import pytest

from local.assembly import ROOT
from permits.feed import FEED_ATTRIBUTES
from permits.schedule import BY_DUE
from permits.store import BY_CHANGE, BY_HOUSEHOLD, BY_VRM
from stacks.routes import PERMITS_CHECK_ROUTES, PERMITS_FEED_ROUTES

pytestmark = pytest.mark.infra

ITEM_ACTIONS = ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")


def _tables(synth) -> dict[str, object]:
    return {t.logical_id: t for t in synth.resources("AWS::DynamoDB::Table") if t.stack == synth.stack("Permits")}


def _permits_table(synth):
    (table,) = [t for t in _tables(synth).values() if t.logical_id.startswith("Permits")]
    return table


def test_the_permits_table_is_encrypted_with_the_councils_key_and_recoverable(synth):
    props = _permits_table(synth).props
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert "KMSMasterKeyId" in props["SSESpecification"]
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props.get("DeletionProtectionEnabled", False) is (synth.environment == "prod")
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]
    indexes = {index["IndexName"]: index for index in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {BY_VRM, BY_HOUSEHOLD, BY_CHANGE, BY_DUE}
    assert [k["AttributeName"] for k in indexes[BY_VRM]["KeySchema"]] == ["vrm"]
    assert [k["AttributeName"] for k in indexes[BY_HOUSEHOLD]["KeySchema"]] == ["household", "zone"]
    assert [k["AttributeName"] for k in indexes[BY_CHANGE]["KeySchema"]] == ["feed_month", "feed_at"]
    # The feed's index carries what a device needs and nothing about the household.
    projection = indexes[BY_CHANGE]["Projection"]
    assert projection["ProjectionType"] == "INCLUDE"
    assert sorted(projection["NonKeyAttributes"]) == sorted(FEED_ATTRIBUTES)
    assert "household" not in projection["NonKeyAttributes"]
    # The schedule's index: sparse (only items with a step to come carry due_on), keys only.
    assert [(k["AttributeName"], k["KeyType"]) for k in indexes[BY_DUE]["KeySchema"]] == [
        ("due_on", "HASH"),
        ("pk", "RANGE"),
    ]
    assert indexes[BY_DUE]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert types["due_on"] == "S"


def _check_function(synth):
    (function,) = [
        f
        for f in synth.resources("AWS::Lambda::Function")
        if f.stack == synth.stack("Permits") and f.props["Handler"] == "permits.check.handler"
    ]
    return function


def _actions(statement) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_the_look_ups_audit_is_encrypted_recoverable_and_keyed_by_device(synth):
    (audit,) = [t for t in _tables(synth).values() if t.logical_id.startswith("PermitLookups")]
    props = audit.props
    assert props["SSESpecification"]["SSEType"] == "KMS"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["device", "at"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_the_check_and_feed_routes_need_a_device_token_with_the_check_scope_from_the_devices_pool(synth):
    routes = {
        r.props["RouteKey"]: r for r in synth.resources("AWS::ApiGatewayV2::Route") if r.stack == synth.stack("Permits")
    }
    assert set(routes) == set(PERMITS_CHECK_ROUTES + PERMITS_FEED_ROUTES)
    (pool,) = [p for p in synth.resources("AWS::Cognito::UserPool") if p.stack == synth.stack("Permits")]
    (server,) = synth.resources("AWS::Cognito::UserPoolResourceServer")
    assert server.props["Identifier"] == "permits"
    assert [s["ScopeName"] for s in server.props["Scopes"]] == ["check"]
    clients = [c for c in synth.resources("AWS::Cognito::UserPoolClient") if c.stack == synth.stack("Permits")]
    assert clients
    for client in clients:
        assert client.props["AllowedOAuthFlows"] == ["client_credentials"]
        assert client.props["GenerateSecret"] is True
        assert json.dumps(client.props["AllowedOAuthScopes"]).count("/check") == 1
        assert synth.refers_to(client.stack, client.props["UserPoolId"]) == pool.id
    for key, route in routes.items():
        assert route.props["AuthorizationType"] == "JWT", key
        assert json.dumps(route.props["AuthorizationScopes"]).endswith('"/check"]]}]'), route.props
        authorizer = synth.get(synth.refers_to(route.stack, route.props["AuthorizerId"]))
        config = authorizer.props["JwtConfiguration"]
        issuer = json.dumps(config["Issuer"])
        assert pool.logical_id in issuer  # the devices' pool, not the staff pool
        audiences = {synth.refers_to(route.stack, a) for a in config["Audience"]}
        assert audiences == {c.id for c in clients}
        assert authorizer.props["IdentitySource"] == ["$request.header.Authorization"]


def test_prod_has_no_demo_device(prod):
    names = [c.logical_id for c in prod.resources("AWS::Cognito::UserPoolClient") if c.stack == prod.stack("Permits")]
    assert names
    assert not any("Demo" in name for name in names)


def test_the_check_function_may_query_the_vrm_index_and_append_to_the_audit_only(synth):
    function = _check_function(synth)
    table = _permits_table(synth)
    (audit,) = [t for t in _tables(synth).values() if t.logical_id.startswith("PermitLookups")]
    grants = []
    for statement in synth.role_statements(function):
        dynamo = [a for a in _actions(statement) if a.startswith("dynamodb:")]
        if dynamo:
            grants.append((tuple(dynamo), json.dumps(statement["Resource"])))
    assert len(grants) == 2, grants
    by_action = dict(grants)
    assert table.logical_id in by_action[("dynamodb:Query",)]
    assert f"/index/{BY_VRM}" in by_action[("dynamodb:Query",)]
    assert audit.logical_id in by_action[("dynamodb:PutItem",)]
    env = function.props["Environment"]["Variables"]
    assert set(env) >= {"PERMITS_TABLE", "LOOKUPS_TABLE", "ORIGIN_VERIFY_SECRET_ID"}


def test_the_feed_function_may_query_the_change_index_append_to_the_audit_and_sign_with_its_own_key(synth):
    (function,) = [
        f
        for f in synth.resources("AWS::Lambda::Function")
        if f.stack == synth.stack("Permits") and f.props["Handler"] == "permits.feed_handler.handler"
    ]
    table = _permits_table(synth)
    (audit,) = [t for t in _tables(synth).values() if t.logical_id.startswith("PermitLookups")]
    (signing_key,) = [
        k for k in synth.resources("AWS::KMS::Key") if k.stack == synth.stack("Permits") and k.props.get("KeySpec")
    ]
    assert (signing_key.props["KeySpec"], signing_key.props["KeyUsage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    grants, signing = [], []
    for statement in synth.role_statements(function):
        dynamo = [a for a in _actions(statement) if a.startswith("dynamodb:")]
        if dynamo:
            grants.append((tuple(dynamo), json.dumps(statement["Resource"])))
        if any(a in ("kms:Sign", "kms:GetPublicKey") for a in _actions(statement)):
            signing.append(statement)
    by_action = dict(grants)
    assert len(grants) == 2, grants
    assert table.logical_id in by_action[("dynamodb:Query",)]
    assert f"/index/{BY_CHANGE}" in by_action[("dynamodb:Query",)]
    assert audit.logical_id in by_action[("dynamodb:PutItem",)]
    (statement,) = signing
    assert sorted(_actions(statement)) == ["kms:GetPublicKey", "kms:Sign"]
    assert signing_key.logical_id in json.dumps(statement["Resource"])
    assert function.props["Environment"]["Variables"]["FEED_SIGNING_KEY"]


def test_the_api_stage_names_no_permits_route_as_it_would_not_find_them_at_the_first_deployment(synth):
    # The look-up's own throttles are set from the permits stack instead (tests/infra/test_infra_route_throttles.py).
    (stage,) = [s for s in synth.resources("AWS::ApiGatewayV2::Stage") if s.stack == synth.stack("Api")]
    assert stage.props["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert stage.props["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert not set(stage.props.get("RouteSettings", {})) & set(PERMITS_CHECK_ROUTES + PERMITS_FEED_ROUTES)


def test_the_applications_function_queries_both_indexes_writes_items_and_reads_the_dvla_and_link_keys_only(synth):
    (function,) = [
        f
        for f in synth.resources("AWS::Lambda::Function")
        if f.stack == synth.stack("Permits") and f.props["Handler"] == "permits.application_handler.handler"
    ]
    table = _permits_table(synth)
    dynamo, secrets = [], []
    for statement in synth.role_statements(function):
        actions = _actions(statement)
        if any(a.startswith("dynamodb:") for a in actions):
            dynamo.append((tuple(sorted(actions)), json.dumps(statement["Resource"])))
        if any(a.startswith("secretsmanager:") for a in actions):
            secrets.append((tuple(actions), json.dumps(statement["Resource"])))
    # Items: applications put and read; a change of vehicle or a cancellation (permits.changes) updates the permit,
    # the application and the counter and deletes the old mark's guard; a free permit is issued at once, in the
    # issuer's transaction (its ConditionCheck that the application is still unpaid)
    applying = tuple(sorted((*ITEM_ACTIONS, "dynamodb:ConditionCheckItem")))
    assert sorted(actions for actions, _ in dynamo) == [applying, ("dynamodb:Query",)]
    queried, items = (dict(dynamo)[k] for k in (("dynamodb:Query",), applying))
    assert queried.count(table.logical_id) == 2
    assert f"/index/{BY_VRM}" in queried
    assert f"/index/{BY_HOUSEHOLD}" in queried
    assert table.logical_id in items
    assert "/index/" not in items
    assert secrets == [(("secretsmanager:GetSecretValue",), secrets[0][1])]
    assert f"borough/{synth.environment}/dvla-api-key" in secrets[0][1]
    # and the manage links' key (permits.manage_links), generated in this stack
    (link_key,) = [
        s
        for s in synth.resources("AWS::SecretsManager::Secret")
        if s.stack == synth.stack("Permits") and s.logical_id.startswith("PermitManageLinkKey")
    ]
    assert "GenerateSecretString" in link_key.props
    assert link_key.logical_id in secrets[0][1]
    env = function.props["Environment"]["Variables"]
    assert link_key.logical_id in json.dumps(env["MANAGE_LINK_KEY_SECRET_ID"])
    assert env["DVLA_BASE_URL"] == "https://driver-vehicle-licensing.api.gov.uk"
    assert env["DVLA_API_KEY_SECRET_ID"] == f"borough/{synth.environment}/dvla-api-key"


def test_the_issuer_consumes_the_permits_queue_and_may_get_put_update_and_check_permits_items_only(synth):
    (function,) = [
        f
        for f in synth.resources("AWS::Lambda::Function")
        if f.stack == synth.stack("Permits") and f.props["Handler"] == "permits.issue_handler.handler"
    ]
    table = _permits_table(synth)
    dynamo = [
        (tuple(sorted(_actions(s))), json.dumps(s["Resource"]))
        for s in synth.role_statements(function)
        if any(a.startswith("dynamodb:") for a in _actions(s))
    ]
    # ConditionCheck: the application still unpaid as the permit is written (not cancelled meanwhile); Delete: a paid
    # change of vehicle swaps the guards.
    assert [actions for actions, _ in dynamo] == [tuple(sorted((*ITEM_ACTIONS, "dynamodb:ConditionCheckItem")))]
    assert table.logical_id in dynamo[0][1]
    assert "/index/" not in dynamo[0][1]
    mappings = [
        m
        for m in synth.resources("AWS::Lambda::EventSourceMapping")
        if m.stack == synth.stack("Permits") and function.logical_id in json.dumps(m.props["FunctionName"])
    ]
    assert len(mappings) == 1
    assert mappings[0].props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def _function(synth, handler: str):
    (function,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == handler]
    return function


def _invoked(synth, function) -> list[str]:
    """The functions (their ids) `function`'s role may invoke, each by its own ARN (never `*`)."""
    found = []
    for statement in synth.role_statements(function):
        if "lambda:InvokeFunction" in _actions(statement):
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            found += [synth.refers_to(function.stack, r) for r in resources]
    return found


def test_the_applications_function_may_invoke_the_payments_and_order_refunds_functions_only(synth):
    function = _function(synth, "permits.application_handler.handler")
    payments = _function(synth, "payments.handler.handler")
    refunds = _function(synth, "payments.order_refunds.handler")
    assert set(_invoked(synth, function)) == {payments.id, refunds.id}
    assert len(_invoked(synth, function)) == 2
    variables = function.props["Environment"]["Variables"]
    assert synth.refers_to(function.stack, variables["ORDER_REFUNDS_FUNCTION"]) == refunds.id
    assert variables["PAYMENTS_FUNCTION"]


def test_the_issuer_may_invoke_the_order_refunds_function_only(synth):
    issuer = _function(synth, "permits.issue_handler.handler")
    refunds = _function(synth, "payments.order_refunds.handler")
    assert _invoked(synth, issuer) == [refunds.id]
    assert synth.refers_to(issuer.stack, issuer.props["Environment"]["Variables"]["ORDER_REFUNDS_FUNCTION"]) == (
        refunds.id
    )


def test_only_the_permits_functions_may_invoke_order_refunds_which_refunds_through_pay(synth):
    refunds = _function(synth, "payments.order_refunds.handler")
    callers = {f.props["Handler"] for f in synth.resources("AWS::Lambda::Function") if refunds.id in _invoked(synth, f)}
    assert callers == {
        "permits.application_handler.handler",
        "permits.issue_handler.handler",
        "permits.staff_handler.handler",  # a revocation's refund, when staff choose one
        "permits.journey_handler.handler",
    }
    actions = {a for s in synth.role_statements(refunds) for a in _actions(s)}
    assert "secretsmanager:GetSecretValue" in actions
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} <= actions
    assert not {a for a in actions if a.startswith(("sns:", "sqs:", "lambda:"))}


def test_only_the_notifications_consumer_the_web_and_the_console_may_invoke_the_applications_function(synth):
    (function,) = [
        f
        for f in synth.resources("AWS::Lambda::Function")
        if f.stack == synth.stack("Permits") and f.props["Handler"] == "permits.application_handler.handler"
    ]
    name = function.props["FunctionName"]
    assert name.endswith("-PermitApplications")  # named: the consumer (made before this stack) invokes it by name
    invokers = set()
    for other in synth.resources("AWS::Lambda::Function"):
        for statement in synth.role_statements(other):
            if "lambda:InvokeFunction" not in _actions(statement):
                continue
            resources = json.dumps(statement["Resource"])
            if f":function:{name}" in resources or function.logical_id in resources:
                invokers.add(other.props["Handler"])
    # the web: the permit pages; the console: a permit staff apply for for a resident (console/permit_apply.py)
    assert invokers == {"notifications.handler.handler", "web.handler.handler", "console.handler.handler"}
    permissions = [p for p in synth.resources("AWS::Lambda::Permission") if function.logical_id in json.dumps(p.props)]
    assert permissions == []  # no service or account is given a resource policy on it either


def _schedule_function(synth):
    (function,) = [
        f
        for f in synth.resources("AWS::Lambda::Function")
        if f.stack == synth.stack("Permits") and f.props["Handler"] == "permits.schedule_job.handler"
    ]
    return function


def test_the_daily_schedule_queries_the_due_index_and_claims_items_by_key_only(synth):
    function = _schedule_function(synth)
    table = _permits_table(synth)
    dynamo = {
        tuple(sorted(_actions(s))): json.dumps(s["Resource"])
        for s in synth.role_statements(function)
        if any(a.startswith("dynamodb:") for a in _actions(s))
    }
    items = ("dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:UpdateItem")
    assert sorted(dynamo) == [items, ("dynamodb:Query",)]  # no Scan, no Put
    assert table.logical_id in dynamo[("dynamodb:Query",)]
    assert f"/index/{BY_DUE}" in dynamo[("dynamodb:Query",)]
    assert table.logical_id in dynamo[items]
    assert "/index/" not in dynamo[items]
    assert set(function.props["Environment"]["Variables"]) >= {"PERMITS_TABLE"}
    assert not any(
        a.startswith(("sns:", "lambda:", "secretsmanager:"))
        for s in synth.role_statements(function)
        for a in _actions(s)
    )  # it publishes nothing itself: the events go in the items (the outbox)


def test_the_daily_schedule_runs_every_morning_with_retries(synth):
    function = _schedule_function(synth)
    (rule,) = [
        r
        for r in synth.resources("AWS::Events::Rule")
        if r.stack == synth.stack("Permits") and r.logical_id.startswith("DailyPermitSchedule")
    ]
    assert rule.props["ScheduleExpression"] == "cron(0 8 * * ? *)"
    (target,) = rule.props["Targets"]
    assert function.logical_id in json.dumps(target["Arn"])
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2


def test_the_staff_function_is_named_for_the_console_and_may_read_verify_reprice_revoke_and_refund_only(synth):
    (function,) = [
        f
        for f in synth.resources("AWS::Lambda::Function")
        if f.stack == synth.stack("Permits") and f.props["Handler"] == "permits.staff_handler.handler"
    ]
    assert function.props["FunctionName"] == f"Borough-{synth.environment}-PermitsStaff"
    # roles.yaml's roles holding manage-permits: the function checks verifying and revoking itself too
    assert function.props["Environment"]["Variables"]["MANAGE_ROLES"] == "caseworker,team-lead"
    table = _permits_table(synth)
    dynamo = sorted(
        (tuple(sorted(_actions(s))), json.dumps(s["Resource"]))
        for s in synth.role_statements(function)
        if any(a.startswith("dynamodb:") for a in _actions(s))
    )
    # GetItem (an application, a permit), UpdateItem (verifying; revoking's permit and counter), DeleteItem
    # (revoking's VRM guard), PutItem (a correction's record) on the table; Query on the two indexes only. No Scan.
    # (CDK merges the two indexes' Query statements into one)
    assert [actions for actions, _ in dynamo] == [
        ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
        ("dynamodb:Query",),
    ]
    assert table.logical_id in dynamo[0][1]
    assert "/index/" not in dynamo[0][1]
    queried = dynamo[1][1]
    assert queried.count("/index/") == 2
    assert f"/index/{BY_VRM}" in queried
    assert f"/index/{BY_HOUSEHOLD}" in queried
    others = {a for s in synth.role_statements(function) for a in _actions(s)}
    assert not {a for a in others if a.startswith(("sns:", "sqs:", "secretsmanager:"))}
    # A correction reprices through payments (register-order, refund-order), and a revocation's refund: those two alone
    payments = _function(synth, "payments.handler.handler")
    refunds = _function(synth, "payments.order_refunds.handler")
    assert sorted(map(str, _invoked(synth, function))) == sorted(map(str, [payments.id, refunds.id]))
    variables = function.props["Environment"]["Variables"]
    assert synth.refers_to(function.stack, variables["ORDER_REFUNDS_FUNCTION"]) == refunds.id
    assert variables["PAYMENTS_FUNCTION"]
    # The console invokes it by name; it reads no permits table itself (no grant names the table).
    (console,) = [
        f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "console.handler.handler"
    ]
    env = console.props["Environment"]["Variables"]
    assert env["PERMITS_STAFF_FUNCTION"] == function.props["FunctionName"]
    assert table.logical_id not in json.dumps(synth.role_statements(console))
    for other in synth.resources("AWS::Lambda::Function"):
        if other.props["Handler"] != "console.handler.handler":
            invokes = [s for s in synth.role_statements(other) if "lambda:InvokeFunction" in _actions(s)]
            assert "PermitsStaff" not in json.dumps(invokes), other.props["Handler"]


# -- the permit journey (workflows/permit_journey.asl.json, functions/permits/journey.py) ---------------------------
def _journey_machine(synth):
    (machine,) = [m for m in synth.resources("AWS::StepFunctions::StateMachine") if m.stack == synth.stack("Permits")]
    return machine


def _statements_of(synth, resource, role_property: str) -> list[dict]:
    from tests.infra.conftest import Resource

    holder = Resource(resource.stack, resource.logical_id, {"Properties": {"Role": resource.props[role_property]}})
    return synth.role_statements(holder)


def _granted(synth, stack: str, statements: list[dict], prefix: str) -> list[tuple[tuple[str, ...], list]]:
    """(actions, the resources' ids or text) of the statements with an action starting `prefix`."""
    found = []
    for statement in statements:
        actions = tuple(sorted(a for a in _actions(statement) if a.startswith(prefix)))
        if actions:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            found.append((actions, [synth.refers_to(stack, r) or json.dumps(r) for r in resources]))
    return found


def test_the_permit_journey_is_a_named_standard_state_machine_of_the_journey_functions_steps(synth):
    machine = _journey_machine(synth)
    assert machine.props["StateMachineType"] == "STANDARD"  # it waits up to 30 days: Express runs 5 minutes at most
    assert machine.props["StateMachineName"] == synth.stack("PermitJourney")
    substitutions = machine.props["DefinitionSubstitutions"]
    definition = (ROOT / "workflows" / "permit_journey.asl.json").read_text()
    assert set(re.findall(r"\$\{(\w+)\}", definition)) == set(substitutions) == {"JourneyFunctionArn"}
    steps = synth.get(synth.refers_to(machine.stack, substitutions["JourneyFunctionArn"]))
    assert steps.props["Handler"] == "permits.journey_handler.handler"
    states = json.loads(definition)["States"]
    assert states["AwaitPayment"]["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert states["AwaitPayment"]["TimeoutSeconds"] == 30 * 24 * 3600
    logging = machine.props["LoggingConfiguration"]
    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ALL", False)  # no personal data in its logs


def test_the_journeys_role_may_invoke_its_steps_function_only(synth):
    machine = _journey_machine(synth)
    steps = synth.refers_to(machine.stack, machine.props["DefinitionSubstitutions"]["JourneyFunctionArn"])
    statements = _statements_of(synth, machine, "RoleArn")
    assert _granted(synth, machine.stack, statements, "lambda:") == [(("lambda:InvokeFunction",), [steps])]
    for prefix in ("dynamodb:", "sns:", "sqs:", "states:", "secretsmanager:", "kms:"):
        assert _granted(synth, machine.stack, statements, prefix) == [], prefix


def test_the_applications_function_starts_the_journey_and_the_issuer_may_only_resume_it(synth):
    machine = _journey_machine(synth)
    applications = _function(synth, "permits.application_handler.handler")
    issuer = _function(synth, "permits.issue_handler.handler")
    for function in (applications, issuer):
        variable = function.props["Environment"]["Variables"]["PERMIT_JOURNEY"]
        assert synth.refers_to(function.stack, variable) == machine.id
    started = _granted(synth, applications.stack, synth.role_statements(applications), "states:")
    assert started == [(("states:StartExecution",), [machine.id])]
    resumed = _granted(synth, issuer.stack, synth.role_statements(issuer), "states:")
    assert resumed == [(("states:SendTaskSuccess",), [machine.id])]  # not SendTaskFailure: nothing fails a wait


def test_the_journeys_steps_function_may_write_permits_items_and_invoke_order_refunds_only(synth):
    steps = _function(synth, "permits.journey_handler.handler")
    refunds = _function(synth, "payments.order_refunds.handler")
    assert _invoked(synth, steps) == [refunds.id]
    table = _permits_table(synth)
    dynamo = _granted(synth, steps.stack, synth.role_statements(steps), "dynamodb:")
    assert dynamo == [(tuple(sorted((*ITEM_ACTIONS, "dynamodb:ConditionCheckItem"))), [table.id])]
    assert _granted(synth, steps.stack, synth.role_statements(steps), "states:") == []
