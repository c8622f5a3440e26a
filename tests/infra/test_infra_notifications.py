"""Notifications wired end to end: receipts and reminder routes, the Subscriptions table and its index, the daily
rule, the provider per environment, exact grants (each function only the actions it makes), alarms on the custom
metrics that need a person."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from pydantic import ValidationError

from stacks.config import EnvironmentConfig
from stacks.routes import NOTIFY_RECEIPTS_ROUTES, REMINDER_ROUTES

pytestmark = pytest.mark.infra

HANDLERS = {
    "consumer": "notifications.handler.handler",
    "receipts": "notifications.callback.handler",
    "subscriptions": "notifications.subscriptions.handler",
    "daily": "notifications.subscriptions.scheduled_handler",
}
PROVIDER = {"dev": "notify", "prod": "notify"}  # cdk.json


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _function(synth, name):
    return next(f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == HANDLERS[name])


def _variables(function) -> dict[str, Any]:
    return function.props["Environment"]["Variables"]


def _grants(synth, function, prefix: str) -> dict[str, set[str]]:
    """action -> the resources it is granted on (as JSON, so joins such as `<table>/index/<name>` keep their form)."""
    grants: dict[str, set[str]] = {}
    for statement in synth.role_statements(function):
        for action in _as_list(statement["Action"]):
            if action.startswith(prefix):
                grants.setdefault(action, set()).update(
                    json.dumps(r, sort_keys=True) for r in _as_list(statement["Resource"])
                )
    return grants


def _table(synth, partition_key):
    return next(
        t for t in synth.resources("AWS::DynamoDB::Table") if t.props["KeySchema"][0]["AttributeName"] == partition_key
    )


def _arn_of(synth, stack, table) -> str:
    """How `stack` names `table`'s ARN: as an import from the table's own stack."""
    for body in (_function(synth, n) for n in HANDLERS):
        if body.stack != stack:
            continue
        for statement in synth.role_statements(body):
            for resource in _as_list(statement["Resource"]):
                if synth.refers_to(stack, resource) == table.id:
                    return json.dumps(resource, sort_keys=True)
    raise AssertionError(f"{stack} never names {table.id}")


# -- routes ---------------------------------------------------------------------------------------------------------
def test_receipts_and_reminder_routes_reach_their_functions(synth):
    routes = {r.props["RouteKey"]: r for r in synth.resources("AWS::ApiGatewayV2::Route")}
    for keys, name in ((NOTIFY_RECEIPTS_ROUTES, "receipts"), (REMINDER_ROUTES, "subscriptions")):
        for key in keys:
            route = routes[key]
            integration = synth.get(synth.refers_to(route.stack, route.props["Target"]["Fn::Join"][1][1]))
            uri = integration.props["IntegrationUri"]
            assert synth.refers_to(integration.stack, uri) == _function(synth, name).id, key
            assert route.props.get("AuthorizationType", "NONE") == "NONE", key


def test_the_receipts_route_is_public_to_api_gateway_with_a_reason(synth):
    (key,) = NOTIFY_RECEIPTS_ROUTES
    route = next(r for r in synth.resources("AWS::ApiGatewayV2::Route") if r.props["RouteKey"] == key)
    (rule,) = route.body["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert rule["id"] == "AwsSolutions-APIG4"
    assert "bearer token" in rule["reason"]


# -- the Subscriptions table and the daily job ----------------------------------------------------------------------
def test_the_subscriptions_table_indexes_active_subscriptions_by_collection_day(synth):
    table = _table(synth, "subscription_id")
    props = table.props
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["SSESpecification"]["SSEType"] == "KMS"  # contact details: the council's key
    (index,) = props["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-collection-day"
    assert index["KeySchema"] == [
        {"AttributeName": "collection_day", "KeyType": "HASH"},
        {"AttributeName": "subscription_id", "KeyType": "RANGE"},
    ]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    for name in HANDLERS:
        variable = _variables(_function(synth, name)).get("SUBSCRIPTIONS_TABLE")
        if variable is not None:
            assert synth.refers_to(_function(synth, name).stack, variable) == table.id, name


def test_the_daily_job_runs_the_evening_before_collection(synth):
    daily = _function(synth, "daily")
    (rule,) = [
        r
        for r in synth.resources("AWS::Events::Rule")
        if any(synth.refers_to(r.stack, t["Arn"]) == daily.id for t in r.props["Targets"])
    ]
    assert rule.props["ScheduleExpression"] == "cron(0 17 * * ? *)"
    assert rule.props.get("State", "ENABLED") == "ENABLED"


# -- exact grants ---------------------------------------------------------------------------------------------------
def test_the_daily_job_can_only_query_the_index_and_send_to_the_queue(synth):
    daily = _function(synth, "daily")
    table = _table(synth, "subscription_id")
    grants = _grants(synth, daily, "dynamodb:")
    assert set(grants) == {"dynamodb:Query"}
    (resource,) = grants["dynamodb:Query"]
    joined = json.loads(resource)["Fn::Join"][1]
    assert synth.refers_to(daily.stack, joined[0]) == table.id
    assert joined[1] == "/index/by-collection-day"  # the index only, never the table
    sends = _grants(synth, daily, "sqs:")
    assert set(sends) == {"sqs:SendMessage"}
    queue = synth.refers_to(daily.stack, _variables(daily)["NOTIFICATIONS_QUEUE_URL"])
    assert {synth.refers_to(daily.stack, json.loads(r)) for r in sends["sqs:SendMessage"]} == {queue}
    assert not _grants(synth, daily, "secretsmanager:")


def test_the_receipts_function_can_only_update_the_notifications_table(synth):
    receipts = _function(synth, "receipts")
    notifications = _table(synth, "message_id")
    grants = _grants(synth, receipts, "dynamodb:")
    assert set(grants) == {"dynamodb:UpdateItem"}
    assert {synth.refers_to(receipts.stack, json.loads(r)) for r in grants["dynamodb:UpdateItem"]} == {notifications.id}
    assert not _grants(synth, receipts, "sqs:")


def test_the_consumer_reads_one_item_of_subscriptions_and_nothing_of_the_webs_drafts(synth):
    consumer = _function(synth, "consumer")
    variables = _variables(consumer)
    # Save and return: the web's return links function gives the address and the link (web/return_links.py).
    assert "DRAFTS_TABLE" not in variables
    drafts = _table(synth, "draft_id")
    statements = synth.role_statements(consumer)
    assert not [
        s for s in statements for r in _as_list(s["Resource"]) if synth.refers_to(consumer.stack, r) == drafts.id
    ]
    resources = [
        r for s in statements if "lambda:InvokeFunction" in _as_list(s["Action"]) for r in _as_list(s["Resource"])
    ]
    invoked = {synth.refers_to(consumer.stack, r) for r in resources}
    links = next(
        f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "web.return_links.handler"
    )
    # The renewal links function (renewals stack, which depends on this one) is invoked by its name only.
    renewal_links = next(
        f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "renewals.links.handler"
    )
    # So is the permits stack's applications function (`contact`: the permit messages' email and permit).
    applications = next(
        f
        for f in synth.resources("AWS::Lambda::Function")
        if f.props["Handler"] == "permits.application_handler.handler"
    )
    by_name = [json.dumps(r) for r in resources if synth.refers_to(consumer.stack, r) is None]
    assert invoked == {links.id, None}
    assert sorted(r.rsplit(":function:", 1)[1] for r in by_name) == sorted(
        [renewal_links.props["FunctionName"] + '"]]}', applications.props["FunctionName"] + '"]]}']
    )
    assert variables["RENEWAL_LINKS_FUNCTION"] == renewal_links.props["FunctionName"]
    assert variables["PERMIT_APPLICATIONS_FUNCTION"] == applications.props["FunctionName"]
    for name in ("SUBSCRIPTIONS_TABLE",):
        table = synth.refers_to(consumer.stack, variables[name])
        actions = {
            action
            for statement in synth.role_statements(consumer)
            for action in _as_list(statement["Action"])
            if action.startswith("dynamodb:")
            and table in {synth.refers_to(consumer.stack, r) for r in _as_list(statement["Resource"])}
        }
        assert actions == {"dynamodb:GetItem"}, name
    assert "sqs:SendMessage" not in _grants(synth, consumer, "sqs:")


def test_the_consumer_has_no_access_to_the_idempotency_table(synth):
    # The notifications code never uses it: each message's id is derived from its event (docs/notifications.md).
    consumer = _function(synth, "consumer")
    assert "IDEMPOTENCY_TABLE" not in _variables(consumer)
    idempotency = _table(synth, "id")
    named = {
        target
        for statement in synth.role_statements(consumer)
        for resource in _as_list(statement["Resource"])
        for target in synth.references(consumer.stack, resource)
    }
    assert idempotency.id not in named


def test_the_subscriptions_function_gets_and_updates_subscriptions_and_queues_events(synth):
    subscriptions = _function(synth, "subscriptions")
    table = _table(synth, "subscription_id")
    grants = _grants(synth, subscriptions, "dynamodb:")
    assert set(grants) == {"dynamodb:GetItem", "dynamodb:UpdateItem"}
    for resources in grants.values():
        assert {synth.refers_to(subscriptions.stack, json.loads(r)) for r in resources} == {table.id}
    queue = synth.refers_to(subscriptions.stack, _variables(subscriptions)["NOTIFICATIONS_QUEUE_URL"])
    sends = _grants(synth, subscriptions, "sqs:")
    assert set(sends) == {"sqs:SendMessage"}
    assert {synth.refers_to(subscriptions.stack, json.loads(r)) for r in sends["sqs:SendMessage"]} == {queue}


def _secrets(synth, function) -> set[str]:
    """The secrets `function` may read: a secret of the template by logical id, one known by name by its name."""
    grants = _grants(synth, function, "secretsmanager:")
    assert set(grants) <= {"secretsmanager:GetSecretValue"}, function.id  # no DescribeSecret, no listing
    names = set()
    for resource in map(json.loads, grants.get("secretsmanager:GetSecretValue", set())):
        target = synth.refers_to(function.stack, resource)
        if target is not None:
            names.add(target.logical_id)
        else:  # arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-??????
            names.add(resource["Fn::Join"][1][-1].split(":secret:", 1)[1])
    return names


def test_each_secret_is_read_only_by_the_functions_that_use_it(synth):
    env = synth.environment
    link_key = next(
        s.logical_id for s in synth.resources("AWS::SecretsManager::Secret") if s.logical_id.startswith("LinkSigning")
    )
    assert _secrets(synth, _function(synth, "consumer")) == {f"borough/{env}/notify-api-key-??????", link_key}
    # The two functions behind the HTTP API also read the API stack's origin-verify secret (only CloudFront's
    # requests are served: tests/infra/test_infra_origin_verify.py).
    verify = next(
        s.logical_id for s in synth.resources("AWS::SecretsManager::Secret") if s.logical_id.startswith("OriginVerify")
    )
    assert _secrets(synth, _function(synth, "receipts")) == {f"borough/{env}/notify-callback-token-??????", verify}
    assert _secrets(synth, _function(synth, "subscriptions")) == {link_key, verify}
    assert _secrets(synth, _function(synth, "daily")) == set()


# -- configuration --------------------------------------------------------------------------------------------------
def test_the_provider_and_secrets_come_from_the_environments_config(synth):
    env = synth.environment
    consumer = _variables(_function(synth, "consumer"))
    assert consumer["NOTIFY_PROVIDER"] == PROVIDER[env]
    assert consumer["NOTIFY_API_KEY_SECRET_ID"] == f"borough/{env}/notify-api-key"
    assert "NOTIFY_API_KEY" not in consumer  # never the key itself in a template
    receipts = _variables(_function(synth, "receipts"))
    assert receipts["NOTIFY_CALLBACK_TOKEN_SECRET_ID"] == f"borough/{env}/notify-callback-token"
    assert "NOTIFY_CALLBACK_TOKEN" not in receipts


def test_links_point_at_the_cloudfront_domain_without_a_configured_one(synth):
    consumer = _function(synth, "consumer")
    (distribution,) = synth.resources("AWS::CloudFront::Distribution")
    value = _variables(consumer)["PUBLIC_BASE_URL"]
    assert value["Fn::Join"][1][0] == "https://"
    assert synth.refers_to(consumer.stack, value["Fn::Join"][1][1]) == distribution.id


def test_ses_needs_a_from_address():
    base = {
        "name": "test",
        "council_name": "Test Council",
        "council_short_name": "Test",
        "log_retention_days": 30,
        "request_retention_days": 30,
        "deletion_protection": False,
        "api_throttle_rate": 1,
        "api_throttle_burst": 1,
    }
    with pytest.raises(ValidationError, match="ses_from_address"):
        EnvironmentConfig(**base, notify_provider="ses")
    assert EnvironmentConfig(**base, notify_provider="ses", ses_from_address="noreply@council.example")
    assert EnvironmentConfig(**base).notify_provider == "record-only"


# -- alarms ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("metric", "service"),
    [
        ("NotifyAuthFailures", "notifications"),
        ("NotificationsUncertain", "notifications"),
        ("NotificationsHeld", "notifications"),
        ("AddressLookupKeyRefused", "web"),
        ("CollectionClashesAhead", "notifications"),
    ],
)
def test_custom_metrics_that_need_a_person_alarm_on_their_first_count(synth, metric, service):
    (alarm,) = [a for a in synth.resources("AWS::CloudWatch::Alarm") if a.props["MetricName"] == metric]
    props = alarm.props
    assert props["Namespace"] == "Borough"
    assert props["Dimensions"] == [{"Name": "service", "Value": service}]  # Powertools' service dimension
    assert props["Statistic"] == "Sum"
    assert (props["Threshold"], props["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert props["AlarmActions"]


def test_the_collection_clash_alarm_tells_the_person_what_to_edit(synth):
    from notifications.reminders import CLASH_LOOKAHEAD_DAYS, CLASHES_METRIC

    (alarm,) = [a for a in synth.resources("AWS::CloudWatch::Alarm") if a.props["MetricName"] == CLASHES_METRIC]
    description = alarm.props["AlarmDescription"]
    assert "changes in functions/notifications/data/collection_rounds.yaml" in description
    assert "deploy" in description
    assert f"{CLASH_LOOKAHEAD_DAYS} days" in description


MODELS = {
    "consumer": "ConsumerSettings",
    "receipts": "ReceiptsSettings",
    "subscriptions": "SubscriptionsSettings",
    "daily": "DailyRemindersSettings",
}


def _deployed_value(value: Any) -> str:
    """A template value as the function would see it: references become a stand-in word, joins are joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_deployed_value(part) for part in parts)
    return "resolved-at-deploy-time"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_functions_template_environment_fits_its_settings_model(synth, name, monkeypatch):
    """What the stack sets is what the function's model reads, deployed (no local-only switch, names that exist)."""
    from notifications import settings
    from shared.settings import load

    prefixes = ("NOTIFY", "LINK_SIGNING", "PUBLIC_BASE", "BOROUGH_", "NOTIFICATIONS_", "SUBSCRIPTIONS_")
    for variable in [v for v in os.environ if v.startswith(prefixes)]:
        monkeypatch.delenv(variable)
    variables = {k: _deployed_value(v) for k, v in _variables(_function(synth, name)).items()}
    model = getattr(settings, MODELS[name])
    loaded = load(model, **{k.lower(): v for k, v in variables.items() if k.lower() in model.model_fields})
    assert not loaded.borough_local_cloud
    # Every other variable belongs to Powertools or to shared modules (the origin-verify check, the SDK's budgets).
    unknown = {k for k in variables if k.lower() not in model.model_fields}
    shared_modules = ("POWERTOOLS_", "ORIGIN_VERIFY_", "BOROUGH_FUNCTION_TIMEOUT_SECONDS")
    assert all(k.startswith(shared_modules) for k in unknown), unknown


def test_the_consumer_attempts_no_more_than_fits_its_timeout(synth):
    """Each record's worst case (Notify at its timeouts, the table, a margin) fits the consumer's timeout, and a
    batch is small enough that a degraded Notify (a second a call) still lets all of it through."""
    from notifications import handler
    from notifications.adapters import notify

    consumer = _function(synth, "consumer")
    (mapping,) = [
        m
        for m in synth.resources("AWS::Lambda::EventSourceMapping")
        if m.stack == consumer.stack and synth.refers_to(m.stack, m.props["FunctionName"]) == consumer.id
    ]
    timeout = consumer.props["Timeout"]
    worst = notify.WORST_CASE_SECONDS + notify.key_reread_seconds()
    assert worst + handler.STORE_SECONDS + handler.MARGIN_SECONDS <= timeout - 1
    degraded_notify_record_seconds = 1.0 + 0.1  # Notify answering in a second, and the table's calls
    assert mapping.props["BatchSize"] * degraded_notify_record_seconds + handler.MARGIN_SECONDS <= timeout
    assert mapping.props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
