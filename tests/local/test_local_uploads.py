"""Browser uploads: a presigned S3 POST reaches the local cloud, and the malware-scan stand-in tags the object a
moment later (as GuardDuty does: the redirect is answered before the scan's result is in)."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from local.scanner import EICAR, SCAN_TAG

pytestmark = pytest.mark.local

QUARANTINE = "Borough-dev-Web/Data/Quarantine"


def _post_form(url: str, fields: dict[str, str], filename: str, content: bytes) -> http.client.HTTPResponse:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    target = urlsplit(url)
    assert target.hostname == "127.0.0.1"
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
    connection.request(
        "POST", target.path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    return connection.getresponse()


def _form(local_cloud, draft: str) -> dict:
    # As the web function does it: its S3 client uses the endpoint the local cloud put in its environment.
    environment = local_cloud.function_environment("Borough-dev-Web/Web/Function")
    assert environment["AWS_ENDPOINT_URL_S3"] == local_cloud.url
    s3 = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing").client(
        "s3", region_name="eu-west-2", endpoint_url=environment["AWS_ENDPOINT_URL_S3"]
    )
    redirect = f"{local_cloud.url}/uploaded"
    return s3.generate_presigned_post(
        Bucket=environment["QUARANTINE_BUCKET"],
        Key=f"{draft}/${{filename}}",
        Fields={"success_action_redirect": redirect},
        Conditions=[{"success_action_redirect": redirect}],
    )


@pytest.mark.parametrize(("content", "verdict"), [(b"%PDF-1.7 a letter", "NO_THREATS_FOUND"), (EICAR, "THREATS_FOUND")])
def test_presigned_post_upload_lands_in_quarantine_and_is_tagged_by_the_scan(
    local_cloud, content, verdict, monkeypatch
):
    monkeypatch.setattr(local_cloud.scanner, "delay_s", 2.0)  # long enough to see the object still unscanned
    draft = uuid.uuid4().hex
    form = _form(local_cloud, draft)
    assert form["url"].startswith(local_cloud.url)
    response = _post_form(form["url"], form["fields"], "letter.pdf", content)
    assert response.status == 303
    assert response.getheader("Location").startswith(f"{local_cloud.url}/uploaded?")
    bucket = local_cloud.physical_id(QUARANTINE)
    s3 = local_cloud.client("s3")
    # As S3 does: the redirect names the bucket, the key and the stored object's ETag.
    back = parse_qs(urlsplit(response.getheader("Location")).query)
    assert back["key"] == [f"{draft}/letter.pdf"]
    assert back["etag"] == [s3.head_object(Bucket=bucket, Key=f"{draft}/letter.pdf")["ETag"]]
    assert s3.get_object(Bucket=bucket, Key=f"{draft}/letter.pdf")["Body"].read() == content
    untagged = s3.get_object_tagging(Bucket=bucket, Key=f"{draft}/letter.pdf")["TagSet"]
    assert untagged == []  # not yet: the scan takes a moment (the web shows "we are checking your file")
    deadline = time.monotonic() + local_cloud.scanner.delay_s + 5
    tags: list = []
    while time.monotonic() < deadline and not tags:
        time.sleep(0.1)
        tags = s3.get_object_tagging(Bucket=bucket, Key=f"{draft}/letter.pdf")["TagSet"]
    assert {"Key": SCAN_TAG, "Value": verdict} in tags


def test_objects_in_unprotected_buckets_are_not_tagged(local_cloud):
    bucket = local_cloud.physical_id("Borough-dev-Web/Data/Uploads")
    local_cloud.client("s3").put_object(Bucket=bucket, Key="uploads/x", Body=b"x")
    local_cloud.wait_for_idle()
    assert local_cloud.client("s3").get_object_tagging(Bucket=bucket, Key="uploads/x")["TagSet"] == []


def test_the_api_takes_a_file_answer_only_if_it_names_a_clean_upload_of_the_service(local_cloud):
    """The catalogue finds the uploads bucket through the SSM parameter the web stack writes, and HEADs the key."""
    from shared.catalogue import load_catalogue
    from shared.uploads import clean_key
    from tests.unit.catalogue.service_examples import valid_body

    definition = load_catalogue()["fly-tipping"]
    body = valid_body(definition)
    photo = {"upload_id": uuid.uuid4().hex, "filename": "tip.png", "content_type": "image/png", "size_bytes": 4}
    refused = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body={**body, "photo": photo})
    assert refused.status == 422, refused.body
    assert [e["field"] for e in refused.json()["errors"]] == ["photo"]
    uploads = local_cloud.physical_id("Borough-dev-Web/Data/Uploads")
    local_cloud.client("s3").put_object(
        Bucket=uploads, Key=clean_key("fly-tipping", photo["upload_id"]), Body=b"\x89PNG", ContentType="image/png"
    )
    taken = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body={**body, "photo": photo})
    assert taken.status == 201, taken.body


def _signed_as_web_role(local_cloud) -> Any:
    """An S3 client with the web function's own credentials, as the web signs its upload forms."""
    environment = local_cloud.function_environment("Borough-dev-Web/Web/Function")
    name = local_cloud.physical_id("Borough-dev-Web/Web/Function")
    role = local_cloud.client("lambda").get_function_configuration(FunctionName=name)["Role"]
    keys = local_cloud.access.credentials(role, name)
    return boto3.session.Session(
        aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=keys["AWS_SESSION_TOKEN"],
    ).client("s3", region_name="eu-west-2", endpoint_url=environment["AWS_ENDPOINT_URL_S3"]), role


