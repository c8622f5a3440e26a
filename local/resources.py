"""One provisioner per CloudFormation resource type the local cloud serves: resolved properties -> moto API calls.

Each returns what `Ref` and `Fn::GetAtt` give for the resource. `NOT_SERVED` names the types the local cloud
knows and deliberately does not run, with the reason printed at start-up.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore import xform_name

from local import pipes, standins
from local import resources_waf as waf
from local import resources_web as web
from local.intrinsics import Provisioned
from local.provision import Context, NotServed

Provisioner = Callable[[Context, dict[str, Any]], Provisioned]

NOT_SERVED: dict[str, str] = {
    "AWS::Logs::LogGroup": "function logs print to this terminal instead",
    "AWS::CloudFront::Function": "viewer functions are JavaScript and do not run locally",
    "AWS::CloudFront::KeyValueStore": "the map tiles' API key, for a viewer function; the tile stand-in needs none",
    "AWS::CloudWatch::Alarm": "no metrics are collected locally, so alarms never fire",
    "AWS::CloudWatch::Dashboard": "no metrics are collected locally",
    "AWS::CDK::Metadata": "CDK's usage metadata: nothing to run",
    "AWS::Logs::ResourcePolicy": "lets CloudWatch Logs deliver WAF's logs; no requests are inspected locally",
}

# Behaviour that is provisioned but not enforced or not simulated locally (printed with the list above).
NOT_ENFORCED = (
    "IAM roles and policies are created but not enforced (every call is allowed); S3 bucket policies are recorded only",
    "KMS key policies and encryption are recorded, not applied",
    "DynamoDB TTL is configured but items do not expire",
    "API Gateway throttling and access logs, Lambda timeouts (a warning is printed), memory and reserved concurrency",
    "X-Ray tracing (POWERTOOLS_TRACE_DISABLED=true); resource tags",
    "AWS WAF: the web ACL (us-east-1) is created with its rules, but the local port does not filter or rate-limit",
)


def api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
    """Call `operation` with those of `params` that the API accepts (template properties mostly match).

    Tags are left out: their shape differs between the template and most APIs, and nothing local reads them.
    """
    members = client.meta.service_model.operation_model(operation).input_shape.members
    accepted = {k: v for k, v in params.items() if k in members and k != "Tags"}
    return getattr(client, xform_name(operation))(**accepted)


def zip_placeholder(files: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (files or {"README": "Code runs from the working tree: see local/lambda_runtime.py"}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def placeholder(type_: str, context: Context) -> Provisioned:
    """A physical id (and ARN) for a resource that is not served, so that references to it still resolve."""
    name = context.name(512)
    service = type_.split("::")[1].lower() if type_.count("::") == 2 else "local"
    if type_ == "AWS::Logs::LogGroup":
        name = f"/aws/local/{name}"
        return Provisioned(name, {"Arn": context.arn("logs", f"log-group:{name}:*")})
    arn = context.arn(service, name)
    return Provisioned(name, {"Arn": arn, "Id": name, "FunctionARN": arn})


# -- KMS ------------------------------------------------------------------------------------------------------------
def kms_key(context: Context, props: dict[str, Any]) -> Provisioned:
    kms = context.client("kms")
    params = {**props, "Policy": json.dumps(props["KeyPolicy"])} if "KeyPolicy" in props else dict(props)
    key = api_call(kms, "CreateKey", params)["KeyMetadata"]
    if props.get("EnableKeyRotation"):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return Provisioned(key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]})


def kms_alias(context: Context, props: dict[str, Any]) -> Provisioned:
    context.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
    return Provisioned(props["AliasName"], {})


# -- DynamoDB -------------------------------------------------------------------------------------------------------
def dynamodb_table(context: Context, props: dict[str, Any]) -> Provisioned:
    dynamodb = context.client("dynamodb")
    name = props.get("TableName") or context.name(255)
    params = {**props, "TableName": name}
    if "StreamSpecification" in props:
        params["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if "SSESpecification" in props:
        sse = props["SSESpecification"]
        params["SSESpecification"] = {
            "Enabled": bool(sse.get("SSEEnabled")),
            **{k: v for k, v in sse.items() if k in ("SSEType", "KMSMasterKeyId")},
        }
    table = api_call(dynamodb, "CreateTable", params)["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
    pitr = props.get("PointInTimeRecoverySpecification", {})
    if pitr.get("PointInTimeRecoveryEnabled"):
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    return Provisioned(name, {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn", "")})


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


# -- IAM ------------------------------------------------------------------------------------------------------------
def iam_role(context: Context, props: dict[str, Any]) -> Provisioned:
    iam = context.client("iam")
    name = props.get("RoleName") or context.name(64)
    params = {**props, "RoleName": name, "AssumeRolePolicyDocument": json.dumps(props["AssumeRolePolicyDocument"])}
    role = api_call(iam, "CreateRole", params)["Role"]
    for arn in props.get("ManagedPolicyArns", []):
        # An AWS managed policy moto does not know is no loss: IAM is not enforced locally anyway.
        with contextlib.suppress(iam.exceptions.NoSuchEntityException):
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    for policy in props.get("Policies", []):
        iam.put_role_policy(
            RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(policy["PolicyDocument"])
        )
    return Provisioned(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})


def iam_policy(context: Context, props: dict[str, Any]) -> Provisioned:
    iam = context.client("iam")
    document = json.dumps(props["PolicyDocument"])
    name = props["PolicyName"]
    for role in props.get("Roles", []):
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
    for user in props.get("Users", []):
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=document)
    for group in props.get("Groups", []):
        iam.put_group_policy(GroupName=group, PolicyName=name, PolicyDocument=document)
    return Provisioned(name, {"Id": name})


# -- Lambda ---------------------------------------------------------------------------------------------------------
def lambda_layer(context: Context, props: dict[str, Any]) -> Provisioned:
    params = {
        **props,
        "LayerName": props.get("LayerName") or context.name(140),
        "Content": {"ZipFile": zip_placeholder()},
    }
    arn = api_call(context.client("lambda"), "PublishLayerVersion", params)["LayerVersionArn"]
    return Provisioned(arn, {"LayerVersionArn": arn})


def lambda_function(context: Context, props: dict[str, Any]) -> Provisioned:
    name = props.get("FunctionName") or context.name(64)
    code_dir = _code_directory(context, props, name)
    variables = {k: str(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
    variables.update(standins.environment_overrides(variables, context.api_endpoint))
    params = {
        **props,
        "FunctionName": name,
        "Code": {"ZipFile": zip_placeholder()},
        "Environment": {"Variables": variables},
    }
    for key in ("LoggingConfig", "TracingConfig"):
        params.pop(key, None)
    # Register first: creating the function must not make moto deliver anything to it on its own.
    if code_dir is not None and str(props.get("Runtime", "python")).startswith("python"):
        context.runtime.register(name, code_dir)
    function = api_call(context.client("lambda"), "CreateFunction", params)
    return Provisioned(name, {"Arn": function["FunctionArn"]})


def _code_directory(context: Context, props: dict[str, Any], name: str) -> Path | None:
    asset_path = context.metadata.get("aws:asset:path")
    if asset_path and context.metadata.get("aws:asset:property", "Code") == "Code":
        path = Path(asset_path)
        return path if path.is_dir() else None
    inline = props.get("Code", {}).get("ZipFile")
    if inline:  # inline code (`Code.from_inline`) is index.py in the Python runtimes
        directory = context.inline_code_dir / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "index.py").write_text(inline)
        return directory
    return None


def lambda_permission(context: Context, props: dict[str, Any]) -> Provisioned:
    params = {**props, "StatementId": context.logical_id[:100]}
    api_call(context.client("lambda"), "AddPermission", params)
    return Provisioned(context.logical_id, {})


def lambda_event_source_mapping(context: Context, props: dict[str, Any]) -> Provisioned:
    mapping = api_call(context.client("lambda"), "CreateEventSourceMapping", props)
    return Provisioned(
        mapping["UUID"], {"Id": mapping["UUID"], "EventSourceMappingArn": mapping.get("EventSourceMappingArn", "")}
    )


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


# -- Cognito --------------------------------------------------------------------------------------------------------
def user_pool(context: Context, props: dict[str, Any]) -> Provisioned:
    cognito = context.client("cognito-idp")
    name = props.get("UserPoolName") or context.name(128)
    params = {**props, "PoolName": name}
    for key in ("UserPoolTier", "UserPoolAddOns", "EnabledMfas"):
        params.pop(key, None)  # moto ignores or rejects these; MFA stays optional locally
    pool = api_call(cognito, "CreateUserPool", params)["UserPool"]
    attributes = {
        "Arn": pool["Arn"],
        "ProviderName": f"cognito-idp.{pool['Id'].split('_')[0]}.amazonaws.com/{pool['Id']}",
        "ProviderURL": f"https://cognito-idp.{pool['Id'].split('_')[0]}.amazonaws.com/{pool['Id']}",
        "UserPoolId": pool["Id"],
    }
    return Provisioned(pool["Id"], attributes)


def user_pool_client(context: Context, props: dict[str, Any]) -> Provisioned:
    params = {**props, "ClientName": props.get("ClientName") or context.logical_id}
    client = api_call(context.client("cognito-idp"), "CreateUserPoolClient", params)["UserPoolClient"]
    return Provisioned(
        client["ClientId"], {"ClientSecret": client.get("ClientSecret", ""), "Name": client["ClientName"]}
    )


def user_pool_group(context: Context, props: dict[str, Any]) -> Provisioned:
    params = {**props, "GroupName": props.get("GroupName") or context.name(128)}
    api_call(context.client("cognito-idp"), "CreateGroup", params)
    return Provisioned(params["GroupName"], {})


# -- API Gateway v2 -------------------------------------------------------------------------------------------------
def http_api(context: Context, props: dict[str, Any]) -> Provisioned:
    params = {**props, "Name": props.get("Name") or context.name(128)}
    api = api_call(context.client("apigatewayv2"), "CreateApi", params)
    # The local gateway serves every HTTP API at the local cloud's own address.
    return Provisioned(api["ApiId"], {"ApiId": api["ApiId"], "ApiEndpoint": context.api_endpoint})


def api_stage(context: Context, props: dict[str, Any]) -> Provisioned:
    params = dict(props)
    for key in ("AccessLogSettings", "DefaultRouteSettings", "RouteSettings"):
        params.pop(key, None)
    api_call(context.client("apigatewayv2"), "CreateStage", params)
    return Provisioned(props["StageName"], {})


def api_integration(context: Context, props: dict[str, Any]) -> Provisioned:
    integration = api_call(context.client("apigatewayv2"), "CreateIntegration", props)
    return Provisioned(integration["IntegrationId"], {})


def api_route(context: Context, props: dict[str, Any]) -> Provisioned:
    route = api_call(context.client("apigatewayv2"), "CreateRoute", props)
    return Provisioned(route["RouteId"], {})


def api_authorizer(context: Context, props: dict[str, Any]) -> Provisioned:
    authorizer = api_call(context.client("apigatewayv2"), "CreateAuthorizer", props)
    return Provisioned(authorizer["AuthorizerId"], {})


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::S3::Bucket": web.s3_bucket,
    "AWS::S3::BucketPolicy": web.s3_bucket_policy,
    "Custom::CDKBucketDeployment": web.bucket_deployment,
    "AWS::SecretsManager::Secret": web.secret,
    "AWS::Events::Rule": web.events_rule,
    "AWS::GuardDuty::MalwareProtectionPlan": web.malware_protection_plan,
    "AWS::CloudFront::Distribution": web.cloudfront_distribution,
    "AWS::CloudFront::CachePolicy": web.cloudfront_record,
    "AWS::CloudFront::OriginRequestPolicy": web.cloudfront_record,
    "AWS::CloudFront::ResponseHeadersPolicy": web.cloudfront_record,
    "AWS::CloudFront::OriginAccessControl": web.cloudfront_record,
    "AWS::WAFv2::WebACL": waf.web_acl,
    "AWS::WAFv2::LoggingConfiguration": waf.waf_logging_configuration,
    "Custom::CrossRegionExportWriter": waf.cross_region_export_writer,
    "Custom::CrossRegionExportReader": waf.cross_region_export_reader,
    "AWS::KMS::Key": kms_key,
    "AWS::KMS::Alias": kms_alias,
    "AWS::DynamoDB::Table": dynamodb_table,
    "AWS::SNS::Topic": sns_topic,
    "AWS::SNS::TopicPolicy": sns_topic_policy,
    "AWS::SNS::Subscription": sns_subscription,
    "AWS::SQS::Queue": sqs_queue,
    "AWS::SQS::QueuePolicy": sqs_queue_policy,
    "AWS::IAM::Role": iam_role,
    "AWS::IAM::Policy": iam_policy,
    "AWS::Lambda::LayerVersion": lambda_layer,
    "AWS::Lambda::Function": lambda_function,
    "AWS::Lambda::Permission": lambda_permission,
    "AWS::Lambda::EventSourceMapping": lambda_event_source_mapping,
    "AWS::StepFunctions::StateMachine": state_machine,
    "AWS::Pipes::Pipe": pipe,
    "AWS::Cognito::UserPool": user_pool,
    "AWS::Cognito::UserPoolClient": user_pool_client,
    "AWS::Cognito::UserPoolGroup": user_pool_group,
    "AWS::ApiGatewayV2::Api": http_api,
    "AWS::ApiGatewayV2::Stage": api_stage,
    "AWS::ApiGatewayV2::Integration": api_integration,
    "AWS::ApiGatewayV2::Route": api_route,
    "AWS::ApiGatewayV2::Authorizer": api_authorizer,
}
