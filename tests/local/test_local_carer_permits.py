"""Carer permits end to end in the local cloud: a zone A carer permit applied for with no vehicle through the
deployed PermitApplications function, paid in the local Pay and issued; its emailed manage link opened through the
front door, its carer page starting a session for a carer's mark from now for 24 hours: the devices' look-up then
answers `carer-session` (the permit's and the session's ids) for that mark in zone A and `no-permit` in zone B; the
session ended from the page, the look-up answers `no-permit`. The functions' clock is real: when the next 24 hours
hold no controlled time in zone A (a Saturday evening to Sunday morning, a bank holiday), the page must show that
refusal instead, with nothing started (checked either way, never skipped). A carer application naming a vehicle is
400 and one in a zone without carer permits 422, nothing stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from permits.visitors import controlled_minutes
from permits.zones import load_zones
from tests.local.test_local_notifications_journey import Browser
from tests.local.test_local_permit_applications import apply, count_applications, found_address, stored
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_manage import _manage_link
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

CARER_MARK = "CR24CAR"  # a carer's mark no other test uses


def test_a_carer_permit_paid_for_covers_a_carers_vehicle_while_its_session_runs(local_cloud: Any):
    email = f"carer.{uuid.uuid4().hex[:8]}@example.org"
    address = found_address(local_cloud, "ME15 6JQ")  # Cobnut Row: zone A
    before = count_applications(local_cloud)
    named = apply(local_cloud, {"address": address, "kind": "carer", "months": 12, "vrm": CARER_MARK,
                                "contact": {"email": email}})  # fmt: skip
    assert named["status"] == 400, named
    assert "not tied to one vehicle" in named["body"]["detail"]
    assert count_applications(local_cloud) == before

    applied = apply(local_cloud, {"address": address, "kind": "carer", "months": 12, "contact": {"email": email}})
    assert applied["status"] == 201, applied
    assert (applied["body"]["kind"], applied["body"]["vrm"]) == ("carer", "")
    assert applied["body"]["amount_pence"] > 0
    reference = applied["body"]["reference"]
    pay(local_cloud, reference)
    item = stored(local_cloud, reference)
    assert item is not None
    assert item["status"]["S"] == "issued"
    permit_id = item["permit_id"]["S"]
    path = _manage_link(local_cloud, email)

    browser = Browser(local_cloud)
    manage = browser.request("GET", path).body.decode()
    assert f'href="{path}/carer"' in manage
    shown = browser.request("GET", f"{path}/carer")
    assert shown.status == 200, shown.body.decode()
    assert "Town centre (zone A)" in shown.body.decode()

    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    now = datetime.now(UTC)
    started = browser.request("POST", f"{path}/carer", {"vrm": CARER_MARK.lower(), "hours": "24"})
    page = started.body.decode()
    look_up = _check(local_cloud, token, CARER_MARK, "A", post=True).json()
    if controlled_minutes(load_zones().zone("A"), now, now + timedelta(hours=24, minutes=1)) == 0:
        assert "There is a problem" in page
        assert "controlled hours" in page
        assert look_up["answer"] == "no-permit"
        return
    assert started.status == 200, page
    assert f"{CARER_MARK} is covered by your carer permit until" in page
    assert look_up["answer"] == "carer-session", look_up
    assert look_up["permit_id"] == permit_id
    assert look_up["session_id"]
    assert set(look_up) <= {"vrm", "zone", "answer", "checked_at", "permit_id", "session_id", "session_ends",
                            "lookup_id"}  # fmt: skip
    assert _check(local_cloud, token, CARER_MARK, "B", post=True).json()["answer"] == "no-permit"

    again = browser.request("POST", f"{path}/carer", {"vrm": "LB19PTR", "hours": "2"}).body.decode()
    assert "one vehicle at a time" in again.replace("&#39;", "'")
    ended = browser.request("POST", f"{path}/carer/end", {"session_id": look_up["session_id"]})
    assert ended.status == 200, ended.body.decode()
    assert f"{CARER_MARK} is no longer covered by your carer permit" in ended.body.decode()
    assert _check(local_cloud, token, CARER_MARK, "A", post=True).json()["answer"] == "no-permit"


def test_a_carer_permit_in_a_zone_without_them_is_refused_and_stores_nothing(local_cloud: Any):
    address = found_address(local_cloud, "ME15 6JQ")
    station = {**address, "street": "MILLPOND DRIVE", "postcode": "ME99 9ZZ"}  # zone D (by street): no carer permits
    before = count_applications(local_cloud)
    refused = apply(local_cloud, {"address": station, "kind": "carer", "months": 12})
    assert refused["status"] == 422, refused
    assert refused["body"]["refusal"] == "PermitTypeNotOffered"
    assert count_applications(local_cloud) == before
