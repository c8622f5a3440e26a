"""Provisioners for IAM roles and policies and for Lambda: layers, functions (registered with the in-process
runtime, `local.lambda_runtime`), permissions and event source mappings.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from local import standins
from local.intrinsics import Provisioned
from local.model import Context, Provisioner, api_call, zip_placeholder


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


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::IAM::Role": iam_role,
    "AWS::IAM::Policy": iam_policy,
    "AWS::Lambda::LayerVersion": lambda_layer,
    "AWS::Lambda::Function": lambda_function,
    "AWS::Lambda::Permission": lambda_permission,
    "AWS::Lambda::EventSourceMapping": lambda_event_source_mapping,
}
