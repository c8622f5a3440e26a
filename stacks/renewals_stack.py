"""Renewals: subscriptions (garden waste's yearly one), their table, the consumer that records them and the daily job
that sends the renewal reminders' events. See docs/renewals.md.

- The table (the council's key, PITR, TTL `expires_at`, deletion protection in prod) is keyed by the paid request's
  reference, with the sparse `reminders-due` index the daily job Queries.
- The consumer reads its queue, made by the events stack from shared/events.py CONSUMERS (`payment-succeeded`).
- Every grant is exact (stacks/constructs/grants.py; tests/infra/test_infra_renewals.py).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import ServiceFunctions
from stacks.constructs.grants import grant_items

REMINDERS_DUE = "reminders-due"  # functions/renewals/store.py
CONSUMER_BATCH_SIZE = 10  # each record is two or three DynamoDB calls
# The consumer reads a subscription and its renewal's marker, and records one under a condition; never Scan/Delete.
CONSUMER_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")


class RenewalsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        key: kms.IKey,
        layer: lambda_.ILayerVersion,
        queue: sqs.IQueue,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._function = ServiceFunctions(self, config=config, service="renewals", layer=layer, log_key=key)
        protect = config.deletion_protection
        self.table = dynamodb.Table(
            self,
            "Renewals",
            partition_key=dynamodb.Attribute(name="reference", type=dynamodb.AttributeType.STRING),
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
            index_name=REMINDERS_DUE,
            partition_key=dynamodb.Attribute(name="reminder", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="remind_on", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )

        self.consumer = self._function(
            "Consumer",
            "renewals.handler.handler",
            "Records the subscription a paid request buys (garden waste renewals)",
            {"RENEWALS_TABLE": self.table.table_name},
        )
        grant_items(self.consumer, self.table, key, CONSUMER_ACTIONS)
        self.consumer.add_event_source(
            event_sources.SqsEventSource(queue, batch_size=CONSUMER_BATCH_SIZE, report_batch_item_failures=True)
        )
