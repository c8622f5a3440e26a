"""Payments: the attempts table, GOV.UK Pay's webhooks (receiver, queue, worker), the web's payments function and the
reconciler; the Refunds table and the staff payments function the console invokes. See docs/payments.md.

- The table holds the attempts (the council's key, PITR, TTL, deletion protection in prod) with three indexes: the
  return token (Pay's return URL), and the sparse open-attempts and unpaid-requests indexes the reconciler walks.
- The Pay API key and the webhook signing secret are created by a person (`borough/<env>/pay-api-key`,
  `borough/<env>/pay-webhook-secret`), read by name with GetSecretValue on exactly that secret by the functions that
  need them: the key by the functions that call Pay, the signing secret by the receiver only.
- Webhooks: `POST /api/v1/payments/webhooks` checks the signature and queues a hint (SSE-SQS, a DLQ after five
  receives, alarmed in the observability stack); the worker reads the payment from Pay and applies it.
- Refunds: table `Refunds` (the council's key, PITR, TTL, the sparse open-refunds index the reconciler walks) and
  the StaffPayments function (named, so the console invokes it by name), which alone writes new refunds; the worker
  and the reconciler follow them to Pay's final state. `REFUND_ROLES` (the roles holding `refund`) comes from the
  console's roles.yaml at synth, so payments checks the permission itself too. The staff refund API
  (`POST /api/v1/payments/{reference}/refunds`, StaffRefundsApi) makes the same refunds over HTTP, behind the API
  stack's staff pool JWT authorizer and CloudFront's origin-verify check. The OrderRefunds function makes the same
  refunds for the permits service (`refund-order`, invoked by its functions only), recorded `via: permits`.
- The nightly comparison reads yesterday's attempts (`by-day`) and refunds (`refunds-by-status`) and Pay's searches.
- Every grant is exact (stacks/constructs/grants.py; tests/infra/test_infra_payments.py).
"""

from __future__ import annotations

from typing import Any

import yaml
from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.console_stack import ROLES_FILE
from stacks.constructs.function import ServiceFunctions
from stacks.constructs.grants import (
    grant_items,
    grant_publish,
    grant_secret_value,
    grant_send,
    require_origin_verify,
)
from stacks.constructs.public_route import public_route
from stacks.constructs.queues import queue_with_dead_letters
from stacks.constructs.tables import council_table
from stacks.routes import PAYMENT_WEBHOOK_ROUTES, STAFF_REFUND_ROUTES

PAY_BASE_URL = "https://publicapi.payments.service.gov.uk"  # the local cloud points this at its local Pay
BY_RETURN_TOKEN = "by-return-token"  # noqa: S105 - an index name (functions/payments/store.py)
OPEN_ATTEMPTS = "open-attempts"  # functions/payments/store.py
UNPAID_REQUESTS = "unpaid-requests"  # functions/payments/store.py
OPEN_REFUNDS = "open-refunds"  # functions/payments/refunds_store.py
REFUND_PERMISSION = "refund"  # functions/console/permissions.py Permission.REFUND
EXPORT_PERMISSION = "export-finance"  # Permission.EXPORT_FINANCE: the finance export
# The finance export's (functions/payments/finance.py), without a Scan: attempts by service and creation time,
# refunds by state and request time.
PAYMENTS_BY_SERVICE = "payments-by-service"
REFUNDS_BY_STATUS = "refunds-by-status"
BY_DAY = "by-day"  # functions/payments/store.py: the nightly comparison's attempts of a day
# The nightly comparison with Pay's search (functions/payments/reconciler.py): yesterday (UTC), once every attempt
# of it has finished (Pay expires an unpaid payment after 90 minutes; the reconciler polls every 5).
COMPARE_AT = events.Schedule.cron(minute="30", hour="3")
COMPARISON_TIMEOUT = Duration.minutes(5)  # Pay's search pages (500 a page) and a read per payment across midnight
RECONCILE_EVERY = Duration.minutes(5)
RECONCILER_TIMEOUT = Duration.seconds(120)  # up to 200 attempts a run, each one or two Pay reads
MOTO_TIMEOUT = Duration.seconds(60)  # MOTO_POLICY: one 15 s authorisation, 30 s at worst; at least 50 s
WORKER_BATCH_SIZE = 1  # each hint is one or two Pay calls of 6 s at worst: one per 10 s invocation
# The create queue (functions/payments/creator.py): creates Pay rate-limited (429 P0900), asked again by a paced worker.
CREATOR_TIMEOUT = Duration.seconds(60)  # tries with backoff while one more create (6 s at worst) fits
CREATOR_CONCURRENCY = 3  # at most 3 creates in flight from the queue: well under Pay's 15 POSTs a second
# Item actions: attempts are read by key and index, written under conditions; never scanned or deleted.
ATTEMPT_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem")
REQUEST_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem")  # read the amount; awaiting payment -> received
# Refunds: the staff function writes new ones (a conditional put) and follows them; the worker and the reconciler
# only follow them (read, update the state). Never scanned or deleted.
REFUND_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem")
FOLLOW_REFUND_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem")


