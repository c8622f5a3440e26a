"""Free permits end to end in the local cloud, as the synthesized template declares them: an electric car (0 g/km)
in zone B (Hopfield, the outer tariff prices it at 0 %) applied for through the deployed PermitApplications function
is issued at once with no order at payments (which takes none of £0) and no payment; the enforcement look-up
answers valid; its journey waits for no payment (PaidOrFree -> NoPayment -> Issue, which finds it issued) and
schedules its steps; the resident is emailed that it is issued. A free carer permit in zone B is issued the same
way, with no mark."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.local.payment_support import function_named_by_handler, invoke
from tests.local.test_local_notifications_journey import eventually, outbox
from tests.local.test_local_permit_applications import apply, found_address, stored
from tests.local.test_local_permit_journey import _entered, _execution, _history, _until
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

ELECTRIC = "FR24EVC"  # the DVLA stand-in's electric car for this test alone: 0 g/km
# A Hopfield household (zone B) no other local test applies at: the free permit counts towards its limit.
HOPFIELD = {"uprn": "999000020003", "postcode": "ME14 1HQ", "street": "HOPFIELD LANE"}  # 8 Hopfield Lane


def _no_order(local_cloud: Any, reference: str) -> None:
    """Payments holds no order for the reference: starting a payment for it is refused as not found."""
    payments = function_named_by_handler(local_cloud, "payments.handler.handler")
    started = invoke(local_cloud, payments, {"action": "start", "reference": reference, "correlation_id": "t"})
    assert started["status"] == 404, started


def _journey_went_straight_to_issue(local_cloud: Any, reference: str, permit_id: str) -> None:
    _until(lambda: _execution(local_cloud, reference)["status"] != "RUNNING")
    execution = _execution(local_cloud, reference)
    assert execution["status"] == "SUCCEEDED", _history(local_cloud, reference)
    assert json.loads(execution["input"]) == {"reference": reference, "free": True}
    assert _entered(_history(local_cloud, reference)) == [
        "PaidOrFree", "NoPayment", "Issue", "IssuedOrNot", "ScheduleReminders", "Issued",
    ]  # fmt: skip
    output = json.loads(execution["output"])
    assert output["issued"] == {"outcome": "already-issued", "permit_id": permit_id}  # issued by the apply path
    assert [s["action"] for s in output["schedule"]["steps"]] == ["remind", "remind", "expire"]


def test_an_electric_car_in_zone_b_is_issued_at_once_with_no_payment_and_is_valid(local_cloud: Any):
    _, client_id, secret = _device(local_cloud)
    device_token = _token(local_cloud, client_id, secret).json()["access_token"]
    email = f"electric.{uuid.uuid4().hex[:8]}@example.org"
    address = HOPFIELD  # zone B, the outer tariff
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": ELECTRIC,
                                  "contact": {"email": email}})  # fmt: skip
    assert applied["status"] == 201, applied
    body = applied["body"]
    assert (body["zone"], body["amount_pence"], body["status"]) == ("B", 0, "issued"), body
    assert body["reasons"][-1] == "Total: free."
    reference = body["reference"]
    item = stored(local_cloud, reference)
    assert item is not None
    assert (item["status"]["S"], item["payment_id"]["S"]) == ("issued", "")
    _no_order(local_cloud, reference)
    assert _check(local_cloud, device_token, ELECTRIC, "B", post=True).json()["answer"] == "valid"
    _journey_went_straight_to_issue(local_cloud, reference, item["permit_id"]["S"])
    local_cloud.wait_for_idle(timeout_s=30)
    eventually(lambda: any(ELECTRIC in m["subject"] for m in outbox(local_cloud, email)), timeout_s=30)


def test_a_free_carer_permit_in_zone_b_is_issued_at_once_with_no_mark(local_cloud: Any):
    address = found_address(local_cloud, "ME14 1HQ")
    applied = apply(local_cloud, {"address": address, "kind": "carer", "months": 12})
    assert applied["status"] == 201, applied
    body = applied["body"]
    assert (body["zone"], body["kind"], body["vrm"], body["amount_pence"], body["status"]) == (
        "B", "carer", "", 0, "issued",
    ), body  # fmt: skip
    reference = body["reference"]
    item = stored(local_cloud, reference)
    assert item is not None
    assert item["status"]["S"] == "issued"
    _no_order(local_cloud, reference)
    _journey_went_straight_to_issue(local_cloud, reference, item["permit_id"]["S"])
