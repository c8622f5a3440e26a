"""The local cloud enforces access: each function calls AWS as its own role, and a call its policies (or a bucket or
key policy) do not allow is refused, as AWS would refuse it. The harness's own calls stay administrator calls."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local.moto_session import LOCK
from local.scanner import SCAN_TAG

pytestmark = pytest.mark.local

REPORT = {
    "description": "Fridge on the verge",
    "location": {"postcode": "ME15 6JQ"},
    "contact": {"email": "resident@example.org"},
}


def _role_arn(local_cloud, function_path: str) -> str:
    name = local_cloud.physical_id(function_path)
    arn: str = local_cloud.client("lambda").get_function_configuration(FunctionName=name)["Role"]
    return arn


def _client_as(local_cloud, role_arn: str, service: str) -> Any:
    """A client signed with the credentials a function of that role gets (created after the checks are installed)."""
    keys = local_cloud.access.credentials(role_arn, "test")
    session = boto3.session.Session(
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys["AWS_SESSION_TOKEN"],
        region_name="eu-west-2",
    )
    return session.client(service)


@contextmanager
def _without_statements(local_cloud, role_arn: str, drops: Any) -> Iterator[None]:
    """The role's inline policies with the statements `drops(statement)` picks removed; restored afterwards."""
    iam = local_cloud.client("iam")
    role = role_arn.rsplit("/", 1)[-1]
    saved = {
        name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
    }
    removed = 0
    for name, document in saved.items():
        kept = [s for s in document["Statement"] if not drops(s)]
        removed += len(document["Statement"]) - len(kept)
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps({**document, "Statement": kept}))
    assert removed, "no statement matched: the test would prove nothing"
    try:
        yield
    finally:
        for name, document in saved.items():
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(document))


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def test_a_report_is_written_with_the_catalogue_roles_own_grants(local_cloud):
    before = len(local_cloud.access.refusals)
    response = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body=REPORT)
    assert response.status == 201, response.body
    assert len(local_cloud.access.refusals) == before
    assert any(
        i.function_name == local_cloud.physical_id("Borough-dev-Api/Catalogue/Function")
        for i in local_cloud.runtime.invocations
    )


def test_a_missing_table_grant_refuses_the_write_as_aws_would(local_cloud):
    role = _role_arn(local_cloud, "Borough-dev-Api/Catalogue/Function")
    with _without_statements(local_cloud, role, lambda s: "dynamodb:PutItem" in _actions(s)):
        response = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body=REPORT)
    assert response.status >= 500
    refusal = local_cloud.access.refusals[-1]
    assert refusal.action == "dynamodb:PutItem"
    assert refusal.resource.endswith(":table/" + local_cloud.physical_id("Borough-dev-Data/Requests"))
    assert role.split("/")[-1] in refusal.principal
    assert local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body=REPORT).status == 201


def test_a_missing_key_grant_refuses_calls_on_a_table_encrypted_with_it(local_cloud):
    role = _role_arn(local_cloud, "Borough-dev-Api/Catalogue/Function")
    table = local_cloud.physical_id("Borough-dev-Data/Requests")
    dynamodb = _client_as(local_cloud, role, "dynamodb")
    dynamodb.get_item(TableName=table, Key={"reference": {"S": "none"}})  # allowed: no error
    with (
        _without_statements(local_cloud, role, lambda s: any(a.startswith("kms:") for a in _actions(s))),
        pytest.raises(ClientError) as refused,
    ):
        dynamodb.get_item(TableName=table, Key={"reference": {"S": "none"}})
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "kms:Decrypt through DynamoDB" in refused.value.response["Error"]["Message"]


def test_a_function_cannot_reach_what_its_role_does_not_name(local_cloud):
    role = _role_arn(local_cloud, "Borough-dev-Api/Catalogue/Function")
    with pytest.raises(ClientError) as refused:
        _client_as(local_cloud, role, "s3").list_objects_v2(
            Bucket=local_cloud.physical_id("Borough-dev-Web/Data/Quarantine")
        )
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert "s3:ListBucket" in refused.value.response["Error"]["Message"]


