"""Payments: the attempts table, GOV.UK Pay's webhooks (receiver, queue, worker), the web's payments function and the
reconciler. See docs/payments.md.

- The table holds the attempts (the council's key, PITR, TTL, deletion protection in prod) with three indexes: the
  return token (Pay's return URL), and the sparse open-attempts and unpaid-requests indexes the reconciler walks.
- The Pay API key and the webhook signing secret are created by a person (`borough/<env>/pay-api-key`,
  `borough/<env>/pay-webhook-secret`), read by name with GetSecretValue on exactly that secret by the functions that
  need them: the key by the functions that call Pay, the signing secret by the receiver only.
- Webhooks: `POST /api/v1/payments/webhooks` checks the signature and queues a hint (SSE-SQS, a DLQ after five
  receives, alarmed in the observability stack); the worker reads the payment from Pay and applies it.
- Every grant is exact (stacks/constructs/grants.py; tests/infra/test_infra_payments.py).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
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
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import ServiceFunctions
from stacks.constructs.grants import (
    grant_items,
    grant_publish,
    grant_secret_value,
    grant_send,
    require_origin_verify,
)
from stacks.constructs.public_route import public_route
from stacks.events_stack import DLQ_RETENTION, MAX_RECEIVES
from stacks.routes import PAYMENT_WEBHOOK_ROUTES

PAY_BASE_URL = "https://publicapi.payments.service.gov.uk"  # the local cloud points this at its local Pay
BY_RETURN_TOKEN = "by-return-token"  # noqa: S105 - an index name (functions/payments/store.py)
OPEN_ATTEMPTS = "open-attempts"  # functions/payments/store.py
UNPAID_REQUESTS = "unpaid-requests"  # functions/payments/store.py
RECONCILE_EVERY = Duration.minutes(5)
RECONCILER_TIMEOUT = Duration.seconds(120)  # up to 200 attempts a run, each one or two Pay reads
MOTO_TIMEOUT = Duration.seconds(60)  # MOTO_POLICY: one 15 s authorisation, 30 s at worst; at least 50 s
WORKER_BATCH_SIZE = 1  # each hint is one or two Pay calls of 6 s at worst: one per 10 s invocation
# Item actions: attempts are read by key and index, written under conditions; never scanned or deleted.
ATTEMPT_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem")
REQUEST_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem")  # read the amount; awaiting payment -> received


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
        origin_verify_secret: secretsmanager.ISecret,
        public_base_url: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._function = ServiceFunctions(self, config=config, service="payments", layer=layer, log_key=key)
        protect = config.deletion_protection
        self.table = dynamodb.Table(
            self,
            "Payments",
            partition_key=dynamodb.Attribute(name="reference", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="attempt", type=dynamodb.AttributeType.NUMBER),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",
            deletion_protection=protect,
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
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
        # Created by a person, never in a template (`aws secretsmanager create-secret --name ...`).
        self.pay_api_key = secretsmanager.Secret.from_secret_name_v2(
            self, "PayApiKey", f"borough/{config.name}/pay-api-key"
        )
        self.webhook_secret = secretsmanager.Secret.from_secret_name_v2(
            self, "PayWebhookSecret", f"borough/{config.name}/pay-webhook-secret"
        )

        self.dead_letters = sqs.Queue(
            self,
            "WebhookDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            retention_period=DLQ_RETENTION,
            enforce_ssl=True,
        )
        # Hints carry a payment id, a message id and an event type: no personal data (SSE-SQS is enough).
        self.queue = sqs.Queue(
            self,
            "WebhookQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            visibility_timeout=Duration.seconds(60),  # six times the worker's 10 s timeout
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVES),
            enforce_ssl=True,
        )

        service_environment = {
            "PAYMENTS_TABLE": self.table.table_name,
            "REQUESTS_TABLE": requests_table.table_name,
            "EVENTS_TOPIC_ARN": events_topic.topic_arn,
            "PAY_BASE_URL": PAY_BASE_URL,
            "PAY_API_KEY_SECRET_ID": self.pay_api_key.secret_name,
            "PUBLIC_BASE_URL": public_base_url,
        }
        self.payments = self._function(
            "WebPayments",
            "payments.handler.handler",
            "Starts a resident's payment and reads it back on their return from GOV.UK Pay",
            service_environment,
            function_name=config.payments_function,
        )
        self.worker = self._function(
            "WebhookWorker",
            "payments.worker.handler",
            "Applies GOV.UK Pay's webhooks: reads each payment from Pay",
            service_environment,
        )
        self.reconciler = self._function(
            "Reconciler",
            "payments.reconciler.handler",
            "Brings every open payment attempt to a final state",
            service_environment,
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
        for function in (self.payments, self.worker, self.reconciler, self.moto):
            grant_items(function, self.table, key, ATTEMPT_ACTIONS)
            grant_items(function, self.table, key, ["dynamodb:Query"], index=OPEN_ATTEMPTS)
            grant_items(function, requests_table, key, REQUEST_ACTIONS)
            grant_secret_value(function, self.pay_api_key)
            grant_publish(function, events_topic)
        grant_items(self.payments, self.table, key, ["dynamodb:Query"], index=BY_RETURN_TOKEN)
        grant_items(self.reconciler, self.table, key, ["dynamodb:Query"], index=UNPAID_REQUESTS)
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
