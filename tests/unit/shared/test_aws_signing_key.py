import boto3
from moto import mock_aws

from shared import aws


def test_a_configured_key_is_used_as_it_is_without_asking_secrets_manager():
    with mock_aws():
        aws.reset()
        assert aws.signing_key("local-key", "borough/dev/no-such-secret") == b"local-key"


def test_otherwise_the_secret_is_read_by_name(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    with mock_aws():
        aws.reset()
        boto3.client("secretsmanager").create_secret(Name="borough/dev/link-key", SecretString="from-the-secret")
        assert aws.signing_key("", "borough/dev/link-key") == b"from-the-secret"
    aws.reset()