def test_the_quarantine_bucket_policy_refuses_reading_an_object_the_scan_has_not_cleared(local_cloud):
    # Issue 9 item 1: the web's upload redirect reads the object before the scan tags it; in AWS that is refused.
    role = _role_arn(local_cloud, "Borough-dev-Web/Web/Function")
    bucket = local_cloud.physical_id("Borough-dev-Web/Data/Quarantine")
    key = f"{uuid.uuid4().hex}/letter.pdf"
    admin = local_cloud.client("s3")
    s3 = _client_as(local_cloud, role, "s3")
    with LOCK:  # the scan stand-in waits for the lock: the object is not scanned yet
        admin.put_object(Bucket=bucket, Key=key, Body=b"%PDF-1.7")
        with pytest.raises(ClientError) as refused:
            s3.head_object(Bucket=bucket, Key=key)
    assert refused.value.response["Error"]["Code"] in ("403", "AccessDenied")
    assert "bucket policy" in local_cloud.access.refusals[-1].reason
    admin.put_object_tagging(
        Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": SCAN_TAG, "Value": "NO_THREATS_FOUND"}]}
    )
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(b"%PDF-1.7")


def test_a_test_function_gets_exactly_the_policy_it_is_given(local_cloud, test_functions_dir):
    queue = local_cloud.client("sqs").create_queue(QueueName=f"access-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = local_cloud.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    only_send = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arn["QueueArn"]}],
    }
    name = f"access-{uuid.uuid4().hex[:8]}"
    local_cloud.add_function(
        name, "send_and_receive.handler", test_functions_dir, {"QUEUE_URL": queue}, policy=only_send
    )
    result = local_cloud.client("lambda").invoke(FunctionName=name, Payload=b"{}")
    outcome = json.loads(result["Payload"].read())
    assert outcome == {"sent": True, "received": "AccessDenied"}


def test_the_harness_and_provisioning_are_not_checked(local_cloud):
    # Administrator calls, as CloudFormation's service role and an operator would make them.
    bucket = local_cloud.physical_id("Borough-dev-Web/Data/Quarantine")
    local_cloud.client("s3").put_object(Bucket=bucket, Key="harness/x", Body=b"x")
    assert local_cloud.client("s3").get_object(Bucket=bucket, Key="harness/x")["Body"].read() == b"x"


def test_the_start_up_listing_says_what_is_enforced(local_cloud):
    enforced = " ".join(local_cloud.enforced())
    assert "IAM" in enforced
    assert "bucket policies" in enforced
    not_enforced = " ".join(local_cloud.not_enforced())
    assert "IAM roles and policies are created but not enforced" not in not_enforced
    assert "condition keys not evaluated" in not_enforced


def test_lambda_polls_a_queue_only_when_the_functions_role_may_read_it(local_cloud, test_functions_dir):
    sqs = local_cloud.client("sqs")
    suffix = uuid.uuid4().hex[:8]
    queue = sqs.create_queue(QueueName=f"access-source-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    results = sqs.create_queue(QueueName=f"access-results-{suffix}")["QueueUrl"]
    send_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}],
    }
    name = f"access-consumer-{suffix}"
    local_cloud.add_function(
        name, "partial_batch.handler", test_functions_dir, {"RESULTS_QUEUE_URL": results}, policy=send_only
    )
    mapping = local_cloud.client("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=name)
    sqs.send_message(QueueUrl=queue, MessageBody="hello")
    local_cloud.wait_for_idle(timeout_s=10)
    assert "sqs:ReceiveMessage" in local_cloud.poller.refused_mappings[mapping["UUID"]]
    assert sqs.receive_message(QueueUrl=results).get("Messages") is None  # never invoked
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=queue)["Messages"]] == ["hello"]  # still waiting
