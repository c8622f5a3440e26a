"""Provisioners for the web's resource types: S3, Secrets Manager, EventBridge rules, CloudFront, GuardDuty scans.

CloudFront resources are not created in moto: the local cloud's own front door (`local.cdn`) reads their resolved
properties from the inventory and routes requests by the distribution's behaviours.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import string
from typing import Any

from local.intrinsics import Provisioned
from local.model import Context, Provisioner
from local.moto_session import REGION


# -- S3 ---------------------------------------------------------------------------------------------------------------
def s3_bucket(context: Context, props: dict[str, Any]) -> Provisioned:
    s3 = context.client("s3")
    name = props.get("BucketName") or context.name(63).lower()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    if props.get("VersioningConfiguration", {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if "PublicAccessBlockConfiguration" in props:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"])
    if "BucketEncryption" in props:
        rules = [
            {
                ("ApplyServerSideEncryptionByDefault" if k == "ServerSideEncryptionByDefault" else k): v
                for k, v in r.items()
            }
            for r in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    cors = props.get("CorsConfiguration", {}).get("CorsRules")
    if cors:
        rules = [{("MaxAgeSeconds" if k == "MaxAge" else k): v for k, v in rule.items() if k != "Id"} for rule in cors]
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})
    return Provisioned(
        name,
        {
            "Arn": f"arn:aws:s3:::{name}",
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
            "DualStackDomainName": f"{name}.s3.dualstack.{REGION}.amazonaws.com",
            "WebsiteURL": f"http://{name}.s3-website.{REGION}.amazonaws.com",
        },
    )


def s3_bucket_policy(context: Context, props: dict[str, Any]) -> Provisioned:
    """Kept out of moto, which would apply it and judge its Deny statements without their conditions (the usual
    `aws:SecureTransport = false` statement would refuse every request): the local cloud's access control
    (`local.access`) evaluates it, from the inventory, for the functions' calls."""
    return Provisioned(props["Bucket"], {})


def bucket_deployment(context: Context, props: dict[str, Any]) -> Provisioned:
    """CDK's BucketDeployment custom resource: copy its source assets into the bucket, as its handler would."""
    s3 = context.client("s3")
    bucket = props["DestinationBucketName"]
    prefix = props.get("DestinationBucketKeyPrefix", "")
    metadata = props.get("SystemMetadata", {})
    extra = {"CacheControl": metadata["cache-control"]} if "cache-control" in metadata else {}
    copied = 0
    for key in props.get("SourceObjectKeys", []):
        source = context.stack.assets.get(key)
        if source is None:
            raise ValueError(f"bucket deployment source {key!r} is not in the assembly's assets")
        files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        for file in files:
            relative = file.name if source.is_file() else file.relative_to(source).as_posix()
            content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            s3.put_object(
                Bucket=bucket, Key=f"{prefix}{relative}", Body=file.read_bytes(), ContentType=content_type, **extra
            )
            copied += 1
    return Provisioned(f"{bucket}/{prefix}", {"DestinationBucketArn": f"arn:aws:s3:::{bucket}", "Files": copied})


# -- Secrets Manager --------------------------------------------------------------------------------------------------
def secret(context: Context, props: dict[str, Any]) -> Provisioned:
    name = props.get("Name") or context.name(512)
    if "SecretString" in props:
        value = str(props["SecretString"])
    else:
        value = _generated_secret(name, props.get("GenerateSecretString", {}))
    params: dict[str, Any] = {"Name": name, "SecretString": value}
    if "Description" in props:
        params["Description"] = props["Description"]
    arn = context.client("secretsmanager").create_secret(**params)["ARN"]
    return Provisioned(arn, {"Id": arn})


