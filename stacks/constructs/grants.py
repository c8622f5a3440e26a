"""Least-privilege grants: exact actions on named resources, and KMS use only through the service that needs it.

CDK's `grant_read_write_data` / `grant_publish` also grant `kms:GenerateDataKey*` and `kms:ReEncrypt*` on the key,
plus `Scan` and stream reads on the table. These helpers grant what a Borough function does and no more.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

# Item reads by key (no Scan: no function reads a whole table of residents' data).
TABLE_READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
TABLE_WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
)
# What DynamoDB and SNS ask of the caller's KMS permissions for a customer-managed key (no wildcards).
KEY_DECRYPT_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
KEY_ENCRYPT_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey")
TOPIC_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


def _via_service(service: str) -> dict[str, dict[str, str]]:
    """Limit key use to requests that `service` makes on the caller's behalf in this region."""
    return {"StringEquals": {"kms:ViaService": f"{service}.{Aws.REGION}.amazonaws.com"}}


def grant_table(grantee: iam.IGrantable, table: dynamodb.ITable, key: kms.IKey, *, write: bool) -> None:
    """Let `grantee` read (and with `write`, write) items of `table`, whose data `key` encrypts."""
    actions = TABLE_READ_ACTIONS + (TABLE_WRITE_ACTIONS if write else ())
    key_actions = KEY_DECRYPT_ACTIONS + (KEY_ENCRYPT_ACTIONS if write else ())
    principal = grantee.grant_principal
    principal.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=[table.table_arn]))
    principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(key_actions), resources=[key.key_arn], conditions=_via_service("dynamodb"))
    )


def grant_publish(grantee: iam.IGrantable, topic: sns.ITopic) -> None:
    """Let `grantee` publish to `topic` (and use the topic's key for that, through SNS only)."""
    principal = grantee.grant_principal
    principal.add_to_principal_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn]))
    if topic.master_key is not None:
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(TOPIC_KEY_ACTIONS),
                resources=[topic.master_key.key_arn],
                conditions=_via_service("sns"),
            )
        )
