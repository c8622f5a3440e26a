"""Attachments in the local cloud: a resident reports graffiti through the web's pages with a photo (posted to the
quarantine bucket by the web's presigned form, scanned by the stand-in, released to the uploads bucket by the web);
a caseworker downloads it through the console (audited first, then a presigned GET signed by the
console's role, which the local cloud authorises against that role's policy); a file the scan found infected never
reaches a request (the catalogue refuses an answer naming it), and a file deleted since (as its service's retention
does) is listed as deleted, its download refused saying so."""

from __future__ import annotations

import html
import re
import time
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from local.scanner import EICAR, SCAN_TAG
from local.staff import DEMO_STAFF
from shared.catalogue import load_catalogue
from shared.uploads import clean_key
from tests.local.test_local_console import _signed_in
from tests.local.test_local_uploads import _post_form
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


def _report_with(local_cloud, size: int) -> str:
    """A report through the API with a photo, released clean (as only the web's release puts one there)."""
    upload_id = uuid.uuid4().hex
    local_cloud.client("s3").put_object(
        Bucket=local_cloud.physical_id("Borough-dev-Web/Data/Uploads"),
        Key=clean_key("fly-tipping", upload_id),
        Body=PNG[:size],
        ContentType="image/png",
    )
    body = valid_body(load_catalogue()["fly-tipping"])
    photo = {"upload_id": upload_id, "filename": "sofa.png", "content_type": "image/png", "size_bytes": size}
    submitted = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body={**body, "photo": photo})
    assert submitted.status == 201, submitted.body
    local_cloud.wait_for_idle(timeout_s=30)
    return str(submitted.json()["reference"])


