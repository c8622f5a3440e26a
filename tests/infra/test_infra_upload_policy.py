"""The quarantine bucket's synthesized policy judged against every S3 call the upload flow makes (issue 9, item 1).

Locally the bucket policy is recorded, not applied, so a flow that reads an unscanned object works in tests and
fails in AWS. Here the template's own statements are evaluated (Deny statements, their conditions, as IAM does)
for each call the web's S3 adapter makes on moto, with the object's tags at that moment; a denied call fails as
AWS would fail it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from shared import aws
from shared.catalogue import load_catalogue
from shared.uploads import SCAN_TAG, clean_key

pytestmark = pytest.mark.infra

WEB_ROLE = "arn:aws:iam::123456789012:role/Borough-dev-Web-WebFunctionRole"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# The IAM action that authorises each S3 operation on an object (HeadObject is authorised as s3:GetObject, and so
# is CopyObject's read of its source).
ACTIONS = {
    "HeadObject": "s3:GetObject",
    "GetObject": "s3:GetObject",
    "CopyObject": "s3:GetObject",
    "GetObjectTagging": "s3:GetObjectTagging",
    "PutObjectTagging": "s3:PutObjectTagging",
    "DeleteObject": "s3:DeleteObject",
    "PutObject": "s3:PutObject",
}


# -- a small evaluator of a bucket policy's Deny statements --------------------------------------------------------
def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _condition_holds(operator: str, key: str, wanted: Any, context: dict[str, str]) -> bool:
    negated = "Not" in operator
    base = operator.replace("Not", "")
    if base not in ("StringEquals", "ArnEquals", "Bool"):
        raise AssertionError(f"the evaluator does not know {operator}: teach it before trusting this test")
    if key not in context:
        return negated  # IAM: a missing key makes a negated operator true, a positive one false
    # A value that is still an intrinsic (another resource's ARN) is not the context's literal value.
    matched = any(isinstance(w, str) and w == context[key] for w in _listed(wanted))
    return not matched if negated else matched


def denied(statements: list[dict[str, Any]], action: str, context: dict[str, str]) -> bool:
    """Whether an explicit Deny in these statements applies to `action` on an object, in this request context."""
    for statement in statements:
        if statement["Effect"] != "Deny":
            continue
        if statement.get("Principal") not in ("*", {"AWS": "*"}):
            raise AssertionError(f"the evaluator only knows Principal '*': {statement.get('Principal')}")
        if not any(fnmatch.fnmatchcase(action, pattern) for pattern in _listed(statement["Action"])):
            continue
        conditions = statement.get("Condition", {})
        if all(
            _condition_holds(operator, key, wanted, context)
            for operator, pairs in conditions.items()
            for key, wanted in pairs.items()
        ):
            return True
    return False


def quarantine_statements(synth) -> list[dict[str, Any]]:
    plan = next(r for r in synth.resources("AWS::GuardDuty::MalwareProtectionPlan"))
    bucket = synth.refers_to(plan.stack, plan.props["ProtectedResource"]["S3Bucket"]["BucketName"])
    policies = synth.resources("AWS::S3::BucketPolicy")
    (policy,) = [p for p in policies if synth.refers_to(p.stack, p.props["Bucket"]) == bucket]
    return policy.props["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def _context(s3: Any, bucket: str, key: str) -> dict[str, str]:
    context = {"aws:SecureTransport": "true", "aws:PrincipalArn": WEB_ROLE}
    try:
        tags = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    except ClientError:
        tags = []
    context.update({f"s3:ExistingObjectTag/{t['Key']}": t["Value"] for t in tags})
    return context


def test_the_policy_denies_reading_an_object_until_it_is_tagged_clean_and_never_its_tags(synth):
    statements = quarantine_statements(synth)
    base = {"aws:SecureTransport": "true", "aws:PrincipalArn": WEB_ROLE}
    clean = {**base, f"s3:ExistingObjectTag/{SCAN_TAG}": "NO_THREATS_FOUND"}
    infected = {**base, f"s3:ExistingObjectTag/{SCAN_TAG}": "THREATS_FOUND"}
    for operation in ("HeadObject", "GetObject", "CopyObject"):
        assert denied(statements, ACTIONS[operation], base), operation  # not scanned yet
        assert denied(statements, ACTIONS[operation], infected), operation
        assert not denied(statements, ACTIONS[operation], clean), operation
    for operation in ("GetObjectTagging", "DeleteObject", "PutObject"):
        assert not denied(statements, ACTIONS[operation], base), operation
    assert denied(statements, "s3:GetObject", {**clean, "aws:SecureTransport": "false"})  # TLS only


# -- the web's upload flow, every call judged by the policy --------------------------------------------------------
@pytest.fixture
def judged_s3(dev, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    from web import security
    from web import settings as web_settings

    monkeypatch.setenv("SIGNING_KEY", "infra-test-signing-key-not-secret")
    monkeypatch.setenv("BOROUGH_LOCAL_CLOUD", "1")
    web_settings.reset()
    security.signing_key.cache_clear()
    statements = quarantine_statements(dev)
    calls: list[tuple[str, str, bool]] = []
    with mock_aws():
        aws.reset()
        raw = boto3.client("s3", region_name="eu-west-2")
        for name in ("quarantine", "clean"):
            raw.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})

        def judge(params: dict[str, Any], model: Any, **_: Any) -> None:
            operation = model.name
            if operation == "CreateBucket":
                return  # generate_presigned_post signs a POST under this model: no call is made
            bucket, key = params.get("Bucket"), params.get("Key", "")
            if operation == "CopyObject":
                bucket, key = params["CopySource"]["Bucket"], params["CopySource"]["Key"]
            if bucket != "quarantine":
                return
            assert operation in ACTIONS, f"the flow calls {operation}: add its IAM action"
            refused = denied(statements, ACTIONS[operation], _context(raw, bucket, key))
            calls.append((operation, key, refused))
            if refused:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "bucket policy"}}, operation)

        yield {"raw": raw, "calls": calls, "judge": judge}
        aws.reset()
    web_settings.reset()
    security.signing_key.cache_clear()


def test_the_upload_flow_makes_no_call_the_quarantine_policy_denies(judged_s3):
    from web.uploads import S3Uploads

    from tests.unit.web.web_support import Client, complete_to_check_answers, harness, location

    catalogue = load_catalogue()
    uploads = S3Uploads("quarantine", "clean")
    uploads._s3.meta.events.register("provide-client-params.s3.*", judged_s3["judge"])
    h = harness(catalogue, uploads=uploads)
    client = Client(h.web)
    complete_to_check_answers(client, catalogue["graffiti"], h.drafts)
    page = client.get("/services/graffiti/photo")
    redirect = re.search(r'name="success_action_redirect" value="([^"]+)"', page.body).group(1)  # type: ignore[union-attr]
    prefix = re.search(r'name="key" value="([^"]+)\$\{filename\}"', page.body).group(1)  # type: ignore[union-attr]
    key = f"{prefix}wall.png"
    raw = judged_s3["raw"]
    # The browser's POST (signed for the web's role): PutObject, which the policy allows.
    etag = raw.put_object(Bucket="quarantine", Key=key, Body=PNG)["ETag"]
    back = redirect.replace("&amp;", "&").removeprefix("http://127.0.0.1:8080")
    arrived = client.get(f"{back}&bucket=quarantine&key={quote(key)}&etag={quote(etag)}")
    assert location(arrived) == "/services/graffiti/photo"
    checking = client.get("/services/graffiti/photo")
    assert "We are checking your file for viruses" in checking.body
    assert client.post("/services/graffiti/photo", {}).status == 400  # Continue too soon: still checking
    # GuardDuty's verdict arrives.
    raw.put_object_tagging(
        Bucket="quarantine", Key=key, Tagging={"TagSet": [{"Key": SCAN_TAG, "Value": "NO_THREATS_FOUND"}]}
    )
    assert "checking your file" not in client.get("/services/graffiti/photo").body
    assert location(client.post("/services/graffiti/photo", {})) == "/services/graffiti/contact"
    calls = judged_s3["calls"]
    assert [c for c in calls if c[2]] == []  # nothing denied
    assert {"GetObjectTagging", "HeadObject", "GetObject", "CopyObject"} <= {c[0] for c in calls}
    upload_id = prefix.rstrip("/").rsplit("/", 1)[-1]
    assert raw.get_object(Bucket="clean", Key=clean_key("graffiti", upload_id))["Body"].read() == PNG


def test_each_services_uploads_expire_with_its_own_retention(synth):
    web = next(f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "web.handler.handler")
    clean = synth.get(synth.refers_to(web.stack, web.props["Environment"]["Variables"]["CLEAN_BUCKET"]))
    rules = [r for r in clean.props["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    by_prefix = {r.get("Prefix"): r["ExpirationInDays"] for r in rules}
    catalogue = load_catalogue()
    for definition in catalogue.values():
        assert by_prefix[clean_key(definition.id, "")] == definition.retention_days, definition.id
    # The rule for the rest of the bucket is never shorter than a service's (the earliest expiration wins).
    (rest,) = [days for prefix, days in by_prefix.items() if prefix is None]
    assert rest >= max(d.retention_days for d in catalogue.values())
    assert len({d.retention_days for d in catalogue.values()}) > 1  # so the rules really differ


def test_parking_permit_evidence_expires_after_its_short_retention(synth):
    """A resident's evidence (uploads/parking-permit/, functions/permits/evidence.py) is kept while staff check it."""
    from shared.uploads import PERMIT_EVIDENCE_RETENTION_DAYS, PERMIT_EVIDENCE_SERVICE_ID

    web = next(f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "web.handler.handler")
    clean = synth.get(synth.refers_to(web.stack, web.props["Environment"]["Variables"]["CLEAN_BUCKET"]))
    rules = [r for r in clean.props["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    by_prefix = {r.get("Prefix"): r["ExpirationInDays"] for r in rules}
    assert by_prefix[clean_key(PERMIT_EVIDENCE_SERVICE_ID, "")] == PERMIT_EVIDENCE_RETENTION_DAYS == 90
