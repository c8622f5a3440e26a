"""Managing a permit from its email, end to end in the local cloud: a permit applied for and paid in the local Pay
(4242424242424242), its permit-issued email in the Notify stand-in's outbox with the signed manage link, that link
opened in the web through the front door, the vehicle changed there for a cheaper one (the enforcement look-up then
says the new mark is valid and the old one is not, the difference refunded), then the permit cancelled there (the
refund shown, and in the local Pay against the permit's payment). A forged link is a 404 page."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.local.test_local_notifications_journey import Browser, eventually, outbox
from tests.local.test_local_permit_applications import apply, found_address, stored
from tests.local.test_local_permit_changes import pay, pay_refunds
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

LINK = re.compile(r"To change the vehicle or cancel the permit: (\S+?)\.(?=\s)")


def _manage_link(local_cloud: Any, email: str) -> str:
    def issued() -> list[dict[str, Any]]:
        return [m for m in outbox(local_cloud, email) if m["subject"].endswith(" is issued")]

    eventually(lambda: bool(issued()), timeout_s=30)
    [sent] = issued()
    found = LINK.search(sent["body"])
    assert found, sent["body"]
    assert found.group(1).startswith(f"{local_cloud.url}/permits/manage/")
    return urlsplit(found.group(1)).path


def test_the_emailed_link_changes_the_vehicle_then_cancels_with_refunds_in_the_local_pay(local_cloud):
    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    email = f"manage.{uuid.uuid4().hex[:8]}@example.org"
    address = found_address(local_cloud, "ME15 7LT")  # Tannery Yard: zone A (no other test applies there)
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": "MN22DSL",
                                  "contact": {"email": email}})  # fmt: skip
    assert applied["status"] == 201, applied
    reference = applied["body"]["reference"]
    pay(local_cloud, reference)
    assert stored(local_cloud, reference)["status"]["S"] == "issued"  # type: ignore[index]
    path = _manage_link(local_cloud, email)

    browser = Browser(local_cloud)
    shown = browser.request("GET", path)
    assert shown.status == 200, shown.body
    assert "MN22DSL" in shown.body.decode()
    assert browser.request("GET", f"{path}/vehicle").status == 200
    changed = browser.request("POST", f"{path}/vehicle", {"vrm": "mn22 ptl"})  # petrol, 95 g/km: cheaper
    page = changed.body.decode()
    assert changed.status == 200, page
    assert "The vehicle on your permit has been changed" in page
    assert _check(local_cloud, token, "MN22PTL", "A", post=True).json()["answer"] == "valid"
    assert _check(local_cloud, token, "MN22DSL", "A", post=True).json()["answer"] != "valid"
    [change_refund] = pay_refunds(reference)
    assert change_refund > 0
    assert f"£{change_refund / 100:,.2f}" in page

    confirm = browser.request("GET", f"{path}/cancel")
    assert "We will refund the whole months left on the permit, less the zone" in confirm.body.decode()
    cancelled = browser.request("POST", f"{path}/cancel", {})
    page = cancelled.body.decode()
    assert cancelled.status == 200, page
    assert "Your permit has been cancelled" in page
    assert _check(local_cloud, token, "MN22PTL", "A", post=True).json()["answer"] == "no-permit"
    refunds = pay_refunds(reference)
    assert len(refunds) == 2
    assert f"£{refunds[1] / 100:,.2f}" in page
    shown = browser.request("GET", path)
    assert "Cancelled" in shown.body.decode()
    assert "/vehicle" not in shown.body.decode()

    reference_part, expires, _ = path.rsplit("/", 1)[1].split(".")
    forged = browser.request("GET", f"/permits/manage/{reference_part}.{expires}.bm90LXNpZ25lZA")
    assert forged.status == 404
