"""Attachments in the local cloud: a resident's photo, scanned clean and released to the uploads bucket, is named by
their report; a caseworker downloads it through the console (audited first, then a presigned GET signed by the
console's role, which the local cloud authorises against that role's policy); a file the scan has not cleared is
listed as not available and its download refused."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from local.scanner import EICAR, SCAN_TAG
from local.staff import DEMO_STAFF
from shared.catalogue import load_catalogue
from shared.uploads import CLEAN, clean_key
from tests.local.test_local_console import _signed_in
from tests.unit.catalogue.service_examples import valid_body

pytestmark = pytest.mark.local
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 24


def _scanned(local_cloud, bucket: str, key: str, *, timeout_s: float = 15) -> str:
    """The scan stand-in's tag on a quarantine object, once it is there."""
    s3 = local_cloud.client("s3")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}
        if SCAN_TAG in tags:
            return tags[SCAN_TAG]
        local_cloud.wait_for_idle()
        time.sleep(0.2)
    raise AssertionError(f"{key} was never scanned")


def _report_with(local_cloud, upload_id: str, size: int) -> str:
    body = valid_body(load_catalogue()["fly-tipping"])
    photo = {"upload_id": upload_id, "filename": "sofa.png", "content_type": "image/png", "size_bytes": size}
    submitted = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body={**body, "photo": photo})
    assert submitted.status == 201, submitted.body
    local_cloud.wait_for_idle(timeout_s=30)
    return str(submitted.json()["reference"])


def test_a_clean_photo_is_downloaded_through_the_console_audited_and_an_uncleared_one_refused(local_cloud):
    s3 = local_cloud.client("s3")
    quarantine = local_cloud.physical_id("Borough-dev-Web/Data/Quarantine")
    uploads = local_cloud.physical_id("Borough-dev-Web/Data/Uploads")
    # The photo arrives in quarantine, the scan finds it clean, and it is released as the web releases one
    # (web/uploads.py: copied to uploads/<service>/<upload id>, the only way a file reaches that bucket).
    upload_id = uuid.uuid4().hex
    arrived = f"{uuid.uuid4().hex}/{upload_id}/sofa.png"
    s3.put_object(Bucket=quarantine, Key=arrived, Body=PNG)
    assert _scanned(local_cloud, quarantine, arrived) == CLEAN
    s3.copy_object(
        Bucket=uploads,
        Key=clean_key("fly-tipping", upload_id),
        CopySource={"Bucket": quarantine, "Key": arrived},
        ContentType="image/png",
        ContentDisposition="attachment",
        MetadataDirective="REPLACE",
    )
    reference = _report_with(local_cloud, upload_id, len(PNG))

    browser = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    case_path = f"/staff/cases/{reference}"
    page = browser.request("GET", case_path)
    assert page.status == 200, page.body
    assert b"sofa.png" in page.body
    assert f'href="{case_path}/attachments/photo"'.encode() in page.body
    refusals_before = len(local_cloud.access.refusals)

    download = browser.request("GET", f"{case_path}/attachments/photo")
    assert download.status == 303, download.body
    link = urlsplit(download.header("location"))
    assert parse_qs(link.query)["X-Amz-Expires"] == ["60"]
    fetched = local_cloud.handle("GET", f"{link.path}?{link.query}")  # the presigned GET, as the console's role
    assert fetched.status == 200, fetched.body
    assert fetched.body == PNG
    assert len(local_cloud.access.refusals) == refusals_before
    trail = local_cloud.client("dynamodb").query(
        TableName=local_cloud.physical_id("Borough-dev-Console/Audit"),
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": {"S": reference}},
    )["Items"]
    [entry] = [e for e in trail if e["action"]["S"] == "download-attachment"]
    assert entry["details"]["M"]["upload"]["S"] == upload_id
    assert b"Downloaded a file the resident sent" in browser.request("GET", case_path).body  # on the timeline

    # An infected photo is tagged, never released: a case naming it (written here as no submission could: the
    # catalogue refuses a file answer that names no clean upload) shows it as not available and refuses it.
    infected_id = uuid.uuid4().hex
    held = f"{uuid.uuid4().hex}/{infected_id}/virus.png"
    s3.put_object(Bucket=quarantine, Key=held, Body=PNG[:8] + EICAR)
    assert _scanned(local_cloud, quarantine, held) == "THREATS_FOUND"
    other = _report_with(local_cloud, upload_id, len(PNG))
    local_cloud.client("dynamodb").update_item(
        TableName=local_cloud.physical_id("Borough-dev-Data/Requests"),
        Key={"reference": {"S": other}},
        UpdateExpression="SET answers.photo.upload_id = :held",
        ExpressionAttributeValues={":held": {"S": infected_id}},
    )
    page = browser.request("GET", f"/staff/cases/{other}")
    assert page.status == 200, page.body
    assert b"Not available" in page.body
    assert f"/staff/cases/{other}/attachments/photo".encode() not in page.body
    refused = browser.request("GET", f"/staff/cases/{other}/attachments/photo")
    assert refused.status == 409, refused.body
    assert refused.header("location") is None
