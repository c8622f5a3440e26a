"""The outbox publisher: a table's stream (the Requests table's, the Permits table's) into a small function that
forwards each stored event to the events topic (shared/outbox.py), with retries, bisection of failing batches and a
dead-letter queue that alarms.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import BoroughFunction
from stacks.constructs.grants import grant_publish, grant_stream_read
from stacks.constructs.nag import suppress

BATCH_SIZE = 10  # ten publishes of ~50 ms each: well inside the function's 10 s
# A failing batch is halved until the failing record is alone; each record is retried up to this many times and
# for at most this long (the stream keeps records 24 hours) before it goes to the dead-letter queue.
RETRY_ATTEMPTS = 100
MAX_RECORD_AGE = Duration.hours(6)
DLQ_RETENTION = Duration.days(14)  # the SQS maximum: time to replay what the stream still holds, or the items


class OutboxPublisher(Construct):
    """`function` forwards the stream's events; a record it cannot publish ends on `dead_letters` (which the
    Observability stack alarms on), with the stream position of the batch it was in."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        layer: lambda_.ILayerVersion,
        key: kms.IKey,
        table: dynamodb.ITable,
        topic: sns.ITopic,
        source: str = "Requests",  # the table's name, for the description and the dead-letter queue's reason
    ) -> None:
        super().__init__(scope, construct_id)
        stream_arn = table.table_stream_arn
        if stream_arn is None:
            raise ValueError("The outbox needs the table's stream: declare the table with one")
        self.function = BoroughFunction(
            self,
            "Publisher",
            config=config,
            service="outbox",
            handler="outbox.handler.handler",
            layer=layer,
            log_key=key,
            description=f"Transactional outbox: forwards events stored with {source} table writes to the topic",
            environment={"EVENTS_TOPIC_ARN": topic.topic_arn},
        ).function
        grant_publish(self.function, topic)
        grant_stream_read(self.function, table, key)
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,  # the failure record names stream positions, no data
            retention_period=DLQ_RETENTION,
            enforce_ssl=True,
        )
        suppress(
            self.dead_letters.node.default_child,
            "AwsSolutions-SQS3",
            f"This queue is itself a dead-letter queue: the on-failure destination of the {source} stream's event "
            "source mapping (cdk-nag only recognises SQS redrive targets). It alarms on its first message.",
        )
        self.mapping = lambda_.EventSourceMapping(
            self,
            "Stream",
            target=self.function,
            event_source_arn=stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=BATCH_SIZE,
            bisect_batch_on_error=True,
            retry_attempts=RETRY_ATTEMPTS,
            max_record_age=MAX_RECORD_AGE,
            report_batch_item_failures=True,
            parallelization_factor=1,  # one batch per shard at a time: events about a request stay in order
            on_failure=event_sources.SqsDlq(self.dead_letters),  # also grants the function SendMessage on it
        )
