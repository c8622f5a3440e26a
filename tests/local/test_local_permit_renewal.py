"""Renewing a permit while it is still active, end to end in the local cloud: applied for and paid in the local Pay
(4242424242424242), its renewal pre-filled by the `renewal` action and applied for with `renews`, paid, both permits
in the table with the VRM guard and the household's place passed to the renewal; then the daily rule fired for the
day after the old permit's last day: the old one `expired`, the renewal holding the guard, and the look-up `valid`
by the old permit on its last day and by the renewal from the next.

The functions' clock is real and a permit runs three months at least, while a renewal may start at most 90 days
ahead: so once the first permit is issued its dates are moved back in the table, as if it had been bought three
months ago and today were its last day (its `due_on` its expiry day, as the daily job would have left it). The
look-up through the front door answers for now (the old permit's last day); the next day's answer is asked of
`permits.enforcement` over the local cloud's table at noon on that day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from permits import enforcement
from permits.schedule import london_day
from permits.store import PermitsStore
from permits.zones import load_zones
from tests.local.payment_support import function_named_by_handler, invoke
from tests.local.test_local_permit_applications import HANDLER, PERMITS, apply
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permit_schedule import _fire, _item
from tests.local.test_local_permits import _check, _device, _table, _token

pytestmark = pytest.mark.local

ADDRESS = {"uprn": "999000030002", "postcode": "ME14 1XX", "street": "HOPFIELD LANE"}  # 2 Ragstone Mews: zone B
MARK = "RN21WAL"  # the stand-in's petrol car kept for this test alone


def _permit_of(local_cloud: Any, reference: str) -> dict[str, Any]:
    application = _item(local_cloud, f"APPLICATION#{reference}", "APPLICATION")
    assert application["status"]["S"] == "issued", application
    return _item(local_cloud, f"PERMIT#{application['permit_id']['S']}", "PERMIT")


def _bought_months_ago(local_cloud: Any, permit_id: str, last_day: date) -> None:
    """The permit's dates moved back (see the module's docstring): `last_day` is its last day."""
    local_cloud.client("dynamodb").update_item(
        TableName=local_cloud.physical_id(PERMITS),
        Key={"pk": {"S": f"PERMIT#{permit_id}"}, "sk": {"S": "PERMIT"}},
        UpdateExpression="SET valid_from = :from, valid_to = :to, due_on = :due",
        ExpressionAttributeValues={
            ":from": {"S": (last_day - timedelta(days=91)).isoformat()},
            ":to": {"S": last_day.isoformat()},
            ":due": {"S": (last_day + timedelta(days=1)).isoformat()},
        },
    )


def _guard_and_count(local_cloud: Any) -> tuple[str | None, int]:
    dynamodb, table = local_cloud.client("dynamodb"), local_cloud.physical_id(PERMITS)
    guard = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"ACTIVE#B#{MARK}"}, "sk": {"S": "GUARD"}})
    count = dynamodb.get_item(
        TableName=table, Key={"pk": {"S": f"HOUSEHOLD#{ADDRESS['uprn']}#B"}, "sk": {"S": "COUNT"}}
    )
    return (
        guard["Item"]["permit_id"]["S"] if "Item" in guard else None,
        int(count["Item"]["active"]["N"]) if "Item" in count else 0,
    )


def test_a_permit_renewed_while_active_hands_over_to_its_renewal_the_day_after_its_last_day(local_cloud):
    first = apply(local_cloud, {"address": ADDRESS, "kind": "resident", "months": 3, "vrm": MARK})
    assert first["status"] == 201, first
    reference = first["body"]["reference"]
    pay(local_cloud, reference)
    old_id = _permit_of(local_cloud, reference)["permit_id"]["S"]
    today = london_day(datetime.now(UTC))
    _bought_months_ago(local_cloud, old_id, today)
    assert _guard_and_count(local_cloud) == (old_id, 1)

    function = function_named_by_handler(local_cloud, HANDLER)
    prefilled = invoke(local_cloud, function, {"action": "renewal", "reference": reference})
    assert prefilled["status"] == 200, prefilled
    body = prefilled["body"]
    assert (body["renews"], body["start"], body["vrm"]) == (reference, (today + timedelta(days=1)).isoformat(), MARK)
    renewal = {"address": ADDRESS, "kind": body["kind"], "months": body["months"], "vrm": body["vrm"],
               "start": body["start"]}  # fmt: skip
    refused = apply(local_cloud, renewal)  # without `renews` the active permit refuses it, as before
    assert (refused["status"], refused["body"]["refusal"]) == (422, "VrmAlreadyPermitted"), refused
    wrong_day = apply(local_cloud, {**renewal, "renews": reference, "start": today.isoformat()})
    assert (wrong_day["status"], wrong_day["body"]["refusal"]) == (422, "RenewalNotAllowed"), wrong_day
    applied = apply(local_cloud, {**renewal, "renews": body["renews"]})
    assert applied["status"] == 201, applied
    assert (applied["body"]["valid_from"], applied["body"]["amount_pence"]) == (
        body["valid_from"],
        body["amount_pence"],
    )
    pay(local_cloud, applied["body"]["reference"])
    new = _permit_of(local_cloud, applied["body"]["reference"])
    new_id = new["permit_id"]["S"]
    assert new["status"]["S"] == "active"
    assert _item(local_cloud, f"PERMIT#{old_id}", "PERMIT")["renewed_by"]["S"] == new_id
    assert _guard_and_count(local_cloud) == (new_id, 1)  # taken over: the household's place not counted twice

    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    checked = _check(local_cloud, token, MARK, "B", post=True).json()
    assert (checked["answer"], checked["permit_id"]) == ("valid", old_id)  # today: the old permit's last day

    _fire(local_cloud, today + timedelta(days=1))  # the day after its last day
    assert _item(local_cloud, f"PERMIT#{old_id}", "PERMIT")["status"]["S"] == "expired"
    assert _item(local_cloud, f"PERMIT#{new_id}", "PERMIT")["status"]["S"] == "active"
    assert _guard_and_count(local_cloud) == (new_id, 1)  # the old permit's end left both to the renewal
    store = PermitsStore(_table(local_cloud, PERMITS))
    next_noon = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    answer = enforcement.check(store, load_zones(), MARK, "B", next_noon)
    assert (str(answer.outcome), answer.permit_id) == ("valid", new_id)
