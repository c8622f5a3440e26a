"""Private S3 buckets whose server access logs go to one log bucket (through its policy, not the legacy ACL)."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.constructs.nag import suppress


def access_log_bucket(scope: Construct, construct_id: str, *, retention_days: int, removal: RemovalPolicy) -> s3.Bucket:
    """The bucket that receives other buckets' server access logs, kept `retention_days`."""
    rules = [s3.LifecycleRule(expiration=Duration.days(max(retention_days, 1)))]
    bucket = _private_bucket(scope, construct_id, rules=rules, removal=removal)
    suppress(
        bucket.node.default_child,
        "AwsSolutions-S1",
        "This is the server access log bucket of the web's buckets; logging its own access would loop.",
    )
    return bucket


def logged_bucket(
    scope: Construct,
    construct_id: str,
    *,
    logs: s3.Bucket,
    expire_days: int | None,
    removal: RemovalPolicy,
    prefix: str,
) -> s3.Bucket:
    """A private, SSL-only bucket (objects expiring after `expire_days`, if given) logging to `logs` under `prefix`."""
    rules = [s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1))]
    if expire_days is not None:
        rules.append(s3.LifecycleRule(expiration=Duration.days(expire_days)))
    bucket = _private_bucket(scope, construct_id, rules=rules, removal=removal)
    # Server access logs through the log bucket's policy (not the legacy LogDeliveryWrite ACL).
    cfn_bucket: s3.CfnBucket = bucket.node.default_child  # type: ignore[assignment]
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=logs.bucket_name, log_file_prefix=f"s3/{prefix}"
    )
    logs.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[logs.arn_for_objects(f"s3/{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            },
        )
    )
    return bucket


def _private_bucket(
    scope: Construct, construct_id: str, *, rules: list[s3.LifecycleRule], removal: RemovalPolicy
) -> s3.Bucket:
    """S3-managed encryption, public access blocked, SSL only, no ACLs (the bucket owner owns every object)."""
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=rules,
        removal_policy=removal,
    )
