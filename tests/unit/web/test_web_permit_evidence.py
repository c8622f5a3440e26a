"""The permit journey's evidence page (web/permit_evidence_pages.py) on fakes: a zone asking for a residency
declaration and a keepership upload for a temporary permit; the declaration's words on a tick box, the upload form
straight to the quarantine bucket (no JavaScript), "we are checking your file" until the scan is in, an infected or
wrongly typed file refused, Continue refused until the box is ticked and the file is clean, then the file copied to
uploads/parking-permit/ and named in the application with the declaration; a zone asking nothing skips the page."""

from __future__ import annotations

import copy
import dataclasses
import re
from urllib.parse import quote

import pytest

from tests.unit.web.test_web_permit_pages import HOPFIELD, FakeLookup, FakePermits, PermitPay
from tests.unit.web.web_support import Client, harness, location

pytestmark = pytest.mark.unit

PDF = b"%PDF-1.7\n a hire agreement"
DECLARATION = "I declare that I live at this address and that it is my main home."
ZONE = copy.deepcopy(HOPFIELD)
ZONE["types"].append(
    {"kind": "temporary", "name": "Temporary vehicle permit (a courtesy car)",
     "lengths": [{"months": 3, "amount_pence": 300, "amount": "£3.00"}], "by_vehicle": False, "per_household": False}
)  # fmt: skip
ZONE["evidence"] = {
    "temporary": [
        {"kind": "residency", "method": "declaration", "name": "Proof that you live at this address",
         "words": DECLARATION},
        {"kind": "keepership", "method": "upload", "name": "Proof that you keep this vehicle",
         "words": "a letter from your lease company", "accept": ["pdf", "jpg", "png"], "max_bytes": 7340032},
    ]
}  # fmt: skip


class ZonePermits(FakePermits):
    def offers(self, *, correlation_id: str):  # type: ignore[no-untyped-def]
        result = super().offers(correlation_id=correlation_id)
        return dataclasses.replace(result, body={"zones": [ZONE]})

    def zone_of(self, address, *, correlation_id: str):  # type: ignore[no-untyped-def]
        result = super().zone_of(address, correlation_id=correlation_id)
        return dataclasses.replace(result, body={"zone": ZONE}) if result.status == 200 else result


@pytest.fixture
def site(catalogue):
    h = harness(catalogue, addresses=FakeLookup())
    permits = ZonePermits()
    h.web.site.ports = dataclasses.replace(h.web.site.ports, permits=permits, payments=PermitPay(permits))
    return h, permits, Client(h.web)


def _to_evidence(client: Client, permit: str = "temporary-3") -> str:
    client.get("/permits/begin")
    client.get("/permits/address")
    client.post("/permits/address", {"mode": "find", "postcode": "me14 1hq", "action": "find-address"})
    client.post("/permits/address", {"mode": "select", "uprn": "999000020001"})
    client.get("/permits/permit")
    client.post("/permits/permit", {"permit": permit})
    client.post("/permits/vehicle", {"vrm": "LB19 PTR"})
    return location(client.post("/permits/email", {"email": "resident@example.org"}))


def _upload(client: Client, h, filename: str, data: bytes, answers: list | None = None) -> str:
    page = client.get("/permits/evidence")
    assert 'enctype="multipart/form-data"' in page.body
    assert 'action="https://quarantine.s3.amazonaws.com/"' in page.body
    back = re.search(r'name="success_action_redirect" value="([^"]+)"', page.body).group(1)  # type: ignore[union-attr]
    prefix = re.search(r'name="key" value="([^"]+)\$\{filename\}"', page.body).group(1)  # type: ignore[union-attr]
    key = f"{prefix}{filename}"
    h.uploads.objects[key] = data
    back = back.replace("&amp;", "&").removeprefix("http://127.0.0.1:8080")
    assert back.startswith("/permits/evidence/uploaded?t=")
    answered = client.get(f"{back}&bucket=quarantine&key={key}&etag={quote(h.uploads.etag(data), safe='')}")
    assert answered.status in (303, 400), answered.body[:500]
    if answers is not None:
        answers.append(answered)
    return key


