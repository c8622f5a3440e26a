"""Least-privilege grants: exact actions on named resources, and KMS use only through the service that needs it.

CDK's `grant_read_write_data` / `grant_publish` also grant `kms:GenerateDataKey*` and `kms:ReEncrypt*` on the key,
plus `Scan` and stream reads on the table. These helpers grant what a Borough function does and no more.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from shared import origin_verify

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
# What Lambda's poller needs of a table's stream (CDK's grant_stream_read adds ListStreams on "*").
STREAM_READ_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)


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


def grant_stream_read(grantee: iam.IGrantable, table: dynamodb.ITable, key: kms.IKey) -> None:
    """Let `grantee` (a function its event source mapping runs) read `table`'s stream, which `key` encrypts."""
    if table.table_stream_arn is None:
        raise ValueError("The table has no stream to read: declare it with one")
    principal = grantee.grant_principal
    principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(STREAM_READ_ACTIONS), resources=[table.table_stream_arn])
    )
    principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=list(KEY_DECRYPT_ACTIONS), resources=[key.key_arn], conditions=_via_service("dynamodb")
        )
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


def grant_items(
    grantee: iam.IGrantable, table: dynamodb.ITable, key: kms.IKey, actions: Sequence[str], *, index: str | None = None
) -> None:
    """Exactly `actions` (e.g. `dynamodb:GetItem`) on `table`, or only on its index `index`; the table's key through
    DynamoDB only, to decrypt (and, for any write action, to encrypt)."""
    unknown = set(actions) - set(TABLE_READ_ACTIONS + TABLE_WRITE_ACTIONS)
    if unknown or not actions:
        raise ValueError(f"Not item actions: {sorted(unknown) or 'none given'}")
    resource = f"{table.table_arn}/index/{index}" if index else table.table_arn
    writes = any(action in TABLE_WRITE_ACTIONS for action in actions)
    principal = grantee.grant_principal
    principal.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=[resource]))
    principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=list(KEY_DECRYPT_ACTIONS + (KEY_ENCRYPT_ACTIONS if writes else ())),
            resources=[key.key_arn],
            conditions=_via_service("dynamodb"),
        )
    )


def grant_secret_value(grantee: iam.IGrantable, secret: secretsmanager.ISecret) -> None:
    """Read one secret's value: `secretsmanager:GetSecretValue` only (CDK's `grant_read` adds DescribeSecret).

    A secret known by name only (created by a person) has an ARN ending in `-` and six random characters, hence
    `-??????` (what CDK's own grants use). Secrets here use Secrets Manager's own key: no KMS permission needed."""
    arn = secret.secret_full_arn or f"{secret.secret_arn}-??????"
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[arn])
    )


def grant_send(grantee: iam.IGrantable, queue: sqs.IQueue) -> None:
    """Send messages to `queue` (SSE-SQS: no key to grant)."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn])
    )


def require_origin_verify(function: lambda_.Function, secret: secretsmanager.ISecret) -> None:
    """Make `function` (behind the HTTP API) refuse requests that did not come through CloudFront: it reads the
    origin-verify secret by its id (`ORIGIN_VERIFY_SECRET_ID`, shared/origin_verify.py) with GetSecretValue on that
    one secret only. Every function with an HTTP API integration has this (tests/infra/test_infra_origin_verify.py)."""
    function.add_environment(origin_verify.ENVIRONMENT_VARIABLE, secret.secret_arn)
    grant_secret_value(function, secret)
