"""Save and return (the draft-saved event, the link, reminders) and file questions (quarantine, scan, release)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from web.security import upload_token

from tests.unit.web.web_support import Client, complete_to_check_answers, harness, location

pytestmark = pytest.mark.unit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def test_save_and_return_publishes_an_event_without_the_email_and_the_link_restores_the_draft(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    first = location(client.get("/services/foi-request/begin"))
    client.get(first)
    saved = location(client.post(first, {"action": "save"}))
    assert saved == "/services/foi-request/save"
    page = client.get(saved)
    assert "Save your answers and come back later" in page.body
    bad = client.post(saved, {"email": "not an email"})
    assert bad.status == 400
    assert 'value="not an email"' in bad.body
    sent = location(client.post(saved, {"email": "Resident@Example.ORG"}))
    assert "Resident@example.org" in client.get(sent).body
    (event,) = h.events
    assert event.type.value == "draft-saved"
    draft_id = client.cookies[("borough_draft", "/services/foi-request")]
    assert event.data == {
        "draft_id": draft_id,
        "service_id": "foi-request",
        "expires_at": h.drafts.get(draft_id).expires_at,  # type: ignore[union-attr]
    }
    assert "example" not in event.model_dump_json().lower()
    draft = h.drafts.get(draft_id)
    assert draft is not None
    assert draft.email == "Resident@example.org"
    assert draft.return_path is not None
    # Another device follows the emailed link.
    other = Client(h.web)
    resumed = location(other.get(draft.return_path))
    assert resumed == first
    assert other.cookies[("borough_draft", "/services/foi-request")] == draft_id
    forged = other.get(draft.return_path[:-3] + "xyz")
    assert forged.status == 410
    # Reminders 7 days and 1 day before the draft expires.
    expires = datetime.fromtimestamp(draft.expires_at, UTC)
    for days in (7, 1):
        (due,) = h.drafts.reminders_due((expires - timedelta(days=days)).date().isoformat())
        assert due["reminds"] == draft_id
        assert due["days_left"] == days


def _upload(client: Client, h, service_id: str, page_id: str, filename: str, data: bytes) -> str:
    page = client.get(f"/services/{service_id}/{page_id}")
    assert 'enctype="multipart/form-data"' in page.body
    assert 'action="https://quarantine.s3.amazonaws.com/"' in page.body
    redirect = re.search(r'name="success_action_redirect" value="([^"]+)"', page.body).group(1)  # type: ignore[union-attr]
    key_prefix = re.search(r'name="key" value="([^"]+)\$\{filename\}"', page.body).group(1)  # type: ignore[union-attr]
    key = f"{key_prefix}{filename}"
    h.uploads.objects[key] = data
    back = redirect.replace("&amp;", "&").removeprefix("http://127.0.0.1:8080")
    etag = quote(h.uploads.etag(data), safe="")  # S3 sends the stored object's ETag back, quotes and all
    return client.get(f"{back}&bucket=quarantine&key={key}&etag={etag}").headers.get("location", "") or key


def _to_photo_page(client: Client, h, catalogue) -> None:
    complete_to_check_answers(client, catalogue["graffiti"], h.drafts)


def test_an_upload_is_released_only_once_scanned_clean(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    _to_photo_page(client, h, catalogue)
    assert _upload(client, h, "graffiti", "photo", "wall.png", PNG) == "/services/graffiti/photo"
    page = client.get("/services/graffiti/photo")
    assert "wall.png" in page.body
    assert "We are checking your file for viruses" in page.body
    assert '<meta http-equiv="refresh" content="2; url=/services/graffiti/photo">' in page.body
    waiting = client.post("/services/graffiti/photo", {})
    assert waiting.status == 400
    assert "still checking your file" in waiting.body
    assert h.uploads.refused_reads == []  # nothing read the object before its scan (the bucket policy denies it)
    (key,) = h.uploads.objects
    h.uploads.scans[key] = "clean"
    checked = client.get("/services/graffiti/photo")
    assert "wall.png" in checked.body
    assert "checking your file" not in checked.body
    assert 'http-equiv="refresh"' not in checked.body
    assert location(client.post("/services/graffiti/photo", {})) == "/services/graffiti/contact"
    assert len(h.uploads.released) == 1
    check = client.get("/services/graffiti/check-answers")
    assert "wall.png" in check.body
    client.post("/services/graffiti/check-answers", {"action": "submit"})
    (submission,) = h.api.submissions
    (clean_key,) = h.uploads.released
    upload_id = clean_key.rsplit("/", 1)[-1]
    assert clean_key == f"uploads/graffiti/{upload_id}"  # under its service's prefix: its retention applies
    assert submission["answers"]["photo"] == {
        "upload_id": upload_id,
        "filename": "wall.png",
        "content_type": "image/png",
        "size_bytes": len(PNG),
    }


def test_an_infected_upload_is_refused_and_deleted(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    _to_photo_page(client, h, catalogue)
    _upload(client, h, "graffiti", "photo", "eicar.png", PNG[:8] + EICAR)
    (key,) = h.uploads.objects
    h.uploads.scans[key] = "infected"
    refused = client.post("/services/graffiti/photo", {})
    assert refused.status == 400
    assert "The selected file contains a virus" in refused.body
    assert h.uploads.objects == {}
    assert h.uploads.released == {}


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("notes.txt", b"hello", "The selected file must be a JPG, PNG or HEIC"),
        ("renamed.png", b"%PDF-1.7 not a picture", "The selected file must be a JPG, PNG or HEIC"),
        ("empty.png", b"", "The selected file is empty"),
        ("huge.png", PNG + b"\x00" * (7 * 1024 * 1024), "The selected file must be smaller than 7MB"),
    ],
)
def test_wrong_type_empty_or_oversize_uploads_are_refused(catalogue, filename, data, message):
    h = harness(catalogue)
    client = Client(h.web)
    _to_photo_page(client, h, catalogue)
    _upload(client, h, "graffiti", "photo", filename, data)
    for key in list(h.uploads.objects):  # the name was acceptable: the content is read once the scan is clean
        h.uploads.scans[key] = "clean"
        client.get("/services/graffiti/photo")
    page = client.last
    assert page is not None
    assert page.status == 400
    assert message in page.body
    assert h.uploads.objects == {}


def test_the_upload_form_allows_no_more_than_the_questions_own_limit(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    _to_photo_page(client, h, catalogue)
    client.get("/services/graffiti/photo")
    question = catalogue["graffiti"].question("photo")
    assert h.uploads.forms[-1]["max_bytes"] == question.max_bytes


def test_an_object_replaced_after_its_upload_is_never_taken(catalogue):
    """The presigned POST stays valid for a while: whatever is posted with it again is refused, not taken."""
    h = harness(catalogue)
    client = Client(h.web)
    _to_photo_page(client, h, catalogue)
    _upload(client, h, "graffiti", "photo", "wall.png", PNG)
    (key,) = h.uploads.objects
    h.uploads.scans[key] = "clean"
    assert "wall.png" in client.get("/services/graffiti/photo").body  # checked: size and type of what arrived
    h.uploads.objects[key] = PNG + b"something else"  # posted again with the same form, and scanned clean too
    refused = client.post("/services/graffiti/photo", {})
    assert refused.status == 400
    assert "could not be uploaded" in refused.body
    assert h.uploads.released == {}
    assert h.uploads.objects == {}
    # Replaced before its scan came back: refused when it is checked.
    _upload(client, h, "graffiti", "photo", "wall.png", PNG)
    (key,) = h.uploads.objects
    h.uploads.objects[key] = PNG + b"other"
    h.uploads.scans[key] = "clean"
    assert "could not be uploaded" in client.get("/services/graffiti/photo").body
    assert h.uploads.released == {}


def test_a_second_upload_with_the_same_form_is_refused(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    _to_photo_page(client, h, catalogue)
    page = client.get("/services/graffiti/photo")
    redirect = re.search(r'name="success_action_redirect" value="([^"]+)"', page.body).group(1)  # type: ignore[union-attr]
    prefix = re.search(r'name="key" value="([^"]+)\$\{filename\}"', page.body).group(1)  # type: ignore[union-attr]
    back = redirect.replace("&amp;", "&").removeprefix("http://127.0.0.1:8080")
    for name in ("wall.png", "other.png"):
        h.uploads.objects[f"{prefix}{name}"] = PNG
    first = client.get(f"{back}&key={prefix}wall.png&etag={quote(h.uploads.etag(PNG))}")
    assert location(first) == "/services/graffiti/photo"
    again = client.get(f"{back}&key={prefix}other.png&etag={quote(h.uploads.etag(PNG))}")
    assert again.status == 400
    assert "could not be uploaded" in again.body
    assert h.uploads.objects == {}  # neither is kept


def test_a_forged_or_expired_upload_token_is_refused(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    _to_photo_page(client, h, catalogue)
    draft_id = client.cookies[("borough_draft", "/services/graffiti")]
    other = upload_token("x" * 32, "photo", "u" * 16)
    reply = client.get(f"/services/graffiti/photo/uploaded?t={other}&key={draft_id}/{'u' * 16}/a.png")
    assert reply.status == 400
    assert "could not be uploaded" in reply.body
    stale = upload_token(draft_id, "photo", "u" * 16, now=h.now[0] - 3600)
    assert client.get(f"/services/graffiti/photo/uploaded?t={stale}&key={draft_id}/{'u' * 16}/a.png").status == 400


def test_reminders_announce_drafts_expiring_in_7_days_and_1_day_once(catalogue):
    from web.reminders import send_reminders

    h = harness(catalogue)
    client = Client(h.web)
    first = location(client.get("/services/complaint/begin"))
    client.get(first)
    client.post(first, {"action": "save"})
    client.get("/services/complaint/save")
    client.post("/services/complaint/save", {"email": "someone@example.com"})
    draft = h.drafts.get(client.cookies[("borough_draft", "/services/complaint")])
    assert draft is not None
    expires = datetime.fromtimestamp(draft.expires_at, UTC)
    events: list = []
    seven = (expires - timedelta(days=7)).date().isoformat()
    assert send_reminders(h.drafts, events.append, day=seven, correlation_id="c") == 1
    assert events[0].type.value == "draft-expiring"
    assert events[0].data["days_left"] == 7
    assert "someone" not in events[0].model_dump_json()
    # Saved again later: the old reminders no longer apply.
    h.now[0] += 3600 * 24 * 2
    client.get(first)
    client.post(first, {"action": "save"})
    assert send_reminders(h.drafts, events.append, day=seven, correlation_id="c") == 0
