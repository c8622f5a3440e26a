"""Save and return (the draft-saved event, the link, reminders) and file questions (quarantine, scan, release)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from web.return_links import mint
from web.security import upload_token

from tests.unit.web.web_support import Client, complete_to_check_answers, harness, location, sample_form

pytestmark = pytest.mark.unit

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _link(h, event) -> str:
    """The link the notifications consumer gets from the web for this event (web/return_links.py), as emailed."""
    link, reason = mint(h.drafts, event.data["save_id"], for_event=event.id, expires_at=event.data["expires_at"])
    assert link is not None, reason
    return link.path


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
    draft = h.drafts.get(draft_id)
    assert draft is not None
    # Identifiers only: no address, no link, and not the draft id (a bearer value: it is the cookie).
    assert event.data == {"save_id": draft.save_id, "service_id": "foi-request", "expires_at": draft.expires_at}
    assert "example" not in event.model_dump_json().lower()
    assert draft_id not in event.model_dump_json()
    assert draft.email == "Resident@example.org"
    # Another device follows the emailed link (asked for twice, as a retried delivery would: the same link).
    path = _link(h, event)
    assert _link(h, event) == path
    assert draft_id not in path
    other = Client(h.web)
    forged = other.get(path[:-3] + "xyz")
    assert forged.status == 410
    resumed = location(other.get(path))
    assert resumed == first
    assert other.cookies[("borough_draft", "/services/foi-request")] != draft_id  # a new draft id
    draft = h.drafts.get(other.cookies[("borough_draft", "/services/foi-request")])
    assert draft is not None
    # Reminders 7 days and 1 day before the draft expires.
    expires = datetime.fromtimestamp(draft.expires_at, UTC)
    for days in (7, 1):
        (due,) = h.drafts.reminders_due((expires - timedelta(days=days)).date().isoformat())
        assert due["reminds"] == draft.id  # the draft under its new id
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


def _upload_form(client: Client) -> tuple[str, str]:
    """The photo page's upload form: where S3 sends the browser back (as a path), and the key prefix it signs."""
    page = client.get("/services/graffiti/photo")
    redirect = re.search(r'name="success_action_redirect" value="([^"]+)"', page.body).group(1)  # type: ignore[union-attr]
    prefix = re.search(r'name="key" value="([^"]+)\$\{filename\}"', page.body).group(1)  # type: ignore[union-attr]
    return redirect.replace("&amp;", "&").removeprefix("http://127.0.0.1:8080"), prefix


