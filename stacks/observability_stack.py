"""Observability: alarms on what needs a person (dead letters, function errors, failed journeys, failed pipe
deliveries, API 5xx), an encrypted alarm topic (optionally emailed) and a small dashboard.

It only reads other stacks' resources (names and ids as metric dimensions), so references run one way: every
other stack is deployed first and none of them refers to this one. The alarm topic's key lives here for the same
reason: its key policy names CloudWatch, not any other stack's resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_pipes as pipes_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.config import EnvironmentConfig

PERIOD = Duration.minutes(5)  # alarm evaluation period
# Custom metrics that need a person: (alarm id, service (Powertools' `service` dimension), metric, why it matters).
SERVICE_METRIC_ALARMS = (
    (
        "PaymentMismatches",
        "payments",
        "PaymentMismatches",
        "Last night's comparison of the council's payment attempts with GOV.UK Pay's records found differences (a "
        "payment at one end only, or a state or amount that differs). The PaymentsComparison function's WARNING "
        'log lines ("Payment mismatch") name each reference, payment id and both sides: look each up in GOV.UK '
        "Pay's admin tool before acting.",
    ),
    (
        "NotifyAuthFailures",
        "notifications",
        "NotifyAuthFailures",
        "GOV.UK Notify refused our API key (403) and its secret holds no other: a wrong, revoked or expired key, "
        "or a clock out of step. Every message is held until the notify-api-key secret is fixed (it is read again "
        "on the next 403); held messages go by themselves after that, or with notifications.replay.",
    ),
    (
        "NotificationsHeld",
        "notifications",
        "NotificationsHeld",
        "A message was refused because of our own configuration (the Notify key, a missing or wrong template id in "
        "notify_template_ids, a Notify template whose placeholders differ): it is held, not lost. Fix the "
        "configuration; held messages are retried every 15 minutes, then replayed from the dead-letter queue.",
    ),
    (
        "NotificationsUncertain",
        "notifications",
        "NotificationsUncertain",
        "A message's sending was interrupted and the provider cannot say whether it went (SES): it was not "
        "resent. Check the message (status uncertain) and tell the resident another way if needed.",
    ),
    (
        "AddressLookupKeyRefused",
        "web",
        "AddressLookupKeyRefused",
        "OS Places refused the address lookup key (401/403): residents can still type addresses, but no lookup "
        "works (and no UPRN is recorded) until the os-places-api-key secret is fixed.",
    ),
    (
        "RefundsFailed",
        "payments",
        "RefundsFailed",
        "GOV.UK Pay ended a staff refund in error (Pay sends no webhook for this: the reconciler found it). Nobody "
        "was paid back and the amount is available to refund again. The case's payments panel shows the refund as "
        "failed: refund again, or contact GOV.UK Pay support if it fails again, and tell the resident.",
    ),
    (
        "CollectionClashesAhead",
        "notifications",
        "CollectionClashesAhead",
        "Within 60 days the bank holiday rule would put some bin collections (and their reminders) on a bank "
        "holiday or a Sunday (Christmas, New Year). The DailyReminders function's WARNING log names the dates and "
        "sectors: add the council's published dates to changes in functions/notifications/data/collection_rounds.yaml "
        "and deploy. It fires each evening until then.",
    ),
)
DLQ_PERIOD = Duration.minutes(1)  # a parked message is worth knowing about within a minute


class ObservabilityStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queues: Mapping[str, sqs.IQueue],
        state_machines: Mapping[str, sfn.IStateMachine],
        http_api: apigw.HttpApi,
        pipes: Mapping[str, pipes_.CfnPipe] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        key = kms.Key(
            self,
            "AlarmKey",
            description=f"Borough {config.name}: encrypts the alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY,
        )
        # CloudWatch publishes alarm notifications to the encrypted topic: it must be able to use the key.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # a key policy's resource is always the key itself
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        self.topic = sns.Topic(
            self,
            "Alarms",
            display_name=f"Borough {config.name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self._action = cw_actions.SnsAction(self.topic)
        self._prefix = config.prefix
        self.alarms: list[cloudwatch.Alarm] = []

        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{name.title()}DeadLetters",
                queue.metric_approximate_number_of_messages_visible(period=DLQ_PERIOD, statistic="Maximum"),
                f"A message was parked on the {name} dead-letter queue: look at it, fix the cause, redrive it.",
            )
        for name, function in functions.items():
            self._alarm(
                f"{name}Errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                f"The {name} function failed (uncaught error or timeout).",
            )
        for name, machine in state_machines.items():
            self._alarm(
                f"{name}ExecutionsFailed",
                machine.metric_failed(period=PERIOD, statistic="Sum"),
                f"A {name} execution failed: its history names the step and the error (triage: the request stays "
                "unassigned; the permit journey: the application keeps its status) until someone acts.",
            )
        for name, pipe in (pipes or {}).items():
            self._alarm(
                f"{name}PipeExecutionsFailed",
                pipe_metric(pipe, "ExecutionFailed"),
                f"The {name} pipe could not deliver a message to its target (the reason is in the pipe's log "
                "group); the message is retried and, after its queue's maxReceiveCount, parked on the dead-letter "
                "queue.",
            )
        for construct_id, service, metric_name, description in SERVICE_METRIC_ALARMS:
            self._alarm(
                construct_id,
                cloudwatch.Metric(
                    namespace="Borough",
                    metric_name=metric_name,
                    dimensions_map={"service": service},
                    period=PERIOD,
                    statistic="Sum",
                ),
                description,
            )
        api_5xx = http_api.metric_server_error(period=PERIOD, statistic="Sum")
        self._alarm("Api5xx", api_5xx, "The HTTP API answered with a 5xx status.")

        dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{config.prefix}-Overview", default_interval=Duration.hours(3)
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[http_api.metric_count(period=PERIOD, statistic="Sum"), api_5xx],
                right=[http_api.metric_client_error(period=PERIOD, statistic="Sum")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API latency (p95)",
                left=[http_api.metric_latency(period=PERIOD, statistic="p95")],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[f.metric_errors(period=PERIOD, statistic="Sum", label=n) for n, f in functions.items()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function duration (p95)",
                left=[f.metric_duration(period=PERIOD, statistic="p95", label=n) for n, f in functions.items()],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Dead-letter queues (messages visible)",
                left=[
                    q.metric_approximate_number_of_messages_visible(period=DLQ_PERIOD, statistic="Maximum", label=n)
                    for n, q in dead_letter_queues.items()
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Workflow executions",
                left=[
                    m.metric_started(period=PERIOD, statistic="Sum", label=f"{n} started")
                    for n, m in state_machines.items()
                ],
                right=[
                    m.metric_failed(period=PERIOD, statistic="Sum", label=f"{n} failed")
                    for n, m in state_machines.items()
                ],
                width=12,
            ),
        )
        CfnOutput(self, "AlarmTopicArn", value=self.topic.topic_arn)

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=f"{self._prefix}-{construct_id}",
            alarm_description=description,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)


def pipe_metric(pipe: pipes_.CfnPipe, metric_name: str) -> cloudwatch.Metric:
    """An EventBridge Pipes metric of `pipe` (its `Ref` is its name), summed per alarm period."""
    return cloudwatch.Metric(
        namespace="AWS/EventBridge/Pipes",
        metric_name=metric_name,
        dimensions_map={"PipeName": pipe.ref},
        period=PERIOD,
        statistic="Sum",
    )
