"""Events: one encrypted SNS topic; an SQS queue (with a dead-letter queue) per consumer, filtered by event type."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.events import CONSUMERS
from stacks.config import EnvironmentConfig

MAX_RECEIVES = 5  # deliveries before a message is parked on the dead-letter queue
DLQ_RETENTION = Duration.days(14)  # the SQS maximum: time to look at and redrive a poison message


class EventsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The keys live here, not in the foundation stack: SNS-to-SQS delivery adds a statement naming the topic
        # to the queues' key policy. The topic has a key of its own so that statement makes no cycle either.
        topic_key = self._key(config, "TopicKey", "encrypts the events topic")
        key = self._key(config, "QueueKey", "encrypts the consumer queues and their dead-letter queues")
        self.topic = sns.Topic(
            self, "Events", display_name=f"Borough {config.name} events", master_key=topic_key, enforce_ssl=True
        )
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for consumer, event_types in CONSUMERS.items():
            name = consumer.title()
            dlq = sqs.Queue(
                self,
                f"{name}DeadLetters",
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=key,
                retention_period=DLQ_RETENTION,
                enforce_ssl=True,
            )
            queue = sqs.Queue(
                self,
                f"{name}Queue",
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=key,
                visibility_timeout=Duration.seconds(60),  # six times the consumers' 10 s timeout
                dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=MAX_RECEIVES),
                enforce_ssl=True,
            )
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

    def _key(self, config: EnvironmentConfig, construct_id: str, purpose: str) -> kms.Key:
        return kms.Key(
            self,
            construct_id,
            description=f"Borough {config.name}: {purpose}",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY,
        )