def test_a_second_upload_with_the_same_form_is_refused(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    _to_photo_page(client, h, catalogue)
    back, prefix = _upload_form(client)
    for name in ("wall.png", "other.png"):
        h.uploads.objects[f"{prefix}{name}"] = PNG
    first = client.get(f"{back}&key={prefix}wall.png&etag={quote(h.uploads.etag(PNG))}")
    assert location(first) == "/services/graffiti/photo"
    again = client.get(f"{back}&key={prefix}other.png&etag={quote(h.uploads.etag(PNG))}")
    assert again.status == 400
    assert "could not be uploaded" in again.body
    assert h.uploads.objects == {}  # neither is kept


def test_the_form_of_a_removed_file_cannot_upload_again(catalogue):
    """ "Remove this file" spends the form it came with: the presigned POST is still valid at S3 for a while, but
    what comes back through it is refused and deleted."""
    h = harness(catalogue)
    client = Client(h.web)
    _to_photo_page(client, h, catalogue)
    back, prefix = _upload_form(client)
    h.uploads.objects[f"{prefix}wall.png"] = PNG
    assert location(client.get(f"{back}&key={prefix}wall.png&etag={quote(h.uploads.etag(PNG))}")) == (
        "/services/graffiti/photo"
    )
    assert location(client.post("/services/graffiti/photo", {"action": "remove"})) == "/services/graffiti/photo"
    assert h.uploads.objects == {}
    h.uploads.objects[f"{prefix}again.png"] = PNG  # the old form, posted to S3 again
    again = client.get(f"{back}&key={prefix}again.png&etag={quote(h.uploads.etag(PNG))}")
    assert again.status == 400
    assert "could not be uploaded" in again.body
    assert h.uploads.objects == {}
    draft = h.drafts.get(client.cookies[("borough_draft", "/services/graffiti")])
    assert draft is not None
    assert "photo" not in draft.uploads
    # A fresh form from the page still works.
    assert client.get("/services/graffiti/photo").status == 200
    assert _upload_form(client)[1] != prefix


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


# -- draft fixation (issue 9, item 9): links work once, open a new draft id, and are never a cookie ---------------
def _saved_with_link(h, client: Client, service: str = "complaint") -> tuple[str, str, str]:
    """(the first page, the saver's draft id, the emailed link's path)."""
    first = location(client.get(f"/services/{service}/begin"))
    client.get(first)
    client.post(first, {"action": "save"})
    client.get(f"/services/{service}/save")
    client.post(f"/services/{service}/save", {"email": "attacker@example.com"})
    return first, client.cookies[("borough_draft", f"/services/{service}")], _link(h, h.events[-1])


def test_a_return_link_opens_once(catalogue):
    h = harness(catalogue)
    _, _, path = _saved_with_link(h, Client(h.web))
    victim = Client(h.web)
    assert location(victim.get(path)).startswith("/services/complaint/")
    again = Client(h.web).get(path)
    assert again.status == 410
    assert "Your answers have expired" in again.body


def test_the_link_sender_cannot_follow_what_the_victim_types(catalogue):
    h = harness(catalogue)
    attacker = Client(h.web)
    first, attacker_draft, path = _saved_with_link(h, attacker)
    victim = Client(h.web)
    victim.get(path)
    victim_draft = victim.cookies[("borough_draft", "/services/complaint")]
    assert victim_draft != attacker_draft
    assert h.drafts.get(attacker_draft) is None  # the id the sender knows is dead
    definition = catalogue["complaint"]
    page = definition.page(first.rsplit("/", 1)[-1])
    victim.get(first)
    assert victim.post(first, sample_form(definition, page, {})).status == 303
    # The sender's cookie names nothing now: "your answers have expired", none of the victim's answers.
    seen = attacker.get(first)
    assert seen.status == 410
    assert "Your answers have expired" in seen.body
    assert h.drafts.get(victim_draft).completed  # type: ignore[union-attr]


def test_the_links_value_is_refused_as_the_cookie(catalogue):
    h = harness(catalogue)
    first, _, path = _saved_with_link(h, Client(h.web))
    token = path.rsplit("/", 1)[-1]
    for value in (token, *token.split(".")):
        planted = Client(h.web)
        planted.cookies[("borough_draft", "/services/complaint")] = value
        reply = planted.get(first)
        assert reply.status in (303, 410)
        assert reply.status == 410 or location(reply) == "/services/complaint"


def test_a_newer_link_replaces_the_older_one(catalogue):
    h = harness(catalogue)
    client = Client(h.web)
    _, _, older = _saved_with_link(h, client)
    from web.reminders import send_reminders

    draft = h.drafts.get(client.cookies[("borough_draft", "/services/complaint")])
    assert draft is not None
    expires = datetime.fromtimestamp(draft.expires_at, UTC)
    events: list = []
    assert (
        send_reminders(
            h.drafts, events.append, day=(expires - timedelta(days=7)).date().isoformat(), correlation_id="c"
        )
        == 1
    )
    assert events[0].data == {
        "save_id": draft.save_id,
        "service_id": "complaint",
        "expires_at": draft.expires_at,
        "days_left": 7,
    }
    newer = _link(h, events[0])
    assert newer != older
    assert Client(h.web).get(older).status == 410
    assert location(Client(h.web).get(newer)).startswith("/services/complaint/")


def test_the_save_pointer_lasts_as_long_as_the_draft(catalogue):
    # The Drafts table's TTL deletes each item at its expires_at: a pointer left at the first save's expiry would
    # lose a draft saved again later (its email could no longer be sent).
    h = harness(catalogue)
    client = Client(h.web)
    first, draft_id, _ = _saved_with_link(h, client)
    h.now[0] += 3 * 24 * 3600
    client.get(first)
    client.post(first, {"action": "save"})
    draft = h.drafts.get(draft_id)
    assert draft is not None
    assert h.drafts.items[f"save#{draft.save_id}"]["expires_at"] == draft.expires_at