def _generated_secret(name: str, spec: dict[str, Any]) -> str:
    """A deterministic stand-in for a generated secret (so tokens signed with it survive a restart).

    Local only and never secret: derived from the secret's name, in the characters the template asks for.
    """
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    if spec.get("IncludeSpace"):
        alphabet += " "
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", "")) or string.ascii_letters
    length = int(spec.get("PasswordLength", 32))
    stream = b""
    counter = 0
    while len(stream) < length:
        stream += hashlib.sha256(f"borough-local-secret:{name}:{counter}".encode()).digest()
        counter += 1
    generated = "".join(alphabet[b % len(alphabet)] for b in stream[:length])
    if spec.get("GenerateStringKey"):
        template = json.loads(spec.get("SecretStringTemplate") or "{}")
        template[spec["GenerateStringKey"]] = generated
        return json.dumps(template)
    return generated


# -- EventBridge ------------------------------------------------------------------------------------------------------
def events_rule(context: Context, props: dict[str, Any]) -> Provisioned:
    events = context.client("events")
    name = props.get("Name") or context.name(64)
    params: dict[str, Any] = {
        k: props[k] for k in ("ScheduleExpression", "Description", "State", "EventBusName") if k in props
    }
    if "EventPattern" in props:
        params["EventPattern"] = json.dumps(props["EventPattern"])
    arn = events.put_rule(Name=name, **params)["RuleArn"]
    targets = [
        {k: v for k, v in target.items() if k in ("Id", "Arn", "Input", "InputPath", "RoleArn")}
        for target in props.get("Targets", [])
    ]
    if targets:
        events.put_targets(
            Rule=name, Targets=targets, **({"EventBusName": props["EventBusName"]} if "EventBusName" in props else {})
        )
    return Provisioned(name, {"Arn": arn})


# -- GuardDuty Malware Protection for S3 -------------------------------------------------------------------------------
def malware_protection_plan(context: Context, props: dict[str, Any]) -> Provisioned:
    """Recorded here; the scanning stand-in (`local.scanner`) tags new objects in the protected bucket."""
    bucket = props["ProtectedResource"]["S3Bucket"]["BucketName"]
    plan_id = hashlib.sha256(f"{context.stack.name}/{context.logical_id}".encode()).hexdigest()[:20]
    return Provisioned(
        plan_id, {"Arn": context.arn("guardduty", f"malware-protection-plan/{plan_id}"), "Bucket": bucket}
    )


# -- CloudFront -------------------------------------------------------------------------------------------------------
def cloudfront_distribution(context: Context, props: dict[str, Any]) -> Provisioned:
    """The local cloud's port is the distribution: `local.cdn` routes by its behaviours."""
    distribution_id = "E" + hashlib.sha256(context.logical_id.encode()).hexdigest()[:13].upper()
    domain = context.api_endpoint.split("://", 1)[1]
    return Provisioned(distribution_id, {"DomainName": domain, "Id": distribution_id})


def cloudfront_record(context: Context, props: dict[str, Any]) -> Provisioned:
    """Cache, origin-request and response-headers policies, origin access controls: read from the inventory."""
    record_id = hashlib.sha256(f"{context.stack.name}/{context.logical_id}".encode()).hexdigest()[:32]
    return Provisioned(record_id, {"Id": record_id, "LastModifiedTime": "1970-01-01T00:00:00Z"})


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::S3::Bucket": s3_bucket,
    "AWS::S3::BucketPolicy": s3_bucket_policy,
    "Custom::CDKBucketDeployment": bucket_deployment,
    "AWS::SecretsManager::Secret": secret,
    "AWS::Events::Rule": events_rule,
    "AWS::GuardDuty::MalwareProtectionPlan": malware_protection_plan,
    "AWS::CloudFront::Distribution": cloudfront_distribution,
    "AWS::CloudFront::CachePolicy": cloudfront_record,
    "AWS::CloudFront::OriginRequestPolicy": cloudfront_record,
    "AWS::CloudFront::ResponseHeadersPolicy": cloudfront_record,
    "AWS::CloudFront::OriginAccessControl": cloudfront_record,
}
