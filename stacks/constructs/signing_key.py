"""A generated HMAC signing key in Secrets Manager, for tokens a function signs and checks itself."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.constructs.nag import suppress


def signing_key(
    scope: Construct,
    construct_id: str,
    *,
    description: str,
    removal: RemovalPolicy,
    why_no_rotation: str,
    secret_name: str | None = None,
) -> secretsmanager.Secret:
    """64 random letters and digits; `why_no_rotation` is the SMG4 reason: what replacing the value costs.
    `secret_name`: a fixed name, for functions of other stacks that read it by name."""
    secret = secretsmanager.Secret(
        scope,
        construct_id,
        description=description,
        secret_name=secret_name,
        generate_secret_string=secretsmanager.SecretStringGenerator(
            password_length=64, exclude_punctuation=True, include_space=False
        ),
        removal_policy=removal,
    )
    suppress(secret.node.default_child, "AwsSolutions-SMG4", why_no_rotation)
    return secret
