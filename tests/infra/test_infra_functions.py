"""Every Lambda function: arm64, the current runtime, JSON logs in a retained log group, active tracing, the layer,
and the environment variables the handlers rely on."""

from __future__ import annotations

import pytest

from stacks.constructs.layer import LAMBDA_PYTHON_VERSION
from stacks.routes import (
    CASES_PUBLIC_ROUTES,
    CASES_STAFF_ROUTES,
    CATALOGUE_ROUTES,
    NOTIFY_RECEIPTS_ROUTES,
    PAYMENT_WEBHOOK_ROUTES,
    PERMITS_CHECK_ROUTES,
    PERMITS_FEED_ROUTES,
    REMINDER_ROUTES,
    STAFF_REFUND_ROUTES,
)

pytestmark = pytest.mark.infra

RETENTION_DAYS = {"dev": 30, "prod": 365}  # cdk.json's log_retention_days, rounded up to a CloudWatch value

# The contract with the functions' authors: handler -> environment variables it reads.
PAYMENTS_ENVIRONMENT = {
    "PAYMENTS_TABLE",
    "REQUESTS_TABLE",
    "EVENTS_TOPIC_ARN",
    "PAY_BASE_URL",
    "PAY_API_KEY_SECRET_ID",
    "PUBLIC_BASE_URL",
}
EXPECTED_ENVIRONMENT = {
    "permits.check.handler": {"PERMITS_TABLE", "LOOKUPS_TABLE"},
    "permits.feed_handler.handler": {"PERMITS_TABLE", "LOOKUPS_TABLE", "FEED_SIGNING_KEY"},
    "permits.application_handler.handler": {
        "PERMITS_TABLE",
        "DVLA_BASE_URL",
        "DVLA_API_KEY_SECRET_ID",
        "PAYMENTS_FUNCTION",
        "ORDER_REFUNDS_FUNCTION",
        "MANAGE_LINK_KEY_SECRET_ID",
        "PERMIT_JOURNEY",
    },
    "permits.issue_handler.handler": {"PERMITS_TABLE", "ORDER_REFUNDS_FUNCTION", "PERMIT_JOURNEY"},
    # the permit journey state machine's tasks (functions/permits/journey_handler.py)
    "permits.journey_handler.handler": {"PERMITS_TABLE", "ORDER_REFUNDS_FUNCTION"},
    "permits.schedule_job.handler": {"PERMITS_TABLE"},
    # refund-order for the permits functions (functions/payments/order_refunds.py)
    "payments.order_refunds.handler": {"PAYMENTS_TABLE", "REFUNDS_TABLE", "PAY_BASE_URL", "PAY_API_KEY_SECRET_ID"},
    "permits.staff_handler.handler": {
        "PERMITS_TABLE",
        "MANAGE_ROLES",
        "PAYMENTS_FUNCTION",  # a correction's charge (register-order)
        "ORDER_REFUNDS_FUNCTION",  # a correction's refund (refund-order)
    },  # permits for the staff console (invoked by name)
    "catalogue.handler.handler": {
        "REQUESTS_TABLE",
        "IDEMPOTENCY_TABLE",
        "API_ROUTES",
        "REQUEST_RETENTION_DAYS",
    },
    "cases.handler.handler": {"REQUESTS_TABLE"},
    # Catalogue and cases store each event with its write; the outbox publishes it from the table's stream.
    "outbox.handler.handler": {"EVENTS_TOPIC_ARN"},
    "cases.triage.assign": {"REQUESTS_TABLE"},
    "notifications.handler.handler": {
        "NOTIFICATIONS_TABLE",
        "REQUESTS_TABLE",
        "SUBSCRIPTIONS_TABLE",
        "RETURN_LINKS_FUNCTION",
        "RENEWAL_LINKS_FUNCTION",
        "PERMIT_APPLICATIONS_FUNCTION",
        "NOTIFY_PROVIDER",
        "NOTIFY_BASE_URL",
        "NOTIFY_API_KEY_SECRET_ID",
        "LINK_SIGNING_KEY_SECRET_ID",
        "PUBLIC_BASE_URL",
    },
    "notifications.callback.handler": {"NOTIFICATIONS_TABLE", "NOTIFY_CALLBACK_TOKEN_SECRET_ID"},
    "notifications.subscriptions.handler": {
        "SUBSCRIPTIONS_TABLE",
        "NOTIFICATIONS_QUEUE_URL",
        "LINK_SIGNING_KEY_SECRET_ID",
    },
    "notifications.subscriptions.scheduled_handler": {"SUBSCRIPTIONS_TABLE", "NOTIFICATIONS_QUEUE_URL"},
    "web.handler.handler": {
        "DRAFTS_TABLE",
        "CATALOGUE_FUNCTION",
        "CASES_FUNCTION",
        "EVENTS_TOPIC_ARN",
        "QUARANTINE_BUCKET",
        "CLEAN_BUCKET",
        "SIGNING_SECRET_ID",
        "SUBSCRIPTIONS_FUNCTION",
        "PAYMENTS_FUNCTION",
        "PERMITS_FUNCTION",
        "RENEWALS_FUNCTION",
        "BOROUGH_COUNCIL_NAME",
    },
    "web.reminders.handler": {"DRAFTS_TABLE", "EVENTS_TOPIC_ARN"},
    "web.return_links.handler": {"DRAFTS_TABLE", "POWERTOOLS_TRACER_CAPTURE_RESPONSE"},
    "catalogue.assisted_handler.handler": {"REQUESTS_TABLE", "REQUEST_RETENTION_DAYS", "SEARCH_KEY_SECRET_ID"},
    "console.handler.handler": {
        "REQUESTS_TABLE",
        "AUDIT_TABLE",
        "ASSISTED_FUNCTION",
        "MOTO_FUNCTION",
        "PUBLIC_BASE_URL",
        "STAFF_AUTH_BASE_URL",
        "STAFF_ISSUER",
        "STAFF_JWKS_URL",
        "STAFF_CLIENT_ID",
        "SIGNING_SECRET_ID",
        "KPIS_TABLE",
        "PERMITS_STAFF_FUNCTION",
    },
    "console.kpi_handler.handler": {"KPIS_TABLE"},
    # The worker and the reconciler follow refunds too.
    "payments.worker.handler": PAYMENTS_ENVIRONMENT | {"REFUNDS_TABLE"},
    "payments.reconciler.handler": PAYMENTS_ENVIRONMENT | {"REFUNDS_TABLE"},
    # A create Pay rate-limits is queued (functions/payments/creator.py).
    "payments.handler.handler": PAYMENTS_ENVIRONMENT | {"CREATE_QUEUE_URL"},
    "payments.creator_handler.handler": PAYMENTS_ENVIRONMENT | {"CREATE_QUEUE_URL"},
    "payments.staff.handler": {
        "PAYMENTS_TABLE",
        "REFUNDS_TABLE",
        "PAY_BASE_URL",
        "PAY_API_KEY_SECRET_ID",
        "REFUND_ROLES",
        "EXPORT_ROLES",
    },
    "payments.moto_handler.handler": PAYMENTS_ENVIRONMENT,
    "payments.webhooks.handler": {"PAY_WEBHOOK_SECRET_ID", "WEBHOOK_QUEUE_URL", "ORIGIN_VERIFY_SECRET_ID"},
    # The nightly comparison: the attempts and refunds (read only) and Pay's searches, nothing else.
    "payments.reconciler.nightly_handler": {"PAYMENTS_TABLE", "REFUNDS_TABLE", "PAY_BASE_URL", "PAY_API_KEY_SECRET_ID"},
    # The staff refund API: refunds as the staff function makes them, behind CloudFront (no finance export).
    "payments.staff_api.handler": {
        "PAYMENTS_TABLE",
        "REFUNDS_TABLE",
        "PAY_BASE_URL",
        "PAY_API_KEY_SECRET_ID",
        "REFUND_ROLES",
        "ORIGIN_VERIFY_SECRET_ID",
    },
    "renewals.handler.handler": {"RENEWALS_TABLE"},
    "renewals.job.handler": {"RENEWALS_TABLE", "EVENTS_TOPIC_ARN"},
    "renewals.links.handler": {"RENEWALS_TABLE", "REQUESTS_TABLE", "RENEWAL_LINK_KEY_SECRET_ID"},
}


