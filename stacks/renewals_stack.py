"""Renewals: subscriptions (garden waste's yearly one), their table, the consumer that records them and the daily job
that sends the renewal reminders' events. See docs/renewals.md.

- The table (the council's key, PITR, TTL `expires_at`, deletion protection in prod) is keyed by the paid request's
  reference, with the sparse `reminders-due` index the daily job Queries.
- The consumer reads its queue, made by the events stack from shared/events.py CONSUMERS (`payment-succeeded`).
- Every grant is exact (stacks/constructs/grants.py; tests/infra/test_infra_renewals.py).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
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
from stacks.constructs.grants import grant_items, grant_publish, grant_secret_value
from stacks.constructs.nag import suppress
from stacks.constructs.tables import council_table

REMINDERS_DUE = "reminders-due"  # functions/renewals/store.py
CONSUMER_BATCH_SIZE = 10  # each record is two or three DynamoDB calls
# The consumer reads a subscription and its renewal's marker, and records one under a condition; never Scan/Delete.
CONSUMER_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
# 08:00 UTC (08:00 or 09:00 in the UK): the same date in London and UTC, and a civil hour for an email.
REMINDER_SCHEDULE = events.Schedule.cron(minute="0", hour="8")
JOB_TIMEOUT = Duration.seconds(120)  # a day's reminders: about 2 s each at worst, and every one is resumable


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
        events_topic: sns.ITopic,
        requests_table: dynamodb.ITable,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._function = ServiceFunctions(self, config=config, service="renewals", layer=layer, log_key=key)
        protect = config.deletion_protection
        self.table = council_table(self, "Renewals", config=config, key=key, partition_key="reference")
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

        # -- the daily job: renewal-due for each subscription whose reminder date has come ---------------------------
        self.job = self._function(
            "DailyReminders",
            "renewals.job.handler",
            "Announces the garden waste subscriptions due a renewal reminder",
            {"RENEWALS_TABLE": self.table.table_name, "EVENTS_TOPIC_ARN": events_topic.topic_arn},
            timeout=JOB_TIMEOUT,
        )
        grant_items(self.job, self.table, key, ["dynamodb:Query"], index=REMINDERS_DUE)
        grant_items(self.job, self.table, key, ["dynamodb:UpdateItem"])  # claim, then mark reminded
        grant_publish(self.job, events_topic)
        self.reminder_rule = events.Rule(
            self,
            "DailyRenewalReminders",
            description="Announce the subscriptions due a renewal reminder today",
            schedule=REMINDER_SCHEDULE,
            targets=[targets.LambdaFunction(self.job, retry_attempts=2)],  # a rerun announces nothing twice
        )

        # -- renewal links: minted for the reminder (notifications), opened and begun by the web --------------------
        self.link_key = secretsmanager.Secret(
            self,
            "RenewalLinkKey",
            description=f"Borough {config.name} renewals: signs the renewal links in reminders (HMAC)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
        )
        suppress(
            self.link_key.node.default_child,
            "AwsSolutions-SMG4",
            "The key signs renewal links (valid until 30 days after a subscription ends); rotating it means replacing "
            "the value, which ends the links already sent (the resident can still apply from the service's page).",
        )
        self.links = self._function(
            "Links",
            "renewals.links.handler",
            "Mints and opens the signed renewal links in garden waste reminders",
            {
                "RENEWALS_TABLE": self.table.table_name,
                "REQUESTS_TABLE": requests_table.table_name,
                "RENEWAL_LINK_KEY_SECRET_ID": self.link_key.secret_arn,
            },
            # Named, so that the notifications consumer and the web may invoke it without referring to this stack.
            function_name=config.renewal_links_function,
        )
        # The subscription by key; a renewal's marker put under a condition; the previous request's answers read.
        grant_items(self.links, self.table, key, ["dynamodb:GetItem", "dynamodb:PutItem"])
        grant_items(self.links, requests_table, key, ["dynamodb:GetItem"])
        grant_secret_value(self.links, self.link_key)
