"""Events: one SNS topic; an SQS queue (with a dead-letter queue) per consumer, filtered by event type.

Events carry identifiers only (reference, service, status, team, dates), never personal data: the contract in
shared/events.py and the tests hold to that. So the queues use SQS-managed encryption (SSE-SQS, no key to pay for
and no KMS request per message) and the topic, which holds a message only until it is delivered, has no KMS key.
A customer-managed key here would cost $2 a month plus about a third of the per-submission cost target in KMS
requests (docs/cost-model.md) and protect nothing that is not already protected in the tables.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.events import CONSUMERS
from stacks.config import EnvironmentConfig
from stacks.constructs.nag import suppress
from stacks.constructs.queues import queue_with_dead_letters


class EventsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.topic = sns.Topic(self, "Events", display_name=f"Borough {config.name} events", enforce_ssl=True)
        suppress(
            self.topic.node.default_child,
            "AwsSolutions-SNS2",
            "Events carry identifiers only, never personal data or free text (references, service and team ids, "
            "statuses, dates, update ids: tests/unit/functions/test_event_contracts.py); residents' answers, "
            "contact details, updates and staff notes stay in the Requests table (the council's key) and are read "
            "there by id. SNS keeps a message only until delivery; a KMS key would add a KMS request per publish "
            "(docs/cost-model.md).",
        )
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for consumer, event_types in CONSUMERS.items():
            name = consumer.title()
            # Six times the consumers' 10 s timeout.
            queue, dlq = queue_with_dead_letters(self, name, visibility=Duration.seconds(60))
            self.topic.add_subscription(
                subscriptions.SqsSubscription(
                    queue,
                    raw_message_delivery=True,
                    filter_policy={
                        "type": sns.SubscriptionFilter.string_filter(allowlist=[t.value for t in event_types])
                    },
                )
            )
            self.queues[consumer] = queue
            self.dead_letter_queues[consumer] = dlq