def _functions(synth):
    return synth.resources("AWS::Lambda::Function")


def test_every_function_is_arm64_on_the_layers_python(synth):
    for function in _functions(synth):
        props = function.props
        assert props["Architectures"] == ["arm64"], function.id
        assert props["Runtime"] == f"python{LAMBDA_PYTHON_VERSION}", function.id
        assert props.get("Layers"), function.id


def test_the_layer_is_built_for_the_functions_runtime_and_architecture(synth):
    for layer in synth.resources("AWS::Lambda::LayerVersion"):
        assert layer.props["CompatibleRuntimes"] == [f"python{LAMBDA_PYTHON_VERSION}"]
        assert layer.props["CompatibleArchitectures"] == ["arm64"]


def test_every_function_logs_json_to_its_own_retained_encrypted_log_group(synth):
    log_groups = set()
    for function in _functions(synth):
        logging = function.props["LoggingConfig"]
        assert logging["LogFormat"] == "JSON", function.id
        assert logging.get("ApplicationLogLevel"), function.id
        assert logging.get("SystemLogLevel"), function.id
        group = synth.refers_to(function.stack, logging["LogGroup"])
        assert group is not None, function.id
        body = synth.get(group)
        assert body.body["Type"] == "AWS::Logs::LogGroup"
        assert body.props["RetentionInDays"] == RETENTION_DAYS[synth.environment], function.id
        assert body.props.get("KmsKeyId"), function.id
        log_groups.add(group)
    assert len(log_groups) == len(_functions(synth)), "functions share a log group"