class WebVisitor:
    """The resident's browser on the web's pages: cookies kept, each page's own form posted."""

    def __init__(self, cloud) -> None:
        self.cloud, self.cookies = cloud, {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None):
        headers = [("cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))] if self.cookies else []
        body = None
        if form is not None:
            body = urlencode(form)
            headers.append(("content-type", "application/x-www-form-urlencoded"))
        response = self.cloud.handle(method, path, headers, body)
        for name, value in response.headers:
            if name.lower() == "set-cookie":
                cookie, _, rest = value.partition("=")
                self.cookies[cookie] = rest.split(";", 1)[0]
        return response


def _forms(page: str) -> list[tuple[str, str, dict[str, str]]]:
    """(action, enctype, hidden fields) of each form on the page."""
    found = []
    for attributes, inner in re.findall(r"<form ([^>]*)>(.*?)</form>", page, re.S):
        action = html.unescape(re.search(r'action="([^"]*)"', attributes).group(1))
        enctype = "multipart" if "multipart" in attributes else ""
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', inner))
        found.append((action, enctype, {k: html.unescape(v) for k, v in hidden.items()}))
    return found


ANSWERS = {
    "description": {"description": "Tag sprayed on the wall"},
    "location": {"location.postcode": "ME15 6JQ"},
    "offensive": {"offensive": "no"},
    "surface": {"surface": "wall"},
    "contact": {},
    "check-answers": {},
}


def _report_through_the_web(local_cloud, photo: bytes) -> str:
    """The graffiti journey through the web's pages, the photo uploaded on its page: the confirmation's reference."""
    visitor = WebVisitor(local_cloud)
    begun = visitor.request("GET", "/services/graffiti/begin")
    assert begun.status in (302, 303), begun.body
    path = urlsplit(begun.header("location")).path
    for _ in range(20):
        page = visitor.request("GET", path)
        assert page.status == 200, (path, page.body[:2000])
        text = page.body.decode()
        step = path.rstrip("/").rsplit("/", 1)[-1]
        if step == "confirmation":
            return re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", text.split("<main", 1)[1]).group(0)
        forms = _forms(text)
        if step == "photo":
            upload = [f for f in forms if f[1] == "multipart"]
            if upload:  # upload it: straight to the quarantine bucket, which sends the browser back to the web
                action, _, fields = upload[0]
                posted = _post_form(action, fields, "wall.png", photo)
                assert posted.status in (302, 303), posted.read()
                back = urlsplit(posted.getheader("location"))
                assert visitor.request("GET", f"{back.path}?{back.query}").status in (200, 302, 303)
                local_cloud.wait_for_idle(timeout_s=30)  # the scan
                continue
            if "We are checking your file" in text:
                time.sleep(0.5)
                local_cloud.wait_for_idle(timeout_s=30)
                continue
            answers: dict[str, str] = {}
        else:
            answers = ANSWERS[step]
        action, _, fields = [f for f in forms if f[0] and not f[0].startswith("/sandbox")][-1]
        sent = visitor.request("POST", action, {**fields, **answers})
        assert sent.status in (302, 303), (step, sent.body[:3000])
        path = urlsplit(sent.header("location")).path
    raise AssertionError("the journey did not reach its confirmation")


def test_a_clean_photo_is_downloaded_through_the_console_audited_and_an_uncleared_one_refused(local_cloud):
    s3 = local_cloud.client("s3")
    quarantine = local_cloud.physical_id("Borough-dev-Web/Data/Quarantine")
    reference = _report_through_the_web(local_cloud, PNG)
    local_cloud.wait_for_idle(timeout_s=30)
    item = local_cloud.client("dynamodb").get_item(
        TableName=local_cloud.physical_id("Borough-dev-Data/Requests"), Key={"reference": {"S": reference}}
    )["Item"]
    upload_id = item["answers"]["M"]["photo"]["M"]["upload_id"]["S"]

    browser = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    case_path = f"/staff/cases/{reference}"
    page = browser.request("GET", case_path)
    assert page.status == 200, page.body
    assert b"wall.png" in page.body
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

    # An infected photo is tagged, never released: a submission naming it is refused (no request names one).
    infected_id = uuid.uuid4().hex
    held = f"{uuid.uuid4().hex}/{infected_id}/virus.png"
    s3.put_object(Bucket=quarantine, Key=held, Body=PNG[:8] + EICAR)
    assert _scanned(local_cloud, quarantine, held) == "THREATS_FOUND"
    body = valid_body(load_catalogue()["fly-tipping"])
    photo = {"upload_id": infected_id, "filename": "virus.png", "content_type": "image/png", "size_bytes": len(PNG)}
    refused_report = local_cloud.handle(
        "POST", "/api/v1/services/fly-tipping/requests", json_body={**body, "photo": photo}
    )
    assert refused_report.status == 422, refused_report.body
    # A clean photo deleted since the report (as the uploads bucket's lifecycle rule does at the end of the
    # service's retention): the case page says it is deleted, not blocked, and its download is refused saying so.
    other = _report_with(local_cloud, len(PNG))
    other_upload = local_cloud.client("dynamodb").get_item(
        TableName=local_cloud.physical_id("Borough-dev-Data/Requests"), Key={"reference": {"S": other}}
    )["Item"]["answers"]["M"]["photo"]["M"]["upload_id"]["S"]
    s3.delete_object(
        Bucket=local_cloud.physical_id("Borough-dev-Web/Data/Uploads"), Key=clean_key("fly-tipping", other_upload)
    )
    page = browser.request("GET", f"/staff/cases/{other}")
    assert page.status == 200, page.body
    assert b'<strong class="moj-badge moj-badge--grey">Deleted</strong>' in page.body
    assert b"none is still being checked or was blocked" in page.body
    assert f"/staff/cases/{other}/attachments/photo".encode() not in page.body
    refused = browser.request("GET", f"/staff/cases/{other}/attachments/photo")
    assert refused.status == 409, refused.body
    assert refused.header("location") is None
    assert "Deleted: this service keeps a file for" in html.unescape(refused.body.decode())
