"""Renewing a permit in a zone that asks evidence (web/permit_renewal_pages.py): evidence carried forward is said on
the renewal page and the renewal applies without sending it again (a lapsed permit's with `evidence_from`); evidence
that cannot be carried forward is said with what is needed and what to do, and nothing is applied. On fakes of the
permits and payments functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from web.api import ApiResult

from tests.unit.web.test_web_permit_manage import BASE
from tests.unit.web.test_web_permit_renewal import ANSWERS, RENEWAL, renewing  # noqa: F401  (the fixture)
from tests.unit.web.web_support import location

pytestmark = pytest.mark.unit

CARRIED = {"carried_forward": True, "from": "PRMT-0001", "status": "verified"}
ASKED = {
    "carried_forward": False,
    "asked": [
        {"kind": "keepership", "method": "upload", "name": "Proof that you keep this vehicle",
         "words": "the vehicle's log book (V5C) in your name at this address"},
    ],
}  # fmt: skip


def test_evidence_carried_forward_is_said_and_not_asked_again(renewing):  # noqa: F811
    permits, _, client = renewing
    permits.renewal_answer = ApiResult(200, {**RENEWAL, "evidence": CARRIED})
    page = client.get(f"{BASE}/renew")
    assert 'id="evidence-carried"' in page.body
    assert "you do not need to send them again" in page.body
    assert location(client.post(f"{BASE}/renew", ANSWERS)) == "/permits/check-answers"
    assert permits.applied[0]["renews"] == "PRMT-0001"
    assert "evidence" not in permits.applied[0]  # the permits service carries it from the renewed application


def test_a_lapsed_permits_renewal_carries_it_with_evidence_from(renewing):  # noqa: F811
    permits, _, client = renewing
    today = datetime.now(UTC).date().isoformat()
    permits.renewal_answer = ApiResult(200, {**RENEWAL, "start": today, "valid_from": today, "evidence": CARRIED})
    client.get(f"{BASE}/renew")
    client.post(f"{BASE}/renew", ANSWERS)
    assert "renews" not in permits.applied[0]
    assert permits.applied[0]["evidence_from"] == "PRMT-0001"


def test_without_evidence_to_carry_forward_the_page_says_what_is_needed_and_applies_nothing(renewing):  # noqa: F811
    permits, _, client = renewing
    permits.renewal_answer = ApiResult(200, {**RENEWAL, "evidence": ASKED})
    page = client.get(f"{BASE}/renew")
    assert page.status == 200
    assert "We need your documents again" in page.body
    assert "Proof that you keep this vehicle: the vehicle&#39;s log book" in page.body
    assert "Once this permit has ended, apply for a new permit for this vehicle from 3 December 2027" in page.body
    assert 'name="months"' not in page.body  # no renewal form to send
    assert client.post(f"{BASE}/renew", ANSWERS).status == 400  # no form was given, so no token either
    assert permits.applied == []


def test_a_lapsed_permit_without_evidence_is_sent_to_apply_anew_with_it(renewing):  # noqa: F811
    permits, _, client = renewing
    today = datetime.now(UTC).date().isoformat()
    permits.renewal_answer = ApiResult(200, {**RENEWAL, "start": today, "valid_from": today, "evidence": ASKED})
    page = client.get(f"{BASE}/renew")
    assert "Apply for a new permit for this vehicle: you can make the declarations and upload" in page.body
    assert 'href="/permits"' in page.body
    assert permits.applied == []