def test_every_log_group_has_a_retention(synth):
    for group in synth.resources("AWS::Logs::LogGroup"):
        assert group.props.get("RetentionInDays") == RETENTION_DAYS[synth.environment], group.id


def test_every_function_traces_actively(synth):
    for function in _functions(synth):
        assert function.props.get("TracingConfig") == {"Mode": "Active"}, function.id


def test_each_handler_gets_the_environment_it_relies_on(synth):
    by_handler = {f.props["Handler"]: f for f in _functions(synth)}
    assert set(by_handler) == set(EXPECTED_ENVIRONMENT)
    for handler, names in EXPECTED_ENVIRONMENT.items():
        variables = by_handler[handler].props["Environment"]["Variables"]
        missing = (names | {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}) - set(variables)
        assert not missing, f"{handler} lacks {missing}"


def test_table_variables_name_the_tables_they_say(synth):
    by_handler = {f.props["Handler"]: f for f in _functions(synth)}
    tables = {}
    for table in synth.resources("AWS::DynamoDB::Table"):
        key = tuple(part["AttributeName"] for part in table.props["KeySchema"])
        if table.stack == synth.stack("Renewals"):  # keyed by the request's reference too: its own stack's
            tables["RENEWALS_TABLE"] = table.id
            continue
        tables[
            {
                ("reference",): "REQUESTS_TABLE",
                ("id",): "IDEMPOTENCY_TABLE",
                ("message_id",): "NOTIFICATIONS_TABLE",
                ("draft_id",): "DRAFTS_TABLE",
                ("subscription_id",): "SUBSCRIPTIONS_TABLE",
                ("reference", "attempt"): "PAYMENTS_TABLE",
                ("reference", "refund"): "REFUNDS_TABLE",
                ("record", "entry"): "AUDIT_TABLE",
                ("bucket", "metric"): "KPIS_TABLE",
                ("pk", "sk"): "PERMITS_TABLE",
                ("device", "at"): "LOOKUPS_TABLE",
            }[key]
        ] = table.id
    for function in by_handler.values():
        for name, value in function.props["Environment"]["Variables"].items():
            if name.endswith("_TABLE"):
                assert synth.refers_to(function.stack, value) == tables[name], (function.props["Handler"], name)


def test_catalogue_knows_every_api_route(synth):
    catalogue = next(f for f in _functions(synth) if f.props["Handler"] == "catalogue.handler.handler")
    routes = set(catalogue.props["Environment"]["Variables"]["API_ROUTES"].split(";"))
    assert routes == set(
        CATALOGUE_ROUTES
        + CASES_PUBLIC_ROUTES
        + CASES_STAFF_ROUTES
        + NOTIFY_RECEIPTS_ROUTES
        + REMINDER_ROUTES
        + PAYMENT_WEBHOOK_ROUTES
        + STAFF_REFUND_ROUTES
        + PERMITS_CHECK_ROUTES
        + PERMITS_FEED_ROUTES
    )
