"""The local cloud's policy evaluator: actions, resources, principals and conditions as AWS judges them."""

from __future__ import annotations

import pytest

from local.policy import Effect, Request, evaluate, grants_account, unevaluated_keys

pytestmark = pytest.mark.local

ROLE = "arn:aws:iam::123456789012:role/Web"
OBJECT = "arn:aws:s3:::quarantine/draft/letter.pdf"
QUARANTINE_POLICY = {
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::quarantine", "arn:aws:s3:::quarantine/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::quarantine/*",
            "Condition": {
                "StringNotEquals": {"s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "NO_THREATS_FOUND"},
                "ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/Scanner"},
            },
        },
    ]
}


def _request(action: str = "s3:GetObject", resource: str = OBJECT, principal: str = ROLE, **context: str) -> Request:
    return Request(action, resource, principal, "123456789012", {"aws:SecureTransport": "true", **context})


def test_an_untagged_object_is_denied_and_a_clean_one_is_not():
    assert evaluate(QUARANTINE_POLICY, _request(), resource_policy=True) is Effect.DENY  # no tag: StringNotEquals
    tagged = {"s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "NO_THREATS_FOUND"}
    assert evaluate(QUARANTINE_POLICY, _request(**tagged), resource_policy=True) is Effect.NONE
    threat = {"s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "THREATS_FOUND"}
    assert evaluate(QUARANTINE_POLICY, _request(**threat), resource_policy=True) is Effect.DENY
    scanner = _request(principal="arn:aws:iam::123456789012:role/Scanner")
    assert evaluate(QUARANTINE_POLICY, scanner, resource_policy=True) is Effect.NONE
    assert evaluate(QUARANTINE_POLICY, _request("s3:PutObject"), resource_policy=True) is Effect.NONE


def test_identity_statements_match_actions_and_resources_with_wildcards():
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject*", "S3:PutObject"], "Resource": "arn:aws:s3:::quarantine/*"}
        ]
    }
    assert evaluate(policy, _request()) is Effect.ALLOW
    assert evaluate(policy, _request("s3:putobject")) is Effect.ALLOW  # actions are not case-sensitive
    assert evaluate(policy, _request("s3:DeleteObject")) is Effect.NONE
    assert evaluate(policy, _request(resource="arn:aws:s3:::uploads/x")) is Effect.NONE
    denied = {"Statement": [*policy["Statement"], {"Effect": "Deny", "NotAction": "s3:PutObject", "Resource": "*"}]}
    assert evaluate(denied, _request()) is Effect.DENY
    assert evaluate(denied, _request("s3:PutObject")) is Effect.ALLOW


def test_conditions_on_a_key_the_call_carries_or_lacks():
    via_dynamodb = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": "dynamodb.eu-west-2.amazonaws.com"}},
            }
        ]
    }
    assert evaluate(via_dynamodb, _request("kms:Decrypt", "k")) is Effect.NONE  # called directly: no ViaService
    through = _request("kms:Decrypt", "k", **{"kms:ViaService": "dynamodb.eu-west-2.amazonaws.com"})
    assert evaluate(via_dynamodb, through) is Effect.ALLOW
    if_exists = {
        "Statement": [
            {**via_dynamodb["Statement"][0], "Condition": {"StringEqualsIfExists": {"kms:ViaService": "sqs"}}}
        ]
    }
    assert evaluate(if_exists, _request("kms:Decrypt", "k")) is Effect.ALLOW
    assert evaluate(if_exists, through) is Effect.NONE


def test_a_key_policy_naming_the_account_delegates_to_iam_and_grants_no_one_itself():
    key_policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ]
    }
    request = _request("kms:Decrypt", "arn:aws:kms:eu-west-2:123456789012:key/k")
    assert evaluate(key_policy, request, resource_policy=True) is Effect.NONE
    assert grants_account(key_policy, request)
    service_only = {"Statement": [{**key_policy["Statement"][0], "Principal": {"Service": "logs.amazonaws.com"}}]}
    assert not grants_account(service_only, request)


def test_keys_it_cannot_evaluate_are_named():
    unknown = {
        "Statement": [{"Effect": "Allow", "Action": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]
    }
    assert unevaluated_keys([QUARANTINE_POLICY, unknown]) == {"aws:SourceIp"}
