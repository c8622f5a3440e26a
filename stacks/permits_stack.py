"""Permits: the Permits table (issued permits, visitor sessions, the guards that make issuing safe). See
docs/permits.md.

- The table (pk + sk, the council's key, PITR, deletion protection in prod) has two indexes, the only ways the code
  reads more than one item: `by-vrm` (a mark's permits and sessions in every zone: the enforcement look-up) and
  `by-household` (a UPRN's permits, by zone). No function scans it. Visitor sessions expire (TTL `expires_at`)
  two years after they end; permits carry no TTL.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.config import EnvironmentConfig

BY_VRM = "by-vrm"  # functions/permits/store.py
BY_HOUSEHOLD = "by-household"  # functions/permits/store.py


class PermitsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        key: kms.IKey,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        protect = config.deletion_protection
        self.table = dynamodb.Table(
            self,
            "Permits",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",  # visitor sessions only (permits are kept)
            deletion_protection=protect,
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
        )
        self.table.add_global_secondary_index(
            index_name=BY_VRM,
            partition_key=dynamodb.Attribute(name="vrm", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.table.add_global_secondary_index(
            index_name=BY_HOUSEHOLD,
            partition_key=dynamodb.Attribute(name="household", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="zone", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
