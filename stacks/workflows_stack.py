"""Workflows: the triage state machine (Express: it finishes in seconds) and the pipe that runs it.

An EventBridge Pipe takes each report-submitted event off the triage queue and runs an execution synchronously
(REQUEST_RESPONSE, StartSyncExecution): no function of our own to run, pay for, cold-start or alarm on. The message
is deleted only when the execution succeeded; a failed or timed-out execution (or a start that fails) fails the
pipe's batch, so the message comes back after the visibility timeout and is parked on the dead-letter queue after
maxReceiveCount receives, where it alarms and can be replayed (docs/decisions/0004-triage-pipe-synchronous.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import BoroughFunction, log_retention
from stacks.constructs.grants import grant_publish, grant_table
from stacks.constructs.nag import suppress

WORKFLOWS_DIR = Path(__file__).resolve().parents[1] / "workflows"
# What the pipe needs of the queue: receive a message, delete it once the execution has succeeded, and read the
# queue's attributes (Pipes checks the queue with GetQueueAttributes). The queue uses SSE-SQS: no key to grant.
PIPE_QUEUE_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
# One message per execution: Pipes hands a Step Functions target the whole batch as one JSON array, so a
# larger batch would be one execution for several reports (one failure failing them all). At a council's
# traffic batches would hold one message anyway.
PIPE_BATCH_SIZE = 1
# The event envelope, wrapped: Pipes parses a JSON body (implicit body parsing), but a template that is only
# `<$.body>` loses the body's quotes and is not JSON any more; inside an object it stays JSON. A body that is
# not JSON makes the input invalid, so the execution cannot start and the message ends on the dead-letter queue.
PIPE_INPUT_TEMPLATE = '{"envelope": <$.body>}'
# The pipe waits for the execution's result: a failed triage fails the batch and the message is not lost.
PIPE_INVOCATION_TYPE = "REQUEST_RESPONSE"


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

        self.pipe_logs = logs.LogGroup(
            self,
            "TriagePipeLogs",
            retention=log_retention(config.log_retention_days),
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY,
        )
        # Inline, so the permissions exist before the pipe does (a default policy could be created after it).
        pipe_role = iam.Role(
            self,
            "TriagePipeRole",
            assumed_by=iam.ServicePrincipal(
                "pipes.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
            ),
            description=f"Borough {config.name}: the triage pipe (triage queue to the triage state machine)",
            inline_policies={
                "TriagePipe": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(actions=list(PIPE_QUEUE_ACTIONS), resources=[triage_queue.queue_arn]),
                        iam.PolicyStatement(
                            actions=["states:StartSyncExecution"], resources=[self.triage.state_machine_arn]
                        ),
                        # Pipe logs (errors only) go to its own log group, as each function's do.
                        iam.PolicyStatement(
                            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                            resources=[self.pipe_logs.log_group_arn],
                        ),
                    ]
                )
            },
        )
        self.pipe = pipes.CfnPipe(
            self,
            "TriagePipe",
            description="Runs triage for each report-submitted event on the triage queue",
            role_arn=pipe_role.role_arn,
            source=triage_queue.queue_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                sqs_queue_parameters=pipes.CfnPipe.PipeSourceSqsQueueParametersProperty(batch_size=PIPE_BATCH_SIZE)
            ),
            target=self.triage.state_machine_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                input_template=PIPE_INPUT_TEMPLATE,
                step_function_state_machine_parameters=pipes.CfnPipe.PipeTargetStateMachineParametersProperty(
                    invocation_type=PIPE_INVOCATION_TYPE
                ),
            ),
            # Errors only and no execution data: a failed start is logged with its reason, nothing else is.
            log_configuration=pipes.CfnPipe.PipeLogConfigurationProperty(
                level="ERROR",
                cloudwatch_logs_log_destination=pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(
                    log_group_arn=self.pipe_logs.log_group_arn
                ),
            ),
        )
