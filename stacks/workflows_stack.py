"""Workflows: the triage state machine (Express: it finishes in seconds) and the consumer that starts it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import BoroughFunction, log_retention

WORKFLOWS_DIR = Path(__file__).resolve().parents[1] / "workflows"


class WorkflowsStack(Stack):
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
        triage_queue: sqs.IQueue,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.assign = BoroughFunction(
            self, "TriageAssign", config=config, service="cases", handler="cases.triage.assign",
            layer=layer, log_key=key, description="Triage task: route a report to a team and set its due date",
            environment={"REQUESTS_TABLE": requests_table.table_name},
        ).function
        requests_table.grant_read_write_data(self.assign)

        execution_logs = logs.LogGroup(
            self, "TriageLogs", retention=log_retention(config.log_retention_days), encryption_key=key
        )
        self.triage = sfn.StateMachine(
            self,
            "Triage",
            state_machine_type=sfn.StateMachineType.EXPRESS,
            definition_body=sfn.DefinitionBody.from_file(str(WORKFLOWS_DIR / "triage.asl.json")),
            definition_substitutions={
                "AssignFunctionArn": self.assign.function_arn,
                "EventsTopicArn": events_topic.topic_arn,
            },
            logs=sfn.LogOptions(destination=execution_logs, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        self.assign.grant_invoke(self.triage)
        events_topic.grant_publish(self.triage)

        self.starter = BoroughFunction(
            self, "TriageStarter", config=config, service="cases", handler="cases.triage.start",
            layer=layer, log_key=key, description="Consumes report-submitted events and starts triage",
            environment={"TRIAGE_STATE_MACHINE_ARN": self.triage.state_machine_arn},
        ).function
        self.triage.grant_start_execution(self.starter)
        self.starter.add_event_source(
            event_sources.SqsEventSource(triage_queue, batch_size=10, report_batch_item_failures=True)
        )
