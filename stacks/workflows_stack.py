"""Workflows: the triage state machine (Express: it finishes in seconds) and the consumer that starts it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
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
from stacks.constructs.grants import grant_publish, grant_table
from stacks.constructs.nag import suppress

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
            self,
            "TriageAssign",
            config=config,
            service="cases",
            handler="cases.triage.assign",
            layer=layer,
            log_key=key,
            description="Triage task: route a report to a team and set its due date",
            environment={"REQUESTS_TABLE": requests_table.table_name},
        ).function
        grant_table(self.assign, requests_table, key, write=True)

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
        # The definition invokes the unqualified function ARN, so no `:*` (versions and aliases) grant is needed.
        self.triage.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.assign.function_arn])
        )
        grant_publish(self.triage, events_topic)
        suppress(
            self.triage.role.node.find_child("DefaultPolicy").node.default_child,
            "AwsSolutions-IAM5",
            "Step Functions execution logging needs the CloudWatch Logs delivery actions (logs:CreateLogDelivery, "
            "PutResourcePolicy, ...) and tracing needs X-Ray actions; neither supports resource-level "
            "permissions. The invoke and publish statements name their resources.",
            applies_to=["Resource::*"],
        )

        self.starter = BoroughFunction(
            self,
            "TriageStarter",
            config=config,
            service="cases",
            handler="cases.triage.start",
            layer=layer,
            log_key=key,
            description="Consumes report-submitted events and starts triage",
            environment={"TRIAGE_STATE_MACHINE_ARN": self.triage.state_machine_arn},
        ).function
        self.triage.grant_start_execution(self.starter)
        self.starter.add_event_source(
            event_sources.SqsEventSource(triage_queue, batch_size=10, report_batch_item_failures=True)
        )
