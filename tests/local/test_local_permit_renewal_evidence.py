"""A zone D renewal carrying its evidence forward, end to end in the local cloud: a temporary (courtesy car) permit
applied for with its residency declaration and its hire agreement (named by upload id: this function never reads the
bucket), the document verified by the demo caseworker on the console's permit page, paid in the local Pay and
issued; its dates moved back so that today is its last day (as test_local_permit_renewal does); the `renewal` answer
says the evidence is carried forward, and the renewal applied for with `renews` and no evidence keeps the evidence
with where it came from and its check, and is issued on payment, not held for the documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.staff import DEMO_STAFF
from permits.schedule import london_day
from tests.local.payment_support import function_named_by_handler, invoke
from tests.local.test_local_console import _form, _signed_in
from tests.local.test_local_permit_applications import HANDLER, apply, found_address, stored
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_renewal import _bought_months_ago, _permit_of

pytestmark = pytest.mark.local

MARK = "RE24EVD"  # the DVLA stand-in's courtesy car kept for this test alone
UPLOAD = {"upload_id": "R" * 22, "filename": "hire.pdf", "content_type": "application/pdf", "size_bytes": 2048}


def test_a_zone_d_renewal_carries_the_verified_hire_agreement_forward_and_is_issued_on_payment(local_cloud):
    address = found_address(local_cloud, "ME16 8PQ")  # Millpond Drive: zone D, Station
    evidence = {"residency": {"declared": True}, "keepership": {"upload": UPLOAD}}
    first = apply(
        local_cloud, {"address": address, "kind": "temporary", "months": 3, "vrm": MARK, "evidence": evidence}
    )
    assert first["status"] == 201, first
    reference = first["body"]["reference"]

    staff = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    page = staff.request("GET", f"/staff/permits/{reference}")
    assert page.status == 200, page.body[:1500]
    form = {**_form(page.body, f"/staff/permits/{reference}/evidence"), "outcome": "verified",
            "note": "Hire agreement from the garage, this address"}  # fmt: skip
    assert staff.request("POST", f"/staff/permits/{reference}/evidence", form).status == 303
    local_cloud.wait_for_idle(timeout_s=30)
    pay(local_cloud, reference)
    old = _permit_of(local_cloud, reference)
    today = london_day(datetime.now(UTC))
    _bought_months_ago(local_cloud, old["permit_id"]["S"], today)

    function = function_named_by_handler(local_cloud, HANDLER)
    prefilled = invoke(local_cloud, function, {"action": "renewal", "reference": reference})
    assert prefilled["status"] == 200, prefilled
    body = prefilled["body"]
    assert body["evidence"] == {"carried_forward": True, "from": reference, "status": "verified"}
    renewal = {"address": address, "kind": body["kind"], "months": body["months"], "vrm": body["vrm"],
               "start": body["start"], "renews": reference}  # fmt: skip
    applied = apply(local_cloud, renewal)
    assert applied["status"] == 201, applied
    assert body["start"] == (today + timedelta(days=1)).isoformat()
    renewed = applied["body"]["reference"]
    item: dict[str, Any] = stored(local_cloud, renewed) or {}
    assert item["evidence_status"]["S"] == "verified"
    assert [e["M"]["carried_from"]["S"] for e in item["evidence"]["L"]] == [reference, reference]
    assert item["evidence_check"]["M"]["note"]["S"] == "Hire agreement from the garage, this address"
    assert item["evidence_check"]["M"]["carried_from"]["S"] == reference

    pay(local_cloud, renewed)
    assert _permit_of(local_cloud, renewed)["status"]["S"] == "active"  # issued on payment: not held
