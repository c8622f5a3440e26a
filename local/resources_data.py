"""Provisioners for data at rest: KMS keys and aliases, DynamoDB tables, SSM parameters."""

from __future__ import annotations

import json
from typing import Any

from local.intrinsics import Provisioned
from local.model import Context, Provisioner, api_call


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


# -- SSM parameters -------------------------------------------------------------------------------------------------
def ssm_parameter(context: Context, props: dict[str, Any]) -> Provisioned:
    name = props.get("Name") or f"/{context.name(200)}"
    context.client("ssm").put_parameter(Name=name, Value=str(props["Value"]), Type=props["Type"], Overwrite=True)
    return Provisioned(name, {"Type": props["Type"], "Value": str(props["Value"])})


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::KMS::Key": kms_key,
    "AWS::KMS::Alias": kms_alias,
    "AWS::DynamoDB::Table": dynamodb_table,
    "AWS::SSM::Parameter": ssm_parameter,
}
