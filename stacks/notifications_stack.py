"""Notifications: the consumer that tells residents (GOV.UK Notify, SES or record-only), Notify's delivery receipts,
bin collection reminder subscriptions and their daily job. See docs/notifications.md.

The HTTP routes are added to the API here (like the web stack's); the route table (`stacks/routes.py`) lists
them so its fallback answers 404/405 correctly. Every grant is exact: the actions each handler makes, on the
resources it names (tests/infra/test_infra_iam.py).
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import ServiceFunctions
from stacks.constructs.grants import (
    grant_items,
    grant_secret_value,
    grant_send,
    grant_table,
    require_origin_verify,
)
from stacks.constructs.nag import suppress
from stacks.constructs.public_route import public_route
from stacks.data_stack import SUBSCRIPTIONS_BY_DAY
from stacks.routes import NOTIFY_RECEIPTS_ROUTES, REMINDER_ROUTES

NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"  # the local cloud points this at its Notify stand-in
# 17:00 UTC (17:00 or 18:00 in the UK) the day before: the evening before collection, and the same date in London
# and UTC, so "tomorrow" is never ambiguous.
REMINDER_SCHEDULE = events.Schedule.cron(minute="0", hour="17")
# Records per consumer invocation. Each is attempted only while its worst case (Notify's calls at their timeouts,
# notifications.adapters.notify.WORST_CASE_SECONDS, the key's re-read, the table's) fits the time left; the rest are
# handed back. Five at a degraded Notify's second or so each still fit with margin; ten would not.
CONSUMER_BATCH_SIZE = 5


class NotificationsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        key: kms.IKey,
        layer: lambda_.ILayerVersion,
        notifications_table: dynamodb.ITable,
        requests_table: dynamodb.ITable,
        subscriptions_table: dynamodb.ITable,
        return_links_function: lambda_.IFunction,
        queue: sqs.IQueue,
        http_api: apigw.IHttpApi,
        origin_verify_secret: secretsmanager.ISecret,
        public_base_url: str,
        notify_provider: str = "record-only",  # notify | ses | record-only (see docs/notifications.md)
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._function = ServiceFunctions(self, config=config, service="notifications", layer=layer, log_key=key)
        # Secrets a person creates, not this stack, so a stack deletion never takes them and they are never in a
        # template (`aws secretsmanager create-secret --name borough/<env>/... --secret-string ...`):
        # - the GOV.UK Notify API key ({key name}-{service id}-{secret}); only the consumer reads it;
        # - the bearer token Notify sends with delivery receipts (also typed into Notify's callback settings).
        self.notify_api_key = secretsmanager.Secret.from_secret_name_v2(
            self, "NotifyApiKey", f"borough/{config.name}/notify-api-key"
        )
        self.callback_token = secretsmanager.Secret.from_secret_name_v2(
            self, "NotifyCallbackToken", f"borough/{config.name}/notify-callback-token"
        )
        # Signs the confirm and unsubscribe links in reminder messages; nobody outside needs to know it.
        self.link_signing_key = secretsmanager.Secret(
            self,
            "LinkSigningKey",
            description=f"Borough {config.name} notifications: signs reminder confirm/unsubscribe links (HMAC)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY,
        )
        suppress(
            self.link_signing_key.node.default_child,
            "AwsSolutions-SMG4",
            "The key signs reminder links (confirm: 7 days, unsubscribe: 90 days); rotating it means replacing the "
            "value, which ends the links already sent (a reminder carries a fresh one). No rotation Lambda needed.",
        )

        # -- the consumer ------------------------------------------------------------------------------------------
        provider_environment = {"NOTIFY_PROVIDER": notify_provider}
        if config.notify_template_ids:
            provider_environment["NOTIFY_TEMPLATE_IDS"] = json.dumps(config.notify_template_ids, sort_keys=True)
        if notify_provider == "ses":
            provider_environment["SES_FROM_ADDRESS"] = config.ses_from_address
        self.consumer = self._function(
            "Consumer",
            "notifications.handler.handler",
            "Decides who is told what about their request, and records it",
            {
                "NOTIFICATIONS_TABLE": notifications_table.table_name,
                "REQUESTS_TABLE": requests_table.table_name,
                "SUBSCRIPTIONS_TABLE": subscriptions_table.table_name,
                "RETURN_LINKS_FUNCTION": return_links_function.function_name,
                # Renewal reminders' links: the renewals stack's function (which depends on this one), by name.
                "RENEWAL_LINKS_FUNCTION": config.renewal_links_function,
                # Permit messages: the resident's email and the permit, from the permits stack's function, by name.
                "PERMIT_APPLICATIONS_FUNCTION": config.permit_applications_function,
                **provider_environment,
                "NOTIFY_BASE_URL": NOTIFY_BASE_URL,
                "NOTIFY_API_KEY_SECRET_ID": self.notify_api_key.secret_name,  # Secrets Manager takes a name too
                "LINK_SIGNING_KEY_SECRET_ID": self.link_signing_key.secret_arn,
                "PUBLIC_BASE_URL": public_base_url,
            },
        )
        grant_secret_value(self.consumer, self.notify_api_key)
        grant_secret_value(self.consumer, self.link_signing_key)
        grant_table(self.consumer, notifications_table, key, write=True)
        grant_table(self.consumer, requests_table, key, write=False)
        # Reminders: one GetItem (the recipient), nothing more. Save and return: the web's drafts are the web's;
        # the consumer asks the web's return links function for the address and the link (web/return_links.py).
        grant_items(self.consumer, subscriptions_table, key, ["dynamodb:GetItem"])
        self.consumer.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    return_links_function.function_arn,
                    f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{config.renewal_links_function}",
                    f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:"
                    f"{config.permit_applications_function}",
                ],
            )
        )
        if notify_provider == "ses":
            domain = config.ses_from_address.rsplit("@", 1)[1]
            self.consumer.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["ses:SendEmail"],
                    resources=[f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:identity/{domain}"],
                )
            )
        self.consumer.add_event_source(
            event_sources.SqsEventSource(queue, batch_size=CONSUMER_BATCH_SIZE, report_batch_item_failures=True)
        )

        # -- GOV.UK Notify's delivery receipts ---------------------------------------------------------------------
        self.receipts = self._function(
            "Receipts",
            "notifications.callback.handler",
            "Records GOV.UK Notify's delivery receipts against the messages sent",
            {
                "NOTIFICATIONS_TABLE": notifications_table.table_name,
                "NOTIFY_CALLBACK_TOKEN_SECRET_ID": self.callback_token.secret_name,
            },
        )
        grant_secret_value(self.receipts, self.callback_token)
        grant_items(self.receipts, notifications_table, key, ["dynamodb:UpdateItem"])

        # -- reminder subscriptions (HTTP) and the daily job -------------------------------------------------------
        self.subscriptions = self._function(
            "Subscriptions",
            "notifications.subscriptions.handler",
            "Bin collection reminders: subscribe, confirm and unsubscribe",
            {
                "SUBSCRIPTIONS_TABLE": subscriptions_table.table_name,
                "NOTIFICATIONS_QUEUE_URL": queue.queue_url,
                "LINK_SIGNING_KEY_SECRET_ID": self.link_signing_key.secret_arn,
            },
            # Named, so that the web stack may invoke it (the reminder pages) without referring to this stack.
            function_name=config.reminder_subscriptions_function,
        )
        grant_items(self.subscriptions, subscriptions_table, key, ["dynamodb:GetItem", "dynamodb:UpdateItem"])
        grant_send(self.subscriptions, queue)
        grant_secret_value(self.subscriptions, self.link_signing_key)

        self.reminders = self._function(
            "DailyReminders",
            "notifications.subscriptions.scheduled_handler",
            "Queues tomorrow's bin collection reminders",
            {"SUBSCRIPTIONS_TABLE": subscriptions_table.table_name, "NOTIFICATIONS_QUEUE_URL": queue.queue_url},
            timeout=Duration.seconds(60),
        )
        grant_items(self.reminders, subscriptions_table, key, ["dynamodb:Query"], index=SUBSCRIPTIONS_BY_DAY)
        grant_send(self.reminders, queue)
        self.reminder_rule = events.Rule(
            self,
            "DailyBinReminders",
            description="Queue reminders for tomorrow's bin collections",
            schedule=REMINDER_SCHEDULE,
            targets=[targets.LambdaFunction(self.reminders, retry_attempts=2)],
        )

        # -- routes on the HTTP API --------------------------------------------------------------------------------
        # Both refuse a request that did not come through CloudFront (the API stack's origin-verify secret).
        for function in (self.receipts, self.subscriptions):
            require_origin_verify(function, origin_verify_secret)
        receipts = integrations.HttpLambdaIntegration("ReceiptsIntegration", self.receipts)
        for route_key in NOTIFY_RECEIPTS_ROUTES:
            self._route(
                http_api,
                route_key,
                receipts,
                f"{route_key} is GOV.UK Notify's delivery-receipt callback: Notify cannot present a Cognito JWT or "
                "sign requests, so the function checks the bearer token Notify sends (constant-time, from Secrets "
                "Manager) and answers 401 without it. Stage throttling applies.",
            )
        subscriptions = integrations.HttpLambdaIntegration("SubscriptionsIntegration", self.subscriptions)
        for route_key in REMINDER_ROUTES:
            self._route(
                http_api,
                route_key,
                subscriptions,
                f"{route_key} is a public resident route: residents ask for bin reminders without an account and "
                "confirm or unsubscribe with a one-time HMAC-signed link; the answer never says whether an address "
                "is subscribed. Stage throttling applies.",
            )

    def _route(
        self, http_api: apigw.IHttpApi, route_key: str, integration: apigw.HttpRouteIntegration, reason: str
    ) -> None:
        path = route_key.split(" ", 1)[1]
        public_route(
            self,
            "Route" + "".join(part.title() for part in path.replace("{", "").replace("}", "").split("/")[3:]),
            http_api=http_api,
            route_key=route_key,
            integration=integration,
            reason=reason,
        )