def test_a_presigned_post_is_authorized_as_the_role_that_signed_it(local_cloud):
    s3, role = _signed_as_web_role(local_cloud)
    bucket = local_cloud.physical_id(QUARANTINE)
    draft = uuid.uuid4().hex
    form = s3.generate_presigned_post(Bucket=bucket, Key=f"{draft}/${{filename}}")
    assert _post_form(form["url"], form["fields"], "letter.pdf", b"%PDF-1.7").status == 204
    iam = local_cloud.client("iam")
    role_name = role.rsplit("/", 1)[-1]
    policies = {p: iam.get_role_policy(RoleName=role_name, PolicyName=p)["PolicyDocument"]
                for p in iam.list_role_policies(RoleName=role_name)["PolicyNames"]}  # fmt: skip
    try:
        for name, document in policies.items():
            kept = [s for s in document["Statement"] if "s3:PutObject" not in json.dumps(s.get("Action"))]
            iam.put_role_policy(
                RoleName=role_name, PolicyName=name, PolicyDocument=json.dumps({**document, "Statement": kept})
            )
        refused = _post_form(form["url"], form["fields"], "second.pdf", b"%PDF-1.7")
        assert refused.status == 403
        assert b"AccessDenied" in refused.read()
        assert local_cloud.access.refusals[-1].resource == f"arn:aws:s3:::{bucket}/{draft}/second.pdf"
    finally:
        for name, document in policies.items():
            iam.put_role_policy(RoleName=role_name, PolicyName=name, PolicyDocument=json.dumps(document))


def test_a_presigned_download_of_an_object_the_scan_has_not_cleared_is_refused(local_cloud):
    s3, _ = _signed_as_web_role(local_cloud)
    bucket = local_cloud.physical_id(QUARANTINE)
    key = f"{uuid.uuid4().hex}/virus.txt"
    local_cloud.client("s3").put_object(Bucket=bucket, Key=key, Body=EICAR)
    local_cloud.wait_for_idle()  # tagged THREATS_FOUND
    url = urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}))
    response = local_cloud.handle("GET", f"{url.path}?{url.query}")
    assert response.status == 403
    assert "bucket policy" in local_cloud.access.refusals[-1].reason
