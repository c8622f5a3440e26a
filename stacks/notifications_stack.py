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
from stacks.constructs.nag import suppress


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
        # The GOV.UK Notify API key ({key name}-{service id}-{secret}): a person pastes it in after deploying.
        # Encrypted with Secrets Manager's own key: the data key lives in the foundation stack, and a grant on it
        # from here would make that stack depend on this one.
        self.notify_api_key = secretsmanager.Secret(
            self, "NotifyApiKey", description=f"Borough {config.name}: GOV.UK Notify API key"
        )
        suppress(
            self.notify_api_key.node.default_child,
            "AwsSolutions-SMG4",
            "GOV.UK Notify API keys cannot be rotated by a Lambda: a new key is created in Notify's web admin, pasted "
            "into this secret, and the old key revoked there (runbook in docs/notifications.md).",
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
                "NOTIFY_API_KEY_SECRET_ARN": self.notify_api_key.secret_arn,
            },
        ).function
        self.notify_api_key.grant_read(self.consumer)
        grant_table(self.consumer, notifications_table, key, write=True)
        grant_table(self.consumer, requests_table, key, write=False)
        grant_table(self.consumer, idempotency_table, key, write=True)
        self.consumer.add_event_source(
            event_sources.SqsEventSource(queue, batch_size=10, report_batch_item_failures=True)
        )
