"""The permit-issued email end to end in the local cloud: apply with an email address through the deployed
PermitApplications function, pay in the local Pay with 4242424242424242 (the return page, then Pay's webhook, then the
reconciler all see the success), the issuer stores permit-issued with its write, the Permits table's stream publishes
it (its own outbox publisher), the notifications consumer asks the permits function for the contact details and the
Notify stand-in's outbox holds the one email: the mark, the zone and the dates."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from tests.local.test_local_notifications_journey import eventually, outbox
from tests.local.test_local_payments import fire_reconciler
from tests.local.test_local_permit_applications import apply, found_address, stored
from tests.local.test_local_permit_changes import pay

pytestmark = pytest.mark.local

SUBJECT = "Your parking permit for LB19PTR is issued"


def _day(value: str) -> str:
    day = date.fromisoformat(value)
    return f"{day.day} {day:%B %Y}"


def test_the_resident_is_emailed_once_when_the_paid_permit_is_issued(local_cloud):
    email = f"permit.holder.{uuid.uuid4().hex[:8]}@example.org"  # this test's own recipient in the outbox
    address = found_address(local_cloud, "ME14 2LB")  # Wealden Way: zone C
    applied = apply(
        local_cloud,
        {"address": address, "kind": "resident", "months": 12, "vrm": "LB19 PTR", "contact": {"email": email}},
    )
    assert applied["status"] == 201, applied
    reference, body = applied["body"]["reference"], applied["body"]
    assert body["zone"] == "C"

    pay(local_cloud, reference)  # the return, then the local Pay's webhook for the same payment lands too
    fire_reconciler(local_cloud)  # and the reconciler finds it finished: all three announce the same order-paid
    local_cloud.wait_for_idle(timeout_s=30)

    item = stored(local_cloud, reference)
    assert item is not None
    assert item["status"]["S"] == "issued", item
    assert "outbox" in item  # permit-issued, stored with the move to issued

    def issued_emails() -> list[dict[str, Any]]:
        return [m for m in outbox(local_cloud, email) if m["subject"] == SUBJECT]

    eventually(lambda: bool(issued_emails()), timeout_s=30)
    local_cloud.wait_for_idle(timeout_s=30)
    [sent] = issued_emails()  # once, though the payment's success was seen three times
    assert sent["type"] == "email"
    assert "Your parking permit for LB19PTR in zone C is issued." in sent["body"]
    assert f"valid from {_day(body['valid_from'])} to {_day(body['valid_to'])}, both days included" in sent["body"]
    assert f"Application reference: {reference}." in sent["body"]
    assert len(outbox(local_cloud, email)) == 1  # nothing else was sent to the resident
