"""The triage pipe: the triage queue to the triage state machine, waiting for each execution's result (a failed
triage goes back to the queue, then to its dead-letter queue), with a role that may do exactly that, errors logged
to its own log group, and an alarm on failed deliveries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.assembly import ROOT
from shared.events import EventType

pytestmark = pytest.mark.infra

RETENTION_DAYS = {"dev": 30, "prod": 365}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _triage_pipe(synth):
    (pipe,) = synth.resources("AWS::Pipes::Pipe")
    return pipe


def _triage_queue(synth):
    """The queue subscribed to report-submitted events (found by contract, not by logical id); fee requests are
    triaged again on payment-succeeded, on the same queue."""
    (subscription,) = [
        s
        for s in synth.resources("AWS::SNS::Subscription")
        if EventType.REPORT_SUBMITTED.value in s.props.get("FilterPolicy", {}).get("type", [])
        # the triage consumer's queue (the KPI counters' queue takes report-submitted too)
        and "/TriageQueue/" in synth.get(synth.refers_to(s.stack, s.props["Endpoint"])).body["Metadata"]["aws:cdk:path"]
    ]
    assert subscription.props["FilterPolicy"]["type"] == [
        EventType.REPORT_SUBMITTED.value,
        EventType.PAYMENT_SUCCEEDED.value,
    ]
    return synth.refers_to(subscription.stack, subscription.props["Endpoint"])


def test_the_pipe_reads_the_triage_queue_one_message_at_a_time(synth):
    pipe = _triage_pipe(synth)
    assert synth.refers_to(pipe.stack, pipe.props["Source"]) == _triage_queue(synth)
    assert pipe.props["SourceParameters"] == {"SqsQueueParameters": {"BatchSize": 1}}  # no filter either
    assert "Enrichment" not in pipe.props


def test_the_pipe_runs_the_triage_state_machine_synchronously_with_the_event_as_input(synth):
    pipe = _triage_pipe(synth)
    (machine,) = [m for m in synth.resources("AWS::StepFunctions::StateMachine") if m.stack == synth.stack("Workflows")]
    assert synth.refers_to(pipe.stack, pipe.props["Target"]) == machine.id
    target = pipe.props["TargetParameters"]
    # Not FIRE_AND_FORGET: then the message is deleted once the execution starts and a failed triage is lost.
    assert target["StepFunctionStateMachineParameters"] == {"InvocationType": "REQUEST_RESPONSE"}
    assert machine.props["StateMachineType"] == "EXPRESS"  # StartSyncExecution exists for Express workflows only
    # The body wrapped in an object: a template that is only `<$.body>` would not be JSON (Pipes documentation).
    assert target["InputTemplate"] == '{"envelope": <$.body>}'


def test_an_execution_ends_before_its_message_could_be_received_again(synth):
    # The pipe holds the message while it waits: an execution still running when the visibility timeout ends would
    # let the message out again and run triage twice at once.
    definition = json.loads((ROOT / "workflows" / "triage.asl.json").read_text())
    queue = synth.get(_triage_queue(synth))
    assert 0 < definition["TimeoutSeconds"] <= queue.props["VisibilityTimeout"] - 10


def test_transient_task_errors_are_retried_inside_the_execution(synth):
    definition = json.loads((ROOT / "workflows" / "triage.asl.json").read_text())
    tasks = {name: state for name, state in definition["States"].items() if state["Type"] == "Task"}
    assert tasks
    for name, state in tasks.items():
        retried = {error for retry in state.get("Retry", []) for error in retry["ErrorEquals"]}
        if state["Resource"] == "arn:aws:states:::lambda:invoke":
            transient = {
                "Lambda.ServiceException",
                "Lambda.AWSLambdaException",
                "Lambda.SdkClientException",
                "Lambda.TooManyRequestsException",
                "Lambda.ClientExecutionTimeoutException",
                "Lambda.Unknown",
            }
            assert transient <= retried or "States.ALL" in retried, name
        else:
            assert "States.ALL" in retried, name


def test_a_failed_triage_is_parked_where_it_alarms(synth):
    queue = synth.get(_triage_queue(synth))
    dead_letters = synth.refers_to(queue.stack, queue.props["RedrivePolicy"]["deadLetterTargetArn"])
    alarmed = {
        synth.refers_to(a.stack, d["Value"])
        for a in synth.resources("AWS::CloudWatch::Alarm")
        if a.props["MetricName"] == "ApproximateNumberOfMessagesVisible"
        for d in a.props["Dimensions"]
        if d["Name"] == "QueueName"
    }
    assert dead_letters in alarmed


def test_the_state_machine_takes_the_event_out_of_the_pipes_batch(synth):
    definition = json.loads((ROOT / "workflows" / "triage.asl.json").read_text())
    first = definition["States"][definition["StartAt"]]
    assert (first["Type"], first["InputPath"], first["OutputPath"]) == ("Pass", "$[0]", "$.envelope")
    assert first["Next"] == "AssignTeamAndDueDate"


def test_the_triage_queue_keeps_its_dead_letter_queue_and_no_function_consumes_it(synth):
    queue = synth.get(_triage_queue(synth))
    assert queue.props["RedrivePolicy"]["maxReceiveCount"] >= 2  # the pipe retries through the queue
    sources = [
        synth.refers_to(stack, m["Properties"]["EventSourceArn"])
        for stack, template in synth.templates.items()
        for m in template["Resources"].values()
        if m["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    assert queue.id not in sources


def test_the_pipe_role_may_do_exactly_what_the_pipe_does(synth):
    pipe = _triage_pipe(synth)
    role = synth.get(synth.refers_to(pipe.stack, pipe.props["RoleArn"]))
    (trust,) = role.props["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "pipes.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert not role.props.get("ManagedPolicyArns")
    grants = {
        (action, synth.refers_to(role.stack, resource))
        for policy in role.props["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"])
        for resource in _as_list(statement["Resource"])
    }
    queue = synth.refers_to(pipe.stack, pipe.props["Source"])
    machine = synth.refers_to(pipe.stack, pipe.props["Target"])
    logging = pipe.props["LogConfiguration"]["CloudwatchLogsLogDestination"]
    log_group = synth.refers_to(pipe.stack, logging["LogGroupArn"])
    assert grants == {
        ("sqs:ReceiveMessage", queue),
        ("sqs:DeleteMessage", queue),
        ("sqs:GetQueueAttributes", queue),
        ("states:StartSyncExecution", machine),
        ("logs:CreateLogStream", log_group),  # its own log group only, as each function's role
        ("logs:PutLogEvents", log_group),
    }
    # Nothing else is attached to the role.
    for policy in synth.resources("AWS::IAM::Policy"):
        assert role.id not in {synth.refers_to(policy.stack, r) for r in policy.props.get("Roles", [])}


def test_the_pipe_logs_errors_only_without_execution_data_to_a_retained_encrypted_log_group(synth):
    logging = _triage_pipe(synth).props["LogConfiguration"]
    assert logging["Level"] == "ERROR"
    assert "IncludeExecutionData" not in logging
    pipe = _triage_pipe(synth)
    group = synth.get(synth.refers_to(pipe.stack, logging["CloudwatchLogsLogDestination"]["LogGroupArn"]))
    assert group.body["Type"] == "AWS::Logs::LogGroup"
    assert group.props["RetentionInDays"] == RETENTION_DAYS[synth.environment]
    assert group.props.get("KmsKeyId")


def test_the_pipe_alarms_on_failed_deliveries(synth):
    alarms = [
        a
        for a in synth.resources("AWS::CloudWatch::Alarm")
        if a.props["Namespace"] == "AWS/EventBridge/Pipes" and a.props["MetricName"] == "ExecutionFailed"
    ]
    watched = {
        synth.refers_to(a.stack, d["Value"]) for a in alarms for d in a.props["Dimensions"] if d["Name"] == "PipeName"
    }
    assert watched == {p.id for p in synth.resources("AWS::Pipes::Pipe")}
    assert all(a.props["Threshold"] == 1 and a.props["Statistic"] == "Sum" for a in alarms)


def test_there_is_no_triage_starter_function(synth):
    handlers = {f.props["Handler"] for f in synth.resources("AWS::Lambda::Function")}
    assert "cases.triage.start" not in handlers
