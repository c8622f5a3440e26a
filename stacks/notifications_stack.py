"""Notifications: the consumer that records (and, with a provider configured, sends) messages to residents."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import BoroughFunction
from stacks.constructs.grants import grant_table


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
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
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
            },
        ).function
        grant_table(self.consumer, notifications_table, key, write=True)
        grant_table(self.consumer, requests_table, key, write=False)
        grant_table(self.consumer, idempotency_table, key, write=True)
        self.consumer.add_event_source(
            event_sources.SqsEventSource(queue, batch_size=10, report_batch_item_failures=True)
        )
