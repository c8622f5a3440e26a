"""Provisioners for the WAF stack (us-east-1) and CDK's cross-region references (decision 0003).

The web ACL and its logging configuration are created in moto's WAFv2 in the stack's region (us-east-1), so the
distribution gets a real ARN; the local front door (`local.cdn`) does not run the ACL's rules: nothing is filtered
locally. CDK's cross-region reference custom resources are performed as their handlers do in AWS: the writer puts
each exported value in an SSM parameter (`/cdk/exports/<consumer stack>/...`) in the consumer's region, the reader
reads those parameters, tags them as in use by its stack and answers them as its attributes.
"""

from __future__ import annotations

from typing import Any

from local.intrinsics import Provisioned
from local.model import Context, Provisioner, api_call

STRONG_REF_TAG = "aws-cdk:strong-ref:"  # what CDK's reader tags an export with, so the writer keeps it


def web_acl(context: Context, props: dict[str, Any]) -> Provisioned:
    """Created with its rules (moto records them); the local port does not evaluate them."""
    name = props.get("Name") or context.name(128)
    created = api_call(context.client("wafv2"), "CreateWebACL", {**props, "Name": name})["Summary"]
    # `Ref` is `name|id|scope`, as CloudFormation gives it.
    return Provisioned(
        f"{name}|{created['Id']}|{props['Scope']}",
        {"Arn": created["ARN"], "Id": created["Id"], "LabelNamespace": f"awswaf:{context.region}:webacl:{name}:"},
    )


def waf_logging_configuration(context: Context, props: dict[str, Any]) -> Provisioned:
    """Recorded in moto; no requests are inspected locally, so nothing is ever delivered to the log group."""
    configuration = {key: value for key, value in props.items() if key != "ManagedByFirewallManager"}
    api_call(context.client("wafv2"), "PutLoggingConfiguration", {"LoggingConfiguration": configuration})
    return Provisioned(props["ResourceArn"], {"ManagedByFirewallManager": False})


def cross_region_export_writer(context: Context, props: dict[str, Any]) -> Provisioned:
    """What CDK's writer handler does: each export as an SSM parameter in the consuming stack's region."""
    writer = props["WriterProps"]
    ssm = context.client("ssm", writer["region"])
    for name, value in writer["exports"].items():
        ssm.put_parameter(Name=name, Value=str(value), Type="String", Overwrite=True)
    return Provisioned(context.name(256), {})


def cross_region_export_reader(context: Context, props: dict[str, Any]) -> Provisioned:
    """What CDK's reader handler does: read the imported parameters (in its own region), mark them as in use."""
    reader = props["ReaderProps"]
    ssm = context.client("ssm", reader["region"])
    names = list(reader["imports"])
    found = {p["Name"]: p["Value"] for p in ssm.get_parameters(Names=names)["Parameters"]} if names else {}
    missing = sorted(set(names) - set(found))
    if missing:  # CloudFormation would fail the reader, and the stack, just the same
        raise LookupError(f"no stack exported {', '.join(missing)} to {reader['region']}")
    for name in names:
        ssm.add_tags_to_resource(
            ResourceType="Parameter",
            ResourceId=name,
            Tags=[{"Key": STRONG_REF_TAG + reader["prefix"], "Value": "true"}],
        )
    return Provisioned(context.name(256), found)


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::WAFv2::WebACL": web_acl,
    "AWS::WAFv2::LoggingConfiguration": waf_logging_configuration,
    "Custom::CrossRegionExportWriter": cross_region_export_writer,
    "Custom::CrossRegionExportReader": cross_region_export_reader,
}
