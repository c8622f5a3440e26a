"""The visitor wallet end to end in the local cloud: a session started through the deployed PermitApplications
function (the household's UPRN as the OS Places stand-in gives it), the devices' look-up through the front door then
answering `visitor-session` for the mark in the zone, the balance lowered; a future visitor day started and
cancelled, the day given back and the look-up never accepting it; a refusal answered 422 with its detail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from permits.visitors import controlled_minutes, controlled_on
from permits.zones import load_zones
from shared.calendar import LONDON
from tests.local.payment_support import function_named_by_handler, invoke
from tests.local.test_local_permit_applications import HANDLER, found_address
from tests.local.test_local_permits import _check, _device, _table, _token

pytestmark = pytest.mark.local

NOW_MARK = "VW12SES"  # marks no other local test gives a permit or a session
DAY_MARK = "VW12DAY"


def wallet(local_cloud: Any, action: str, **fields: Any) -> dict[str, Any]:
    function = function_named_by_handler(local_cloud, HANDLER)
    return invoke(local_cloud, function, {"action": action, **fields, "correlation_id": "t"})


def running_now() -> dict[str, Any] | None:
    """A session that runs now and uses some of a wallet: a day in Hopfield (B) on a weekday, else 24 hours in the
    Town centre (A) from now; None when neither uses any (a Sunday night, a bank holiday)."""
    zones, now = load_zones(), datetime.now(UTC)
    today = now.astimezone(LONDON).date()
    if controlled_on(zones.zone("B"), today):
        return {"zone": "B", "day": today.isoformat()}
    if controlled_minutes(zones.zone("A"), now + timedelta(minutes=1), now + timedelta(hours=24)):
        return {"zone": "A", "start": (now + timedelta(minutes=1)).isoformat(), "hours": 24}
    return None


def test_a_session_started_through_the_function_is_a_visitor_session_at_the_look_up(local_cloud):
    fields = running_now()
    if fields is None:
        pytest.skip("no zone with visitor permits is controlled now or in the next day (Sunday night, bank holiday)")
    postcode = "ME14 1HQ" if fields["zone"] == "B" else "ME15 6JQ"  # Hopfield, or Cobnut Row in the Town centre
    uprn = found_address(local_cloud, postcode)["uprn"]
    before = wallet(local_cloud, "visitor-balance", uprn=uprn, zone=fields["zone"])
    assert before["status"] == 200, before
    started = wallet(local_cloud, "start-visitor-session", uprn=uprn, vrm=NOW_MARK.lower(), **fields)
    assert started["status"] == 201, started
    used = started["body"]["balance"]["used"] - before["body"]["used"]
    assert used > 0
    after = wallet(local_cloud, "visitor-balance", uprn=uprn, zone=fields["zone"])
    assert after["body"]["left"] == before["body"]["left"] - used

    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    answer = _check(local_cloud, token, NOW_MARK, fields["zone"], post=True).json()
    assert (answer["answer"], answer["session_id"]) == ("visitor-session", started["body"]["session"]["id"])
    other = "A" if fields["zone"] == "B" else "B"
    assert _check(local_cloud, token, NOW_MARK, other, post=True).json()["answer"] == "no-permit"


def test_a_future_visitor_day_is_cancelled_and_given_back(local_cloud):
    zones = load_zones()
    uprn = found_address(local_cloud, "ME14 1XX")["uprn"]  # Hopfield: 50 visitor days a year
    day = datetime.now(UTC).astimezone(LONDON).date() + timedelta(days=2)
    while not controlled_on(zones.zone("B"), day):
        day += timedelta(days=1)
    if day.year != datetime.now(UTC).astimezone(LONDON).year:
        pytest.skip("the next controlled day is in next year's wallet")
    before = wallet(local_cloud, "visitor-balance", uprn=uprn, zone="B")["body"]
    started = wallet(local_cloud, "start-visitor-session", uprn=uprn, zone="B", vrm=DAY_MARK, day=day.isoformat())
    assert started["status"] == 201, started
    assert started["body"]["balance"]["left"] == before["left"] - 1
    session_id = started["body"]["session"]["id"]

    saturday = day + timedelta(days=(5 - day.weekday()) % 7)
    refused = wallet(local_cloud, "start-visitor-session", uprn=uprn, zone="B", vrm=DAY_MARK, day=saturday.isoformat())
    assert (refused["status"], refused["body"]["refusal"]) == (422, "OutsideControlledHours")
    assert "not controlled" in refused["body"]["detail"]
    someone_else = wallet(local_cloud, "cancel-visitor-session", uprn="100000000099", session_id=session_id)
    assert someone_else["status"] == 404

    cancelled = wallet(local_cloud, "cancel-visitor-session", uprn=uprn, session_id=session_id)
    assert cancelled["status"] == 200, cancelled
    assert cancelled["body"]["balance"]["left"] == before["left"]
    assert wallet(local_cloud, "visitor-balance", uprn=uprn, zone="B")["body"]["left"] == before["left"]
    again = wallet(local_cloud, "cancel-visitor-session", uprn=uprn, session_id=session_id)
    assert (again["status"], again["body"]["refusal"]) == (422, "NotCancellable")
    item = _table(local_cloud, "Borough-dev-Permits/Permits").get_item(
        Key={"pk": f"SESSION#{session_id}", "sk": "SESSION"}
    )["Item"]
    assert item["end"] == item["start"]  # what the look-up and the devices' feed see: nothing to accept