def test_the_page_asks_the_declaration_in_its_words_and_the_upload_with_its_limits(site):
    _, _, client = site
    assert _to_evidence(client) == "/permits/evidence"
    page = client.get("/permits/evidence")
    assert page.status == 200
    assert DECLARATION in page.body
    assert 'type="checkbox"' in page.body
    assert 'name="declare-residency"' in page.body
    assert 'type="file"' in page.body
    assert 'accept=".pdf,.jpg,.png,.jpeg"' in page.body
    assert "A PDF, JPG or PNG file, smaller than 7MB." in page.body
    assert "<script" not in page.body.split("</main>")[0].split("<main")[-1]  # the form needs no JavaScript
    assert location(client.get("/permits/check-answers")) == "/permits/evidence"  # not before the evidence


def test_a_permit_the_zone_asks_nothing_of_skips_the_page(site):
    _, permits, client = site
    assert _to_evidence(client, "resident-12") == "/permits/check-answers"
    assert location(client.get("/permits/evidence")) == "/permits/check-answers"
    client.post("/permits/check-answers", {})
    assert "evidence" not in permits.applied[-1]


def test_continue_needs_the_box_ticked_and_a_clean_file_then_the_application_names_both(site):
    h, permits, client = site
    _to_evidence(client)
    refused = client.post("/permits/evidence", {})
    assert refused.status == 400
    assert 'class="govuk-error-summary"' in refused.body
    assert "Tick the box to make the declaration" in refused.body
    assert "Upload a letter from your lease company" in refused.body
    key = _upload(client, h, "lease.pdf", PDF)
    checking = client.get("/permits/evidence")
    assert "We are checking your file for viruses" in checking.body
    assert 'http-equiv="refresh"' in checking.body
    waiting = client.post("/permits/evidence", {"declare-residency": "yes"})
    assert waiting.status == 400
    assert "We are still checking your file for viruses" in waiting.body
    assert h.uploads.released == {}
    h.uploads.scans[key] = "clean"
    assert location(client.post("/permits/evidence", {"declare-residency": "yes"})) == "/permits/check-answers"
    [(clean_key, data)] = h.uploads.released.items()
    assert clean_key.startswith("uploads/parking-permit/")
    assert data == PDF
    check = client.get("/permits/check-answers")
    assert "You declared this" in check.body
    assert "lease.pdf" in check.body
    client.post("/permits/check-answers", {})
    sent = permits.applied[-1]["evidence"]
    assert sent["residency"] == {"declared": True}
    assert sent["keepership"]["upload"] == {
        "upload_id": clean_key.rsplit("/", 1)[1], "filename": "lease.pdf", "content_type": "application/pdf",
        "size_bytes": len(PDF),
    }  # fmt: skip


def test_an_infected_file_is_refused_and_deleted(site):
    h, _, client = site
    _to_evidence(client)
    key = _upload(client, h, "lease.pdf", PDF)
    h.uploads.scans[key] = "infected"
    page = client.get("/permits/evidence")
    assert page.status == 400
    assert "The selected file contains a virus" in page.body
    assert key not in h.uploads.objects
    assert 'type="file"' in page.body  # asked again


def test_a_file_of_another_type_is_refused_by_its_name_and_by_its_first_bytes(site):
    h, _, client = site
    _to_evidence(client)
    answers: list = []
    named = _upload(client, h, "lease.exe", PDF, answers)
    assert named not in h.uploads.objects
    assert answers[0].status == 400
    assert "The selected file must be a PDF, JPG or PNG" in answers[0].body
    key = _upload(client, h, "lease.pdf", b"MZ\x90\x00 not a pdf at all")
    h.uploads.scans[key] = "clean"
    page = client.post("/permits/evidence", {"declare-residency": "yes"})
    assert page.status == 400
    assert "The selected file must be a PDF, JPG or PNG" in page.body
    assert h.uploads.released == {}


def test_a_forged_return_from_s3_is_refused(site):
    _h, _, client = site
    _to_evidence(client)
    client.get("/permits/evidence")
    page = client.get("/permits/evidence/uploaded?t=forged&bucket=quarantine&key=x/y/lease.pdf&etag=%22e%22")
    assert page.status == 400
    assert "The selected file could not be uploaded" in page.body


def test_a_file_can_be_removed_and_another_uploaded(site):
    h, _, client = site
    _to_evidence(client)
    key = _upload(client, h, "old.pdf", PDF)
    assert location(client.post("/permits/evidence", {"remove": "keepership"})) == "/permits/evidence"
    assert key not in h.uploads.objects
    page = client.get("/permits/evidence")
    assert 'type="file"' in page.body
    assert "old.pdf" not in page.body
