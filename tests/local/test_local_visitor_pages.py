"""The visitor permits pages end to end in the local cloud: a zone A permit applied for and paid in the local Pay,
its emailed manage link opened through the front door, its visitor page showing the household's balance, and a
session started there for a visitor's mark from this minute for 24 hours: the devices' look-up then answers
`visitor-session` for that mark and the page lists it. The functions' clock is real: when the next 24 hours hold no
controlled time in zone A (a Saturday evening to Sunday morning, a bank holiday), the page must show that refusal as
an error summary instead, with nothing started (checked either way, never skipped)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from permits.visitors import controlled_minutes
from permits.zones import load_zones
from shared.calendar import LONDON
from tests.local.test_local_notifications_journey import Browser
from tests.local.test_local_permit_applications import apply, found_address, stored
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_manage import _manage_link
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

PERMIT_MARK = "VP24PRM"  # the stand-in's vehicle for this test alone
VISITOR_MARK = "VP24VSN"  # a visitor's mark no other test uses


def _this_minute() -> datetime:
    """Now in London to the minute, at least 20 seconds before the next one (a session may start up to a minute
    before the function's now)."""
    if datetime.now(UTC).second > 40:
        time.sleep(61 - datetime.now(UTC).second)
    return datetime.now(UTC).astimezone(LONDON).replace(second=0, microsecond=0)


def test_a_visitor_session_started_from_the_manage_link_is_a_visitor_session_at_the_look_up(local_cloud: Any):
    email = f"visitors.{uuid.uuid4().hex[:8]}@example.org"
    address = found_address(local_cloud, "ME15 7LT")  # Tannery Yard: zone A, by the hour
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": PERMIT_MARK,
                                  "contact": {"email": email}})  # fmt: skip
    assert applied["status"] == 201, applied
    pay(local_cloud, applied["body"]["reference"])
    assert stored(local_cloud, applied["body"]["reference"])["status"]["S"] == "issued"  # type: ignore[index]
    path = _manage_link(local_cloud, email)

    browser = Browser(local_cloud)
    assert browser.request("GET", path).status == 200
    shown = browser.request("GET", f"{path}/visitors")
    page = shown.body.decode()
    assert shown.status == 200, page
    assert "visitor hours left in" in page
    assert "Town centre (zone A)" in page

    start = _this_minute()
    form = {"vrm": VISITOR_MARK.lower(), "visit-day": str(start.day), "visit-month": str(start.month),
            "visit-year": str(start.year), "start-time": f"{start:%H:%M}", "hours": "24"}  # fmt: skip
    started = browser.request("POST", f"{path}/visitors", form)
    page = started.body.decode()
    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    look_up = _check(local_cloud, token, VISITOR_MARK, "A", post=True).json()
    if controlled_minutes(load_zones().zone("A"), start, start + timedelta(hours=24)) == 0:
        assert "There is a problem" in page
        assert "not controlled at that time" in page
        assert look_up["answer"] == "no-permit"
        return
    assert started.status == 200, page
    assert f"{VISITOR_MARK} has a visitor permit for" in page
    assert page.count(VISITOR_MARK) >= 2  # the banner and the sessions booked
    assert look_up["answer"] == "visitor-session"
    assert look_up["session_id"]
    assert _check(local_cloud, token, VISITOR_MARK, "B", post=True).json()["answer"] == "no-permit"
