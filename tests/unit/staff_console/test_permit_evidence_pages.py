"""A resident's evidence on the console's permit page (console/permit_pages.py): the declaration's words and the
uploaded document with a download link; the download audited before a 60-second link to the clean copy (a file not
there as sent refused, and the refusal audited); verifying or rejecting the documents with a note (audited, through
the permits service's `check-evidence`); bad input in the error summary and nothing written; view-only staff
have no form and may not check."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from shared.references import new_reference
from tests.unit.staff_console.conftest import PERMITS_TABLE, UPLOADS_BUCKET, Console
from tests.unit.staff_console.test_permit_pages import trail

pytestmark = pytest.mark.unit
PDF = b"%PDF-1.7 a hire agreement"
UPLOAD_ID = "H" * 22
KEY = f"uploads/parking-permit/{UPLOAD_ID}"


def add_application(console: Console, reference: str, *, stored: bool = True) -> None:
    """A paid application held for its evidence (as permits.issuing leaves it), and the clean copy of its upload."""
    boto3.resource("dynamodb").Table(PERMITS_TABLE).put_item(
        Item={
            "pk": f"APPLICATION#{reference}", "sk": "APPLICATION", "record": "APPLICATION", "reference": reference,
            "status": "paid-awaiting-evidence", "mark": "LB19PTR", "permit_zone": "D", "kind": "temporary",
            "months": 3, "valid_from": "2026-06-01", "valid_to": "2026-08-31", "amount_pence": 1500,
            "reasons": [], "uprn": "100000000009", "vehicle_source": "dvla", "needs_verification": False,
            "vehicle": {"make": "FORD"}, "household_limit": 1, "counts_towards_limit": False,
            "created_at": "2026-06-01T10:00:00+00:00", "paid_at": "2026-06-01T10:05:00+00:00", "paid_pence": 1500,
            "payment_id": "pay1", "evidence_status": "awaiting",
            "evidence": [
                {"kind": "residency", "method": "declaration", "words": "I declare that I live at this address."},
                {"kind": "keepership", "method": "upload", "upload_id": UPLOAD_ID, "key": KEY,
                 "filename": "hire.pdf", "content_type": "application/pdf", "size_bytes": len(PDF)},
            ],
        }
    )  # fmt: skip
    if stored:
        boto3.client("s3").put_object(Bucket=UPLOADS_BUCKET, Key=KEY, Body=PDF, ContentType="application/pdf")


@pytest.fixture
def caseworker(console: Console) -> dict[str, str]:
    return console.staff("casey", roles=("caseworker",))


def test_the_page_shows_the_declaration_and_the_document_with_a_download_link(console, caseworker):
    reference = new_reference()
    add_application(console, reference)
    body = console.get(f"/staff/permits/{reference}", caseworker)["body"]
    assert "I declare that I live at this address." in body
    assert "hire.pdf" in body
    assert f'href="/staff/permits/{reference}/evidence/keepership"' in body
    assert "Waiting to be checked" in body
    assert 'id="evidence-form"' in body


def test_a_download_is_audited_first_then_a_short_lived_link(console, caseworker):
    reference = new_reference()
    add_application(console, reference)
    answer = console.get(f"/staff/permits/{reference}/evidence/keepership", caseworker)
    assert answer["statusCode"] == 303
    link = urlsplit(answer["headers"]["location"])
    assert link.path.endswith(f"/{KEY}")
    assert parse_qs(link.query)["X-Amz-Expires"] == ["60"]
    [entry] = [e for e in trail(console, f"permit:{reference}") if e["action"] == "download-permit-evidence"]
    assert entry["details"] == {"kind": "keepership", "upload": UPLOAD_ID}
    assert console.get(f"/staff/permits/{reference}/evidence/residency", caseworker)["statusCode"] == 404


def test_a_file_not_in_the_uploads_bucket_is_not_served_and_the_refusal_is_audited(console, caseworker):
    reference = new_reference()
    add_application(console, reference, stored=False)
    assert "Download" not in console.get(f"/staff/permits/{reference}", caseworker)["body"].split('id="evidence"')[1]
    answer = console.get(f"/staff/permits/{reference}/evidence/keepership", caseworker)
    assert answer["statusCode"] == 409
    actions = [e["action"] for e in trail(console, f"permit:{reference}")]
    assert "download-permit-evidence-refused" in actions
    assert "download-permit-evidence" not in actions


def _check(console: Console, tokens: dict[str, str], reference: str, **form: str) -> dict[str, Any]:
    return console.post(f"/staff/permits/{reference}/evidence", tokens, {"csrf_token": console.csrf(tokens), **form})


def test_verifying_is_audited_then_asked_and_shown(console, caseworker):
    reference = new_reference()
    add_application(console, reference)
    answer = _check(console, caseworker, reference, outcome="verified", note="Hire agreement for this address")
    assert answer["statusCode"] == 303, answer["body"][:2000]
    assert answer["headers"]["location"] == f"/staff/permits/{reference}?done=evidence"
    event = console.permits.events[-1]
    assert (event["action"], event["outcome"], event["reference"]) == ("check-evidence", "verified", reference)
    [entry] = [e for e in trail(console, f"permit:{reference}") if e["action"] == "check-permit-evidence"]
    assert entry["detail"] == "documents verified"
    assert "Hire agreement" not in str(entry)  # the note stays with the application
    page = console.get(f"/staff/permits/{reference}", caseworker, done="evidence")["body"]
    assert "The documents are checked" in page
    assert "Documents verified" in page
    assert 'id="evidence-form"' not in page


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [({"outcome": "", "note": "x"}, 400, "evidence-outcome"), ({"outcome": "rejected", "note": " "}, 400,
                                                               "evidence-note")],
)  # fmt: skip
def test_a_bad_check_is_in_the_error_summary_and_writes_nothing(console, caseworker, form, status, field):
    reference = new_reference()
    add_application(console, reference)
    answer = _check(console, caseworker, reference, **form)
    assert answer["statusCode"] == status
    assert "There is a problem" in answer["body"]
    assert f'href="#{field}"' in answer["body"]
    item = (
        boto3.resource("dynamodb")
        .Table(PERMITS_TABLE)
        .get_item(Key={"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"})["Item"]
    )
    assert item["evidence_status"] == "awaiting"
    assert "check-permit-evidence-refused" in [e["action"] for e in trail(console, f"permit:{reference}")]


def test_staff_who_may_only_view_permits_have_no_form_and_may_not_check(console):
    reference = new_reference()
    add_application(console, reference)
    finance = console.staff("fin", roles=("finance",))
    page = console.get(f"/staff/permits/{reference}", finance)
    if page["statusCode"] != 200:
        pytest.skip("finance may not view permits in this roles file")
    assert 'id="evidence-form"' not in page["body"]
    assert _check(console, finance, reference, outcome="verified", note="x")["statusCode"] == 403
