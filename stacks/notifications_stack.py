"""Notifications: the consumer that records (and, with a provider configured, sends) messages to residents."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import BoroughFunction
from stacks.constructs.grants import grant_table

NOTIFY_BASE_URL = "https://api.notifications.service.gov.uk"  # the local cloud points this at its Notify stand-in


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
        idempotency_table: dynamodb.ITable,
        queue: sqs.IQueue,
        notify_provider: str = "record-only",  # notify | ses | record-only (see docs/notifications.md)
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The GOV.UK Notify API key ({key name}-{service id}-{secret}) is created by a person, not by this stack
        # (`aws secretsmanager create-secret --name borough/<env>/notify-api-key --secret-string <key>`), so a
        # stack deletion never takes it and the key is never in a template. Only the consumer may read it.
        self.notify_api_key = secretsmanager.Secret.from_secret_name_v2(
            self, "NotifyApiKey", f"borough/{config.name}/notify-api-key"
        )
        self.consumer = BoroughFunction(
            self,
            "Consumer",
            config=config,
            service="notifications",
            handler="notifications.handler.handler",
            layer=layer,
            log_key=key,
            description="Decides who is told what about their request, and records it",
            environment={
                "NOTIFICATIONS_TABLE": notifications_table.table_name,
                "REQUESTS_TABLE": requests_table.table_name,
                "IDEMPOTENCY_TABLE": idempotency_table.table_name,
                "NOTIFY_PROVIDER": notify_provider,
                "NOTIFY_BASE_URL": NOTIFY_BASE_URL,
                "NOTIFY_API_KEY_SECRET_ARN": self.notify_api_key.secret_name,  # Secrets Manager takes a name too
            },
        ).function
        self.notify_api_key.grant_read(self.consumer)
        grant_table(self.consumer, notifications_table, key, write=True)
        grant_table(self.consumer, requests_table, key, write=False)
        grant_table(self.consumer, idempotency_table, key, write=True)
        self.consumer.add_event_source(
            event_sources.SqsEventSource(queue, batch_size=10, report_batch_item_failures=True)
        )
