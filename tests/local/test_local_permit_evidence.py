"""Evidence for a parking permit, end to end in the local cloud, as a browser without JavaScript: a temporary
(courtesy car) permit in zone D, whose zone asks a residency declaration and a keepership upload. The hire agreement
goes from the evidence page straight to the quarantine bucket (the presigned POST), the scan stand-in tags it clean,
Continue copies it to the uploads bucket; the application names it and is paid in the local Pay, then waits
(`paid-awaiting-evidence`: the look-up says no permit). The demo caseworker downloads it through the console
(audited, a 60-second link to the clean copy) and verifies it; the check's event goes out through the Permits
table's outbox to the issuer, which issues the permit: the look-up says valid and the confirmation says issued."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from local import pay_standin
from local.staff import DEMO_STAFF
from tests.local.test_local_attachments import _forms
from tests.local.test_local_console import _form, _signed_in
from tests.local.test_local_notifications_journey import Browser
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page
from tests.local.test_local_permit_applications import stored
from tests.local.test_local_permit_pages import UPRN, _redirected
from tests.local.test_local_permit_staff import _device_token, _trail
from tests.local.test_local_permits import _check
from tests.local.test_local_uploads import _post_form

pytestmark = pytest.mark.local

MARK = "CY24EVD"  # the DVLA stand-in's courtesy car (no other local test issues it)
AGREEMENT = b"%PDF-1.7\n% a courtesy car hire agreement\n"


def _to_evidence(local_cloud: Any) -> Browser:
    browser = Browser(local_cloud)
    assert _redirected(browser.request("GET", "/permits/begin")) == "/permits/address"
    assert browser.request("GET", "/permits/address").status == 200
    found = browser.request(
        "POST", "/permits/address", {"mode": "find", "postcode": "ME16 8PQ", "action": "find-address"}
    )
    assert found.status == 200, found.body[:1500]
    uprn = UPRN.findall(found.body.decode())[0][0]  # Millpond Drive: zone D, Station
    assert _redirected(browser.request("POST", "/permits/address", {"mode": "select", "uprn": uprn})) == (
        "/permits/permit"
    )
    assert browser.request("GET", "/permits/permit").status == 200
    assert _redirected(browser.request("POST", "/permits/permit", {"permit": "temporary-3"})) == "/permits/vehicle"
    assert browser.request("GET", "/permits/vehicle").status == 200
    assert _redirected(browser.request("POST", "/permits/vehicle", {"vrm": "CY24 EVD"})) == "/permits/email"
    assert browser.request("GET", "/permits/email").status == 200
    email = browser.request("POST", "/permits/email", {"email": "courtesy.car@example.org"})
    assert _redirected(email) == "/permits/evidence"
    return browser


def _upload(local_cloud: Any, browser: Browser) -> None:
    page = browser.request("GET", "/permits/evidence")
    assert page.status == 200, page.body[:1500]
    text = page.body.decode()
    assert "I declare that I live at this address and that it is my main home." in text
    [(action, _, fields)] = [f for f in _forms(text) if f[1] == "multipart"]
    posted = _post_form(action, fields, "hire agreement.pdf", AGREEMENT)  # straight to the quarantine bucket
    assert posted.status == 303, posted.read()
    back = urlsplit(posted.getheader("location"))
    assert back.path == "/permits/evidence/uploaded"
    assert _redirected(browser.request("GET", f"{back.path}?{back.query}")) == "/permits/evidence"
    for _ in range(40):  # the scan stand-in tags it a moment later; the page refreshes itself meanwhile
        local_cloud.wait_for_idle(timeout_s=30)
        if b"We are checking your file" not in browser.request("GET", "/permits/evidence").body:
            return
        time.sleep(0.25)
    raise AssertionError("the upload was never scanned")


def _pay(browser: Browser) -> None:
    card = card_page(browser, _redirected(browser.request("POST", "/permits/pay", {"action": "pay"})))
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(_redirected(confirm)).path, {})
    returned = urlsplit(_redirected(back)).path
    assert _redirected(browser.request("GET", returned)) == "/permits/confirmation"


def test_apply_with_an_upload_scanned_clean_paid_verified_by_staff_then_issued(local_cloud):
    token = _device_token(local_cloud)
    browser = _to_evidence(local_cloud)
    refused = browser.request("POST", "/permits/evidence", {})
    assert refused.status == 400
    assert b"Tick the box to make the declaration" in refused.body
    _upload(local_cloud, browser)
    continued = browser.request("POST", "/permits/evidence", {"declare-residency": "yes"})
    assert _redirected(continued) == "/permits/check-answers"
    assert _redirected(browser.request("POST", "/permits/check-answers", {})) == "/permits/check-answers"
    page = browser.request("GET", "/permits/check-answers").body.decode()
    assert "hire agreement.pdf" in page
    reference = re.search(r'id="reference">([A-Z0-9-]+)<', page).group(1)  # type: ignore[union-attr]
    application = stored(local_cloud, reference)
    assert application is not None
    assert application["evidence_status"]["S"] == "awaiting"
    upload = application["evidence"]["L"][1]["M"]
    key = upload["key"]["S"]
    assert key.startswith("uploads/parking-permit/")
    uploads = local_cloud.physical_id("Borough-dev-Web/Data/Uploads")
    assert local_cloud.client("s3").get_object(Bucket=uploads, Key=key)["Body"].read() == AGREEMENT

    assert pay_standin.base_url(local_cloud.url)  # the local Pay is up
    _pay(browser)
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)
    local_cloud.wait_for_idle(timeout_s=30)  # order-paid -> the permits queue -> the issuer: held
    assert stored(local_cloud, reference)["status"]["S"] == "paid-awaiting-evidence"  # type: ignore[index]
    assert _check(local_cloud, token, MARK, "D", post=True).json()["answer"] == "no-permit"
    waiting = browser.request("GET", "/permits/confirmation").body.decode()
    assert "we are checking your documents" in waiting

    staff = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    permit_page = staff.request("GET", f"/staff/permits/{reference}")
    assert permit_page.status == 200, permit_page.body[:1500]
    assert b"Waiting to be checked" in permit_page.body
    assert b"hire agreement.pdf" in permit_page.body
    download = staff.request("GET", f"/staff/permits/{reference}/evidence/keepership")
    assert download.status == 303, download.body[:1500]
    link = urlsplit(download.header("location"))
    assert parse_qs(link.query)["X-Amz-Expires"] == ["60"]
    fetched = local_cloud.handle("GET", f"{link.path}?{link.query}")  # the presigned GET, as the console's role
    assert fetched.status == 200
    assert fetched.body == AGREEMENT

    form = _form(permit_page.body, f"/staff/permits/{reference}/evidence")
    missing = staff.request("POST", f"/staff/permits/{reference}/evidence", {**form, "outcome": "verified"})
    assert missing.status == 400
    assert b"There is a problem" in missing.body
    note = {"outcome": "verified", "note": "Hire agreement from the garage, this address"}
    verified = staff.request("POST", f"/staff/permits/{reference}/evidence", {**form, **note})
    assert verified.status == 303, verified.body[:1500]
    local_cloud.wait_for_idle(timeout_s=30)  # the outbox -> the events topic -> the permits queue -> the issuer

    assert stored(local_cloud, reference)["status"]["S"] == "issued"  # type: ignore[index]
    assert _check(local_cloud, token, MARK, "D", post=True).json()["answer"] == "valid"
    assert "Your permit has been issued" in browser.request("GET", "/permits/confirmation").body.decode()
    actions = [e["action"]["S"] for e in _trail(local_cloud, f"permit:{reference}")]
    for action in ("read-permit", "download-permit-evidence", "check-permit-evidence-refused", "check-permit-evidence"):
        assert action in actions, actions