def refund_roles(permission: str = REFUND_PERMISSION) -> str:
    """The console roles (roles.yaml, read as data) that hold the `refund` permission (or another), comma-separated."""
    roles = yaml.safe_load(ROLES_FILE.read_text())["roles"]
    return ",".join(sorted(name for name, role in roles.items() if permission in role["permissions"]))


class PaymentsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        key: kms.IKey,
        layer: lambda_.ILayerVersion,
        requests_table: dynamodb.ITable,
        events_topic: sns.ITopic,
        http_api: apigw.IHttpApi,
        staff_authorizer: apigw.IHttpRouteAuthorizer,
        origin_verify_secret: secretsmanager.ISecret,
        public_base_url: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._function = ServiceFunctions(self, config=config, service="payments", layer=layer, log_key=key)
        # A request's attempts, numbered 1, 2, ...
        self.table = council_table(
            self,
            "Payments",
            config=config,
            key=key,
            partition_key="reference",
            sort_key="attempt",
            sort_key_type=dynamodb.AttributeType.NUMBER,
        )
        self.table.add_global_secondary_index(
            index_name=BY_RETURN_TOKEN,
            partition_key=dynamodb.Attribute(name="return_token", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        self.table.add_global_secondary_index(
            index_name=OPEN_ATTEMPTS,
            partition_key=dynamodb.Attribute(name="open", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="created_at", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.table.add_global_secondary_index(
            index_name=UNPAID_REQUESTS,
            partition_key=dynamodb.Attribute(name="awaiting", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="unpaid_due", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        self.table.add_global_secondary_index(
            index_name=PAYMENTS_BY_SERVICE,
            partition_key=dynamodb.Attribute(name="service_id", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="created_at", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=["amount", "status", "payment_id"],  # finance.PAYMENTS_BY_SERVICE_FIELDS
        )
        # Refunds keep staff ids and their reasons for seven years (payments.refunds.KEEP_FOR, the TTL).
        self.refunds = council_table(
            self,
            "Refunds",
            config=config,
            key=key,
            partition_key="reference",
            sort_key="refund",
            sort_key_type=dynamodb.AttributeType.NUMBER,
        )
        self.refunds.add_global_secondary_index(
            index_name=OPEN_REFUNDS,
            partition_key=dynamodb.Attribute(name="open", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="requested_at", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.refunds.add_global_secondary_index(
            index_name=REFUNDS_BY_STATUS,
            partition_key=dynamodb.Attribute(name="status", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="requested_at", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=["attempt", "payment_id", "amount", "refund_id"],  # never the reason or who asked
        )
        self.table.add_global_secondary_index(
            index_name=BY_DAY,
            partition_key=dynamodb.Attribute(name="created_day", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="created_at", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        # Created by a person, never in a template (`aws secretsmanager create-secret --name ...`).
        self.pay_api_key = secretsmanager.Secret.from_secret_name_v2(
            self, "PayApiKey", f"borough/{config.name}/pay-api-key"
        )
        self.webhook_secret = secretsmanager.Secret.from_secret_name_v2(
            self, "PayWebhookSecret", f"borough/{config.name}/pay-webhook-secret"
        )

        # Hints carry a payment id, a message id and an event type: no personal data (SSE-SQS is enough).
        self.queue, self.dead_letters = queue_with_dead_letters(
            self,
            "Webhook",
            visibility=Duration.seconds(60),  # six times the worker's 10 s timeout
        )
        # Rate-limited creates: identifiers only (reference, attempt number).
        self.create_queue, self.create_dead_letters = queue_with_dead_letters(
            self,
            "Create",
            visibility=Duration.seconds(CREATOR_TIMEOUT.to_seconds() * 6),  # six times the worker's
        )

        service_environment = {
            "PAYMENTS_TABLE": self.table.table_name,
            "REQUESTS_TABLE": requests_table.table_name,
            "EVENTS_TOPIC_ARN": events_topic.topic_arn,
            "PAY_BASE_URL": PAY_BASE_URL,
            "PAY_API_KEY_SECRET_ID": self.pay_api_key.secret_name,
            "PUBLIC_BASE_URL": public_base_url,
        }
        # The worker and the reconciler follow refunds too (payments.settings.FollowingSettings).
        following_environment = {**service_environment, "REFUNDS_TABLE": self.refunds.table_name}
        self.payments = self._function(
            "WebPayments",
            "payments.handler.handler",
            "Starts a resident's payment and reads it back on their return from GOV.UK Pay",
            {**service_environment, "CREATE_QUEUE_URL": self.create_queue.queue_url},
            function_name=config.payments_function,
        )
        self.creator = self._function(
            "PaymentCreator",
            "payments.creator_handler.handler",
            "Asks GOV.UK Pay again, paced, for each payment it rate-limited",
            {**service_environment, "CREATE_QUEUE_URL": self.create_queue.queue_url},
            timeout=CREATOR_TIMEOUT,
        )
        self.worker = self._function(
            "WebhookWorker",
            "payments.worker.handler",
            "Applies GOV.UK Pay's webhooks: reads each payment (and its refunds) from Pay",
            following_environment,
        )
        self.reconciler = self._function(
            "Reconciler",
            "payments.reconciler.handler",
            "Brings every open payment attempt and refund to a final state",
            following_environment,
            timeout=RECONCILER_TIMEOUT,
        )
        # Payments by phone (MOTO), invoked by the staff console only: Pay's /v1/auth asks for 15 s, so more than
        # `worst_case_seconds(MOTO_POLICY)` (30 s) plus the create and the read (docs/payments.md).
        self.moto = self._function(
            "MotoPayments",
            "payments.moto_handler.handler",
            "Takes a fee by phone (MOTO) for a request staff submitted for a resident",
            service_environment,
            timeout=MOTO_TIMEOUT,
        )
        for function in (self.payments, self.worker, self.reconciler, self.creator, self.moto):
            grant_items(function, self.table, key, ATTEMPT_ACTIONS)
            grant_items(function, self.table, key, ["dynamodb:Query"], index=OPEN_ATTEMPTS)
            grant_items(function, requests_table, key, REQUEST_ACTIONS)
            grant_secret_value(function, self.pay_api_key)
            grant_publish(function, events_topic)
        grant_items(self.payments, self.table, key, ["dynamodb:Query"], index=BY_RETURN_TOKEN)
        grant_items(self.reconciler, self.table, key, ["dynamodb:Query"], index=UNPAID_REQUESTS)
        for function in (self.worker, self.reconciler):
            grant_items(function, self.refunds, key, FOLLOW_REFUND_ACTIONS)
        grant_items(self.reconciler, self.refunds, key, ["dynamodb:Query"], index=OPEN_REFUNDS)

        # Staff refunds, invoked by the console only (its role has lambda:InvokeFunction on this one function).
        self.staff = self._function(
            "StaffPayments",
            "payments.staff.handler",
            "Shows staff a request's payment and refunds it, fully or in part",
            {
                "PAYMENTS_TABLE": self.table.table_name,
                "REFUNDS_TABLE": self.refunds.table_name,
                "PAY_BASE_URL": PAY_BASE_URL,
                "PAY_API_KEY_SECRET_ID": self.pay_api_key.secret_name,
                "REFUND_ROLES": refund_roles(),
                "EXPORT_ROLES": refund_roles(EXPORT_PERMISSION),  # the finance export (payments/finance.py)
            },
            function_name=config.staff_payments_function,
        )
        grant_items(self.staff, self.table, key, ["dynamodb:Query"])  # the request's attempts: reads only
        grant_items(self.staff, self.refunds, key, REFUND_ACTIONS)
        grant_secret_value(self.staff, self.pay_api_key)
        # The finance export (the same function's `export` action): the two indexes, Query only.
        grant_items(self.staff, self.table, key, ["dynamodb:Query"], index=PAYMENTS_BY_SERVICE)
        grant_items(self.staff, self.refunds, key, ["dynamodb:Query"], index=REFUNDS_BY_STATUS)
        # Refunds another service asks for (`refund-order`, payments.order_refunds): invoked by the permits functions
        # only (their roles name this one function); the same records as staff refunds, `via` the service.
        self.order_refunds = self._function(
            "OrderRefunds",
            "payments.order_refunds.handler",
            "Refunds an order's payment for the service that registered it (permits), through GOV.UK Pay",
            {
                "PAYMENTS_TABLE": self.table.table_name,
                "REFUNDS_TABLE": self.refunds.table_name,
                "PAY_BASE_URL": PAY_BASE_URL,
                "PAY_API_KEY_SECRET_ID": self.pay_api_key.secret_name,
            },
        )
        grant_items(self.order_refunds, self.table, key, ["dynamodb:Query"])  # the order's attempts: reads only
        grant_items(self.order_refunds, self.refunds, key, REFUND_ACTIONS)
        grant_secret_value(self.order_refunds, self.pay_api_key)
        # The staff refund API (`POST /api/v1/payments/{reference}/refunds`), behind the staff pool's JWT authorizer
        # and CloudFront: the same refunds as the console's button, the member of staff from the token.
        self.staff_api = self._function(
            "StaffRefundsApi",
            "payments.staff_api.handler",
            "Refunds a payment, fully or in part, for a member of staff calling the staff API",
            {
                "PAYMENTS_TABLE": self.table.table_name,
                "REFUNDS_TABLE": self.refunds.table_name,
                "PAY_BASE_URL": PAY_BASE_URL,
                "PAY_API_KEY_SECRET_ID": self.pay_api_key.secret_name,
                "REFUND_ROLES": refund_roles(),
            },
        )
        grant_items(self.staff_api, self.table, key, ["dynamodb:Query"])  # the request's attempts: reads only
        grant_items(self.staff_api, self.refunds, key, REFUND_ACTIONS)
        grant_secret_value(self.staff_api, self.pay_api_key)
        require_origin_verify(self.staff_api, origin_verify_secret)
        staff_integration = integrations.HttpLambdaIntegration("StaffRefundsIntegration", self.staff_api)
        for number, route_key in enumerate(STAFF_REFUND_ROUTES):
            method, path = route_key.split(" ", 1)
            apigw.HttpRoute(
                self,
                f"RouteStaffRefunds{number}",
                http_api=http_api,
                route_key=apigw.HttpRouteKey.with_(path, apigw.HttpMethod[method]),
                integration=staff_integration,
                authorizer=staff_authorizer,
            )
        grant_send(self.payments, self.create_queue)
        self.creator.add_event_source(
            event_sources.SqsEventSource(
                self.create_queue, batch_size=1, max_concurrency=CREATOR_CONCURRENCY, report_batch_item_failures=True
            )
        )
        self.worker.add_event_source(
            event_sources.SqsEventSource(self.queue, batch_size=WORKER_BATCH_SIZE, report_batch_item_failures=True)
        )
        self.reconcile_rule = events.Rule(
            self,
            "ReconcilePayments",
            description="Poll GOV.UK Pay for every payment attempt not yet finished",
            schedule=events.Schedule.rate(RECONCILE_EVERY),
            targets=[targets.LambdaFunction(self.reconciler, retry_attempts=0)],  # the next run is 5 minutes away
        )

        # Read only: the attempts and refunds of a day and Pay's two searches; it reports (a log line per mismatch,
        # a metric alarmed in the observability stack) and changes nothing.
        self.comparison = self._function(
            "PaymentsComparison",
            "payments.reconciler.nightly_handler",
            "Compares yesterday's payment attempts and refunds with GOV.UK Pay's records and reports every mismatch",
            {
                "PAYMENTS_TABLE": self.table.table_name,
                "REFUNDS_TABLE": self.refunds.table_name,
                "PAY_BASE_URL": PAY_BASE_URL,
                "PAY_API_KEY_SECRET_ID": self.pay_api_key.secret_name,
            },
            timeout=COMPARISON_TIMEOUT,
        )
        grant_items(self.comparison, self.table, key, ["dynamodb:GetItem"])
        grant_items(self.comparison, self.table, key, ["dynamodb:Query"], index=BY_DAY)
        grant_items(self.comparison, self.refunds, key, ["dynamodb:Query"], index=REFUNDS_BY_STATUS)
        grant_secret_value(self.comparison, self.pay_api_key)
        self.compare_rule = events.Rule(
            self,
            "ComparePaymentsNightly",
            description="Compare yesterday's payment attempts and refunds with GOV.UK Pay's searches, once a night",
            schedule=COMPARE_AT,
            targets=[targets.LambdaFunction(self.comparison, retry_attempts=2)],
        )

        self.receiver = self._function(
            "WebhookReceiver",
            "payments.webhooks.handler",
            "Checks GOV.UK Pay's webhook signatures and queues each valid one",
            {"PAY_WEBHOOK_SECRET_ID": self.webhook_secret.secret_name, "WEBHOOK_QUEUE_URL": self.queue.queue_url},
        )
        grant_secret_value(self.receiver, self.webhook_secret)
        grant_send(self.receiver, self.queue)
        require_origin_verify(self.receiver, origin_verify_secret)
        integration = integrations.HttpLambdaIntegration("WebhookIntegration", self.receiver)
        for route_key in PAYMENT_WEBHOOK_ROUTES:
            public_route(
                self,
                "RoutePaymentsWebhooks",
                http_api=http_api,
                route_key=route_key,
                integration=integration,
                reason=(
                    f"{route_key} is GOV.UK Pay's webhook: Pay cannot present a Cognito JWT; the function checks "
                    "Pay-Signature (HMAC-SHA256 of the body with the signing secret, constant time) and answers 401 "
                    "without a valid one. Stage throttling applies."
                ),
            )
