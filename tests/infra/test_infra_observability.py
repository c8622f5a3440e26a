"""Observability: alarms on every dead-letter queue, function, state machine and the API, to an encrypted topic."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template

from stacks.config import EnvironmentConfig
from stacks.observability_stack import SERVICE_METRIC_ALARMS, ObservabilityStack

pytestmark = pytest.mark.infra


def _alarms(synth, metric):
    return [a for a in synth.resources("AWS::CloudWatch::Alarm") if a.props["MetricName"] == metric]


def _watched(synth, alarms, dimension):
    """The resources the alarms' `dimension` values point at."""
    return {
        synth.refers_to(a.stack, d["Value"]) for a in alarms for d in a.props["Dimensions"] if d["Name"] == dimension
    }


def _fires_on_one(alarm):
    props = alarm.props
    return props["Threshold"] == 1 and props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"


def test_every_dead_letter_queue_alarms_on_its_first_message(synth):
    dead_letters = synth.dead_letter_queues()  # the outbox's on-failure queue too
    alarms = _alarms(synth, "ApproximateNumberOfMessagesVisible")
    assert all(_fires_on_one(a) and a.props["Statistic"] == "Maximum" for a in alarms)
    assert _watched(synth, alarms, "QueueName") == dead_letters


def test_every_function_alarms_on_errors(synth):
    alarms = _alarms(synth, "Errors")
    assert all(_fires_on_one(a) and a.props["Namespace"] == "AWS/Lambda" for a in alarms)
    assert _watched(synth, alarms, "FunctionName") == {f.id for f in synth.resources("AWS::Lambda::Function")}


def test_every_state_machine_alarms_on_failed_executions(synth):
    alarms = _alarms(synth, "ExecutionsFailed")
    assert all(_fires_on_one(a) for a in alarms)
    machines = {m.id for m in synth.resources("AWS::StepFunctions::StateMachine")}
    assert _watched(synth, alarms, "StateMachineArn") == machines


def test_the_http_api_alarms_on_5xx(synth):
    alarms = _alarms(synth, "5xx")
    assert all(_fires_on_one(a) and a.props["Namespace"] == "AWS/ApiGateway" for a in alarms)
    assert _watched(synth, alarms, "ApiId") == {a.id for a in synth.resources("AWS::ApiGatewayV2::Api")}


def test_every_alarm_notifies_the_encrypted_alarm_topic(synth):
    topics = set()
    for alarm in synth.resources("AWS::CloudWatch::Alarm"):
        (action,) = alarm.props["AlarmActions"]
        topics.add(synth.refers_to(alarm.stack, action))
        assert alarm.props.get("OKActions") == alarm.props["AlarmActions"], alarm.id
        assert alarm.props["TreatMissingData"] == "notBreaching", alarm.id
    (topic,) = topics
    key = synth.refers_to(topic.stack, synth.get(topic).props["KmsMasterKeyId"])
    policy = synth.get(key).props["KeyPolicy"]["Statement"]
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in policy)


def test_there_is_a_dashboard(synth):
    synth.template("Observability").has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardName": f"Borough-{synth.environment}-Overview"}
    )


@pytest.mark.slow  # the first synth in a process warms up jsii: ~5 s
def test_alarm_email_from_config_subscribes_to_the_alarm_topic():
    """Built in isolation with imported resources: the email comes from config, not a constant."""
    app = cdk.App()
    config = EnvironmentConfig(
        name="test",
        council_name="Test Borough Council",
        council_short_name="Test",
        log_retention_days=7,
        request_retention_days=30,
        deletion_protection=False,
        api_throttle_rate=1,
        api_throttle_burst=1,
        alarm_email="ops@example.gov.uk",
    )
    api_stack = cdk.Stack(app, "Api")
    stack = ObservabilityStack(
        app,
        "Observability",
        config=config,
        functions={"F": lambda_.Function.from_function_name(api_stack, "F", "f")},
        dead_letter_queues={"q": sqs.Queue.from_queue_arn(api_stack, "Q", "arn:aws:sqs:eu-west-2:123456789012:q")},
        state_machines={
            "S": sfn.StateMachine.from_state_machine_arn(
                api_stack, "S", "arn:aws:states:eu-west-2:123456789012:stateMachine:s"
            )
        },
        http_api=apigw.HttpApi(api_stack, "Http"),
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.gov.uk", "TopicArn": Match.any_value()}
    )
    # DLQ, function, state machine, 5xx, and one for each custom metric that needs a person
    template.resource_count_is("AWS::CloudWatch::Alarm", 4 + len(SERVICE_METRIC_ALARMS))
