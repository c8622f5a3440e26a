"""EventBridge Pipes from SQS to Step Functions as the local cloud runs them: the triage pipe, input templates,
batches, failed starts ending on the dead-letter queue, and pipe shapes that are listed as not served."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from local.pipes import SqsPipe, render, target_input, unsupported
from local.provision import provision
from local.templates import Stack
from stacks.constructs.queues import MAX_RECEIVES
from stacks.workflows_stack import PIPE_INPUT_TEMPLATE

pytestmark = pytest.mark.local

ACCOUNT = "123456789012"
QUEUE_ARN = f"arn:aws:sqs:eu-west-2:{ACCOUNT}:q"
MACHINE_ARN = f"arn:aws:states:eu-west-2:{ACCOUNT}:stateMachine:m"
SERVED_PIPE = {
    "Source": QUEUE_ARN,
    "SourceParameters": {"SqsQueueParameters": {"BatchSize": 1}},
    "Target": MACHINE_ARN,
    "TargetParameters": {
        "InputTemplate": PIPE_INPUT_TEMPLATE,
        "StepFunctionStateMachineParameters": {"InvocationType": "REQUEST_RESPONSE"},
    },
    "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/pipe",
}
REPORT = {
    "description": "Fridge on the verge",
    "location": {"postcode": "ME15 6JQ"},
    "contact": {"email": "resident@example.org"},
}
MAX_TEST_RECEIVES = 2


def _pipe(template: str | None = PIPE_INPUT_TEMPLATE) -> SqsPipe:
    return SqsPipe("p", f"arn:aws:pipes:eu-west-2:{ACCOUNT}:pipe/p", QUEUE_ARN, "url", 1, MACHINE_ARN, template)


def _record(body: str) -> dict[str, Any]:
    return {"messageId": "m-1", "body": body, "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}


# -- what the target receives -----------------------------------------------------------------------------------
def test_the_triage_template_hands_the_target_the_event_in_a_batch_of_one():
    envelope = {"type": "report-submitted", "id": "e-1", "data": {"reference": "ABCD-EFGH"}}
    assert json.loads(target_input(_pipe(), [_record(json.dumps(envelope))])) == [{"envelope": envelope}]


def test_a_body_that_is_not_json_makes_the_input_invalid():
    with pytest.raises(json.JSONDecodeError):
        json.loads(target_input(_pipe(), [_record("not an event")]))


def test_a_template_that_is_only_the_body_loses_its_quotes_as_the_pipes_documentation_warns():
    rendered = render("<$.body>", _record('{"key": "value"}'), _pipe("<$.body>"))
    assert rendered == "{key: value}"
    with pytest.raises(json.JSONDecodeError):
        json.loads(rendered)


def test_templates_reach_into_a_json_body_and_know_the_reserved_variables():
    template = '{"id": "<$.body.id>", "n": <$.body.items[1]>, "pipe": "<aws.pipes.pipe-name>", "gone": "<$.no>"}'
    rendered = render(template, _record('{"id": "x\\"y", "items": [1, 2]}'), _pipe(template))
    assert json.loads(rendered) == {"id": 'x"y', "n": 2, "pipe": "p", "gone": ""}


def test_without_a_template_the_target_gets_the_sqs_records_with_their_bodies_as_text():
    records = [_record('{"a": 1}'), _record("plain")]
    assert json.loads(target_input(_pipe(None), records)) == records


# -- shapes the local cloud serves, and those it lists as not served -----------------------------------------------
def test_the_triage_pipe_shape_is_served():
    assert unsupported(SERVED_PIPE) == []


@pytest.mark.parametrize("parameters", [{"InvocationType": "FIRE_AND_FORGET"}, {}])  # {}: REQUEST_RESPONSE
def test_both_invocation_types_are_served(parameters):
    target = {**SERVED_PIPE["TargetParameters"], "StepFunctionStateMachineParameters": parameters}
    assert unsupported({**SERVED_PIPE, "TargetParameters": target}) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Enrichment": "arn:aws:lambda:eu-west-2:123456789012:function:f"}, "enrichment"),
        ({"SourceParameters": {"FilterCriteria": {"Filters": [{"Pattern": "{}"}]}}}, "filters"),
        ({"Source": "arn:aws:kinesis:eu-west-2:123456789012:stream/s"}, "not an SQS queue"),
        ({"Target": "arn:aws:lambda:eu-west-2:123456789012:function:f"}, "not a Step Functions state machine"),
        ({"TargetParameters": {"StepFunctionStateMachineParameters": {"InvocationType": "LATER"}}}, "'LATER'"),
    ],
)
def test_other_pipe_shapes_are_not_served_and_say_why(change, reason):
    problems = unsupported({**SERVED_PIPE, **change})
    assert problems
    assert reason in "; ".join(problems)


def test_a_declared_pipe_the_local_cloud_cannot_run_is_reported_not_served(local_cloud, tmp_path):
    class NoMoto:  # a not-served pipe must not reach moto at all
        def client(self, service: str) -> Any:
            raise AssertionError(f"{service} called for a pipe that is not served")

    template = {
        "Resources": {"Enriched": {"Type": "AWS::Pipes::Pipe", "Properties": {**SERVED_PIPE, "Enrichment": "x"}}}
    }
    inventory = provision(
        [Stack("Test-Pipes", template)],
        NoMoto(),  # type: ignore[arg-type]
        local_cloud.runtime,
        api_endpoint=local_cloud.url,
        inline_code_dir=tmp_path,
    )
    [pipe] = inventory.resources
    assert not pipe.served
    assert pipe.physical_id  # references to it still resolve
    reason = inventory.not_served()["AWS::Pipes::Pipe"]
    assert "Test-Pipes/Enriched" in reason
    assert "enrichment" in reason


# -- the triage pipe in the local cloud ------------------------------------------------------------------------------
def test_the_triage_pipe_reads_the_triage_queue_and_starts_the_triage_state_machine(local_cloud):
    name = local_cloud.physical_id("Borough-dev-Workflows/TriagePipe")
    pipe = local_cloud.client("pipes").describe_pipe(Name=name)
    assert pipe["Source"] == local_cloud.resource("Borough-dev-Events/TriageQueue").provisioned.attributes["Arn"]
    assert pipe["Target"] == local_cloud.physical_id("Borough-dev-Workflows/Triage")
    assert pipe["TargetParameters"]["StepFunctionStateMachineParameters"]["InvocationType"] == "REQUEST_RESPONSE"
    assert name in {p.name for p in local_cloud.poller.served_pipes()}
    assert "AWS::Pipes::Pipe" not in local_cloud.not_served()


def test_a_report_starts_one_triage_execution_with_the_event_as_its_input(local_cloud):
    local_cloud.wait_for_idle(timeout_s=30)
    machine = local_cloud.physical_id("Borough-dev-Workflows/Triage")
    sfn = local_cloud.client("stepfunctions")
    before = {e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
    handed = local_cloud.poller.pipe_messages
    submitted = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body=REPORT)
    assert submitted.status == 201, submitted.body
    local_cloud.wait_for_idle(timeout_s=30)

    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    [execution] = [e for e in executions if e["executionArn"] not in before]
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert described["status"] == "SUCCEEDED"
    [item] = json.loads(described["input"])
    assert item["envelope"]["type"] == "report-submitted"
    assert item["envelope"]["data"]["reference"] == submitted.json()["reference"]
    assert item["envelope"]["correlation_id"]
    assert not execution["executionArn"].endswith(item["envelope"]["id"])  # random name: the id is in the logs
    assert local_cloud.poller.pipe_messages == handed + 1


def test_a_message_the_triage_state_machine_cannot_start_ends_on_the_dead_letter_queue(local_cloud, monkeypatch):
    monkeypatch.setattr(local_cloud.poller, "retry_delay_s", 0)  # redeliver at once rather than after 60 s
    sqs = local_cloud.client("sqs")
    queue = local_cloud.physical_id("Borough-dev-Events/TriageQueue")
    dead_letters = local_cloud.physical_id("Borough-dev-Events/TriageDeadLetters")
    local_cloud.wait_for_idle(timeout_s=30)
    handed = local_cloud.poller.pipe_messages
    sqs.send_message(QueueUrl=queue, MessageBody="not an event")
    local_cloud.wait_for_idle(timeout_s=30)

    assert _drain(local_cloud, dead_letters) == ["not an event"]
    assert _drain(local_cloud, queue) == []
    assert local_cloud.poller.pipe_messages == handed + MAX_RECEIVES  # tried once per receive, then parked


def test_a_triage_that_fails_is_retried_then_parked_on_the_dead_letter_queue(local_cloud, monkeypatch, capfd):
    # A report-submitted event for a request that does not exist: the execution starts, the assign task fails and
    # the execution fails. The pipe waits for the execution (REQUEST_RESPONSE), so the message is not lost: it is
    # retried once per receive and then parked where it alarms and can be replayed.
    monkeypatch.setattr(local_cloud.poller, "retry_delay_s", 0)
    sqs = local_cloud.client("sqs")
    queue = local_cloud.physical_id("Borough-dev-Events/TriageQueue")
    dead_letters = local_cloud.physical_id("Borough-dev-Events/TriageDeadLetters")
    machine = local_cloud.physical_id("Borough-dev-Workflows/Triage")
    sfn = local_cloud.client("stepfunctions")
    local_cloud.wait_for_idle(timeout_s=30)
    before = {e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
    envelope = {
        "type": "report-submitted",
        "id": str(uuid.uuid4()),
        "time": "2026-01-05T10:00:00Z",
        "source": "catalogue",
        "correlation_id": "c-1",
        "data": {"reference": "NONE-SUCH", "service_id": "fly-tipping"},
    }
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(envelope))
    local_cloud.wait_for_idle(timeout_s=60)

    executions = [
        e for e in sfn.list_executions(stateMachineArn=machine)["executions"] if e["executionArn"] not in before
    ]
    assert len(executions) == MAX_RECEIVES  # one execution per receive
    assert {sfn.describe_execution(executionArn=e["executionArn"])["status"] for e in executions} == {"FAILED"}
    assert [json.loads(body)["id"] for body in _drain(local_cloud, dead_letters)] == [envelope["id"]]
    # The pipe's log says why, down to the caught task error behind the state machine's own TriageFailed.
    logged = capfd.readouterr().err
    for execution in executions:
        line = next(line for line in logged.splitlines() if execution["executionArn"] in line)
        assert "target failed, 1 message(s) to retry" in line
        assert "FAILED (TriageFailed: The report could not be assigned" in line
        assert "TaskFailed NotFound:" in line
        assert "NONE-SUCH" in line
    assert _drain(local_cloud, queue) == []


# -- pipes created through the API --------------------------------------------------------------------------------
def test_a_batch_is_one_execution_and_a_failed_start_is_retried_then_dead_lettered(local_cloud, monkeypatch):
    monkeypatch.setattr(local_cloud.poller, "retry_delay_s", 0)
    queue_url, queue_arn, dlq_url = _queues(local_cloud)
    machine = _state_machine(local_cloud)
    _send(local_cloud, queue_url, '{"n": 1}', '{"n": 2}')  # queued before the pipe: one batch of two
    name = _create_pipe(local_cloud, queue_arn, machine, batch_size=10)
    try:
        local_cloud.wait_for_idle(timeout_s=20)
        _send(local_cloud, queue_url, "not JSON")
        local_cloud.wait_for_idle(timeout_s=20)
    finally:
        local_cloud.client("pipes").delete_pipe(Name=name)

    inputs = _execution_inputs(local_cloud, machine)
    assert inputs == [[{"envelope": {"n": 1}}, {"envelope": {"n": 2}}]]
    assert _drain(local_cloud, dlq_url) == ["not JSON"]
    assert _drain(local_cloud, queue_url) == []


@pytest.mark.parametrize(("invocation_type", "parked"), [("REQUEST_RESPONSE", ['{"n": 1}']), ("FIRE_AND_FORGET", [])])
def test_a_failed_execution_fails_the_batch_only_when_the_pipe_waits_for_it(
    local_cloud, monkeypatch, invocation_type, parked
):
    monkeypatch.setattr(local_cloud.poller, "retry_delay_s", 0)
    queue_url, queue_arn, dlq_url = _queues(local_cloud)
    machine = _state_machine(local_cloud, fails=True)
    name = _create_pipe(local_cloud, queue_arn, machine, batch_size=1, invocation_type=invocation_type)
    try:
        _send(local_cloud, queue_url, '{"n": 1}')
        local_cloud.wait_for_idle(timeout_s=20)
    finally:
        local_cloud.client("pipes").delete_pipe(Name=name)

    # Waited for, a failed execution is retried once per receive and parked; fired and forgotten, it is lost.
    assert len(_execution_inputs(local_cloud, machine)) == (MAX_TEST_RECEIVES if parked else 1)
    assert _drain(local_cloud, dlq_url) == parked
    assert _drain(local_cloud, queue_url) == []


def test_a_pipe_the_local_cloud_cannot_run_leaves_its_queue_alone_and_says_why(local_cloud):
    queue_url, queue_arn, _ = _queues(local_cloud)
    _send(local_cloud, queue_url, '{"n": 1}')
    function = f"arn:aws:lambda:eu-west-2:{ACCOUNT}:function:nothing"
    name = _create_pipe(local_cloud, queue_arn, function, batch_size=1)
    try:
        local_cloud.wait_for_idle(timeout_s=20)
        assert name not in {p.name for p in local_cloud.poller.served_pipes()}
        assert "not a Step Functions state machine" in "; ".join(local_cloud.poller.unsupported_pipes[name])
    finally:
        local_cloud.client("pipes").delete_pipe(Name=name)
    assert _drain(local_cloud, queue_url) == ['{"n": 1}']


# -- helpers --------------------------------------------------------------------------------------------------------
def _queues(cloud: Any) -> tuple[str, str, str]:
    sqs = cloud.client("sqs")
    suffix = uuid.uuid4().hex[:8]
    dlq_url = sqs.create_queue(QueueName=f"test-pipe-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_TEST_RECEIVES})
    queue_url = sqs.create_queue(
        QueueName=f"test-pipe-source-{suffix}", Attributes={"RedrivePolicy": redrive, "VisibilityTimeout": "30"}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return queue_url, queue_arn, dlq_url


def _state_machine(cloud: Any, *, fails: bool = False) -> str:
    done = {"Type": "Fail", "Error": "Broken"} if fails else {"Type": "Pass", "End": True}
    definition = json.dumps({"StartAt": "Done", "States": {"Done": done}})
    arn: str = cloud.client("stepfunctions").create_state_machine(
        name=f"test-pipe-target-{uuid.uuid4().hex[:8]}",
        definition=definition,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/test",
        type="EXPRESS",
    )["stateMachineArn"]
    return arn


def _create_pipe(
    cloud: Any, queue_arn: str, target: str, *, batch_size: int, invocation_type: str = "FIRE_AND_FORGET"
) -> str:
    name = f"test-pipe-{uuid.uuid4().hex[:8]}"
    cloud.client("pipes").create_pipe(
        Name=name,
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/test",
        Source=queue_arn,
        SourceParameters={"SqsQueueParameters": {"BatchSize": batch_size}},
        Target=target,
        TargetParameters={
            "InputTemplate": PIPE_INPUT_TEMPLATE,
            "StepFunctionStateMachineParameters": {"InvocationType": invocation_type},
        },
    )
    return name


def _execution_inputs(cloud: Any, machine: str) -> list[Any]:
    sfn = cloud.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=machine)["executions"]
    return [json.loads(sfn.describe_execution(executionArn=e["executionArn"])["input"]) for e in executions]


def _send(cloud: Any, url: str, *bodies: str) -> None:
    cloud.client("sqs").send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
    )


def _drain(cloud: Any, url: str) -> list[str]:
    bodies = []
    while messages := cloud.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies.extend(m["Body"] for m in messages)
        for m in messages:
            cloud.client("sqs").delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies
