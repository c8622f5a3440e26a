"""A service's own table of residents' data: on demand, the council's KMS key, point-in-time recovery, TTL on
`expires_at`, and deletion protection (with a retained table) where the environment asks for it."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.config import EnvironmentConfig


def council_table(
    scope: Construct,
    construct_id: str,
    *,
    config: EnvironmentConfig,
    key: kms.IKey,
    partition_key: str,
    sort_key: str | None = None,
    sort_key_type: dynamodb.AttributeType = dynamodb.AttributeType.STRING,
    ttl: str = "expires_at",
    stream: dynamodb.StreamViewType | None = None,  # the transactional outbox's (stacks/constructs/outbox.py)
) -> dynamodb.Table:
    protect = config.deletion_protection
    return dynamodb.Table(
        scope,
        construct_id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=sort_key, type=sort_key_type) if sort_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=ttl,
        stream=stream,
        deletion_protection=protect,
        removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
    )
