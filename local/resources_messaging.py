"""Provisioners for messaging and workflows: SNS topics and subscriptions, SQS queues, Step Functions state
machines, EventBridge Pipes (run by the SQS poller, `local.pipes`).
"""

from __future__ import annotations

import json
from typing import Any

from local import pipes
from local.intrinsics import Provisioned
from local.model import Context, NotServed, Provisioner, api_call


# -- SNS ------------------------------------------------------------------------------------------------------------
def sns_topic(context: Context, props: dict[str, Any]) -> Provisioned:
    sns = context.client("sns")
    fifo = str(props.get("FifoTopic", "")).lower() == "true"
    name = props.get("TopicName") or context.name(256, ".fifo" if fifo else "")
    attributes = {
        key: str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
        for key in ("DisplayName", "KmsMasterKeyId", "FifoTopic", "ContentBasedDeduplication", "SignatureVersion")
        if key in props
    }
    arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    for subscription in props.get("Subscription", []):
        sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"], Endpoint=subscription["Endpoint"])
    return Provisioned(arn, {"TopicArn": arn, "TopicName": name})


def sns_topic_policy(context: Context, props: dict[str, Any]) -> Provisioned:
    for topic in props.get("Topics", []):
        context.client("sns").set_topic_attributes(
            TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(props["PolicyDocument"])
        )
    return Provisioned(context.name(256), {})


def sns_subscription(context: Context, props: dict[str, Any]) -> Provisioned:
    attributes: dict[str, str] = {}
    for key in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
        if key in props:
            attributes[key] = props[key] if isinstance(props[key], str) else json.dumps(props[key])
    if "FilterPolicyScope" in props:
        attributes["FilterPolicyScope"] = props["FilterPolicyScope"]
    if str(props.get("RawMessageDelivery", "")).lower() == "true":
        attributes["RawMessageDelivery"] = "true"  # moto treats any value, even "false", as raw delivery
    arn = context.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props["Endpoint"],
        Attributes=attributes,
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    return Provisioned(arn, {"Arn": arn})


# -- SQS ------------------------------------------------------------------------------------------------------------
_QUEUE_ATTRIBUTES = (
    "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "FifoQueue",
    "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit", "RedrivePolicy", "RedriveAllowPolicy",
)  # fmt: skip


def sqs_queue(context: Context, props: dict[str, Any]) -> Provisioned:
    fifo = str(props.get("FifoQueue", "")).lower() == "true"
    name = props.get("QueueName") or context.name(80, ".fifo" if fifo else "")
    attributes = {}
    for key in _QUEUE_ATTRIBUTES:
        if key in props:
            value = props[key]
            attributes[key] = (
                json.dumps(value)
                if isinstance(value, dict)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
    url = context.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = context.arn("sqs", name)
    return Provisioned(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def sqs_queue_policy(context: Context, props: dict[str, Any]) -> Provisioned:
    for url in props.get("Queues", []):
        context.client("sqs").set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
        )
    return Provisioned(context.name(256), {})


# -- Step Functions -------------------------------------------------------------------------------------------------
def state_machine(context: Context, props: dict[str, Any]) -> Provisioned:
    definition = _definition(context, props)
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    name = props.get("StateMachineName") or context.name(80)
    params: dict[str, Any] = {
        "name": name,
        "definition": definition,
        "roleArn": props["RoleArn"],
        "type": props.get("StateMachineType", "STANDARD"),
    }
    if "TracingConfiguration" in props:
        params["tracingConfiguration"] = {"enabled": bool(props["TracingConfiguration"].get("Enabled"))}
    arn = context.client("stepfunctions").create_state_machine(**params)["stateMachineArn"]
    return Provisioned(arn, {"Arn": arn, "Name": name})


def _definition(context: Context, props: dict[str, Any]) -> str:
    if "DefinitionString" in props:
        return str(props["DefinitionString"])
    if "Definition" in props:
        return json.dumps(props["Definition"])
    location = props.get("DefinitionS3Location", {})
    source = context.stack.assets.get(location.get("Key", ""))
    if source is None or not source.is_file():
        raise ValueError(f"state machine definition asset {location.get('Key')!r} not found in the assembly")
    return source.read_text()


# -- EventBridge Pipes ----------------------------------------------------------------------------------------------
def pipe(context: Context, props: dict[str, Any]) -> Provisioned:
    """Recorded in moto; the SQS poller runs it (local/pipes.py). Any other shape is listed as not served."""
    problems = pipes.unsupported(props)
    if problems:
        raise NotServed(f"only pipes with {pipes.SERVED} run locally: " + "; ".join(problems))
    name = props.get("Name") or context.name(64)
    created = api_call(context.client("pipes"), "CreatePipe", {**props, "Name": name})
    return Provisioned(name, {"Arn": created["Arn"], "CurrentState": created.get("CurrentState", "RUNNING")})


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::SNS::Topic": sns_topic,
    "AWS::SNS::TopicPolicy": sns_topic_policy,
    "AWS::SNS::Subscription": sns_subscription,
    "AWS::SQS::Queue": sqs_queue,
    "AWS::SQS::QueuePolicy": sqs_queue_policy,
    "AWS::StepFunctions::StateMachine": state_machine,
    "AWS::Pipes::Pipe": pipe,
}
