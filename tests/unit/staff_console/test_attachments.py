"""Attachments on the case page: the resident's files listed (every one scanned clean before the request was sent:
none is still being checked or was blocked), a download only of a clean one (in the uploads bucket with the
answer's size and type), audited before the redirect to a presigned GET valid for 60 seconds; a deleted file (past
its service's retention) or one that differs from the answer is listed with why, and its download refused with the
same words (and that audited too)."""

from __future__ import annotations

import html
import re
import urllib.parse

import boto3
import pytest

from console.attachments import LINK_SECONDS, download_name
from shared.catalogue import load_catalogue
from shared.references import new_reference
from shared.uploads import clean_key
from tests.unit.staff_console.conftest import UPLOADS_BUCKET, Console

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 24


def _photo(upload_id: str, **more) -> dict:
    return {"upload_id": upload_id, "filename": "tip photo.png", "content_type": "image/png", "size_bytes": 32, **more}


@pytest.fixture
def reference(console: Console) -> str:
    reference = new_reference()
    console.add_case(
        reference,
        team="Street scene",
        due="2026-12-01",
        service_id="fly-tipping",
        answers={"description": "Sofa", "photo": _photo("clean-upload")},
    )
    boto3.client("s3").put_object(
        Bucket=UPLOADS_BUCKET, Key=clean_key("fly-tipping", "clean-upload"), Body=PNG, ContentType="image/png"
    )
    return reference


def _trail(console: Console, reference: str) -> list[dict]:
    return console.audit.query(
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": reference},
    )["Items"]


def test_a_clean_file_is_listed_with_its_download_link(console: Console, reference: str) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    page = console.get(f"/staff/cases/{reference}", tokens)["body"]
    assert "tip photo.png" in page
    assert f'href="/staff/cases/{reference}/attachments/photo"' in page
    assert "Scanned: no virus found" in page


def test_a_download_is_audited_then_redirected_to_a_link_valid_for_sixty_seconds(
    console: Console, reference: str
) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    answer = console.get(f"/staff/cases/{reference}/attachments/photo", tokens)
    assert answer["statusCode"] == 303
    link = urllib.parse.urlsplit(answer["headers"]["location"])
    query = urllib.parse.parse_qs(link.query)
    assert link.path.endswith("/" + clean_key("fly-tipping", "clean-upload"))
    assert UPLOADS_BUCKET in link.netloc + link.path
    assert query["X-Amz-Expires"] == [str(LINK_SECONDS)] == ["60"]
    assert query["response-content-disposition"] == ['attachment; filename="tip_photo.png"']
    [entry] = [e for e in _trail(console, reference) if e["action"] == "download-attachment"]
    assert entry["details"] == {"question": "photo", "upload": "clean-upload"}  # no filename: the resident's words
    assert entry["source_ip"]
    page = console.get(f"/staff/cases/{reference}", tokens)["body"]
    assert "Downloaded a file the resident sent" in page  # on the timeline


def test_a_file_no_longer_in_the_uploads_bucket_is_deleted_and_its_download_refused_saying_so(
    console: Console,
) -> None:
    reference = new_reference()
    # Named by the case (so released clean before it was sent: the catalogue checked), since deleted by the
    # bucket's lifecycle rule at the end of the service's retention.
    console.add_case(
        reference,
        team="Street scene",
        due="2026-12-01",
        service_id="fly-tipping",
        answers={"photo": _photo("expired")},
        submitted_at="2026-11-24T10:00:00+00:00",
    )
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    page = html.unescape(console.get(f"/staff/cases/{reference}", tokens)["body"])
    retention = load_catalogue()["fly-tipping"].retention_days
    deleted = (
        f"Deleted: this service keeps a file for {retention} days after it is uploaded, and this one was uploaded "
        "before the request was sent (the request was sent on 24 November 2026). It was not blocked: it was scanned "
        "clean."
    )
    row = _file_row(page, "photo")
    assert '<strong class="moj-badge moj-badge--grey">Deleted</strong>' in row
    assert "Scanned: no virus found" in row
    assert deleted in row
    assert "none is still being checked or was blocked" in page
    assert "/attachments/photo" not in page
    refused = console.get(f"/staff/cases/{reference}/attachments/photo", tokens)
    assert refused["statusCode"] == 409
    assert "location" not in refused["headers"]
    assert f"This file cannot be downloaded. {deleted}" in html.unescape(refused["body"])
    assert [e["action"] for e in _trail(console, reference) if "download" in e["action"]] == [
        "download-attachment-refused"
    ]


def test_a_file_whose_size_or_type_differs_from_the_answer_is_withheld(console: Console, reference: str) -> None:
    boto3.client("s3").put_object(
        Bucket=UPLOADS_BUCKET, Key=clean_key("fly-tipping", "clean-upload"), Body=PNG + b"more", ContentType="image/png"
    )
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    row = _file_row(html.unescape(console.get(f"/staff/cases/{reference}", tokens)["body"]), "photo")
    assert '<strong class="moj-badge moj-badge--red">Withheld</strong>' in row
    assert "Scanned: no virus found" not in row  # what is stored is not what was scanned
    assert "/attachments/photo" not in row
    refused = console.get(f"/staff/cases/{reference}/attachments/photo", tokens)
    assert refused["statusCode"] == 409
    assert "This file cannot be downloaded. Withheld: the stored file is not the size or type" in html.unescape(
        refused["body"]
    )


def _file_row(page: str, question: str) -> str:
    found = re.search(rf'<div class="govuk-summary-list__row" data-question="{question}">.*?</dd>\s*<dd', page, re.S)
    assert found is not None, page
    return found.group(0)


def test_another_teams_case_or_an_unknown_question_gives_no_link(console: Console, reference: str) -> None:
    other = console.staff("ww", roles=("caseworker",), teams=("waste-services",))
    assert console.get(f"/staff/cases/{reference}/attachments/photo", other)["statusCode"] == 404
    assert _trail(console, reference) == []
    mine = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    assert console.get(f"/staff/cases/{reference}/attachments/description", mine)["statusCode"] == 404


def test_a_download_that_cannot_be_audited_is_not_made(console: Console, reference: str) -> None:
    from unittest import mock

    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    with (
        mock.patch("console.audit.AuditLog.record", side_effect=RuntimeError("audit table unavailable")),
        pytest.raises(RuntimeError),
    ):
        console.get(f"/staff/cases/{reference}/attachments/photo", tokens)


@pytest.mark.parametrize(
    ("typed", "safe"),
    [("tip photo.png", "tip_photo.png"), ('a"b\r\n.pdf', "a_b_.pdf"), ("..", "file"), ("ünï.jpg", "n_.jpg")],
)
def test_download_names_are_safe_in_a_header(typed: str, safe: str) -> None:
    assert download_name(typed) == safe
