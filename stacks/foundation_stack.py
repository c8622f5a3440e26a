"""Foundations every other stack uses: the customer-managed encryption key and the shared Lambda layer."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.layer import SharedLayer


class FoundationStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.key = kms.Key(
            self,
            "DataKey",
            description=f"Borough {config.name}: encrypts tables, queues, topics and logs",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY,
        )
        log_groups_arn = f"arn:{self.partition}:logs:{self.region}:{self.account}:*"
        # CloudWatch Logs encrypts log groups with this key (function logs hold request metadata).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],  # a key policy's resource is always the key itself
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups_arn}},
            )
        )
        self.layer = SharedLayer(self, "Shared").layer
