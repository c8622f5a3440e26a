"""The hand-over between a permit and its renewal, end to end in the local cloud (permits.handover): a permit applied
for and paid in the local Pay, renewed with `renews` and paid, then

- its vehicle changed to an electric car (free in zone B): the renewal moves to the new vehicle in the same write,
  the look-up `valid` for the new mark by the current permit today and by the renewal tomorrow, the old mark by
  neither; each permit refunded from its own payment in the local Pay;
  then staff revoke the renewal before it starts: the mark goes back to the current permit, valid to its last day;
- (a second car of the household) the current permit cancelled: the renewal is kept and still starts tomorrow, the
  answer says so; the look-up says `no-permit` today and `valid` by the renewal tomorrow.

The functions' clock is real, so each first permit's dates (its application's too, which price the change and the
refund) are moved back in the table as if it had been bought three months ago and today were its last day, as
tests/local/test_local_permit_renewal.py does. Tomorrow's answers are asked of `permits.enforcement` over the local
cloud's table at noon on that day.
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
from tests.local.test_local_permit_changes import change, pay, pay_refunds
from tests.local.test_local_permit_schedule import _item
from tests.local.test_local_permits import _check, _device, _table, _token

pytestmark = pytest.mark.local

ADDRESS = {"uprn": "999000030003", "postcode": "ME14 1XX", "street": "HOPFIELD LANE"}  # 3 Ragstone Mews: zone B
OLD, NEW, CANCELLED = "HV21OLD", "HV21EVN", "HC21CNL"  # the stand-in's cars kept for this test alone


def _bought_months_ago(local_cloud: Any, reference: str, permit_id: str, last_day: date) -> None:
    """The permit's and its application's dates moved back so that `last_day` is its last day."""
    dynamodb, table = local_cloud.client("dynamodb"), local_cloud.physical_id(PERMITS)
    dates = {":from": {"S": (last_day - timedelta(days=91)).isoformat()}, ":to": {"S": last_day.isoformat()}}
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": f"PERMIT#{permit_id}"}, "sk": {"S": "PERMIT"}},
        UpdateExpression="SET valid_from = :from, valid_to = :to, due_on = :due",
        ExpressionAttributeValues={**dates, ":due": {"S": (last_day + timedelta(days=1)).isoformat()}},
    )
    dynamodb.update_item(
        TableName=table,
        Key={"pk": {"S": f"APPLICATION#{reference}"}, "sk": {"S": "APPLICATION"}},
        UpdateExpression="SET valid_from = :from, valid_to = :to",
        ExpressionAttributeValues=dates,
    )


def _renewed(local_cloud: Any, mark: str, today: date) -> tuple[str, str, str, str]:
    """A permit for `mark` whose last day is today, renewed and paid: the two references and permit ids."""
    first = apply(local_cloud, {"address": ADDRESS, "kind": "resident", "months": 3, "vrm": mark})
    assert first["status"] == 201, first
    reference = first["body"]["reference"]
    pay(local_cloud, reference)
    old_id = _item(local_cloud, f"APPLICATION#{reference}", "APPLICATION")["permit_id"]["S"]
    _bought_months_ago(local_cloud, reference, old_id, today)
    function = function_named_by_handler(local_cloud, HANDLER)
    prefilled = invoke(local_cloud, function, {"action": "renewal", "reference": reference})
    assert prefilled["status"] == 200, prefilled
    body = prefilled["body"]
    renewal = {"address": ADDRESS, "kind": body["kind"], "months": body["months"], "vrm": body["vrm"],
               "start": body["start"], "renews": body["renews"]}  # fmt: skip
    applied = apply(local_cloud, renewal)
    assert applied["status"] == 201, applied
    renewal_reference = applied["body"]["reference"]
    pay(local_cloud, renewal_reference)
    new = _item(local_cloud, f"APPLICATION#{renewal_reference}", "APPLICATION")
    assert new["status"]["S"] == "issued", new
    new_id = new["permit_id"]["S"]
    assert _item(local_cloud, f"PERMIT#{old_id}", "PERMIT")["renewed_by"]["S"] == new_id
    return reference, old_id, renewal_reference, new_id


def _tomorrow(local_cloud: Any, mark: str, today: date) -> tuple[str, str]:
    store = PermitsStore(_table(local_cloud, PERMITS))
    noon = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    answer = enforcement.check(store, load_zones(), mark, "B", noon)
    return str(answer.outcome), answer.permit_id or ""


def _guard(local_cloud: Any, mark: str) -> str | None:
    found = local_cloud.client("dynamodb").get_item(
        TableName=local_cloud.physical_id(PERMITS), Key={"pk": {"S": f"ACTIVE#B#{mark}"}, "sk": {"S": "GUARD"}}
    )
    return found["Item"]["permit_id"]["S"] if "Item" in found else None


def test_renewed_then_the_current_permits_vehicle_changed_the_renewal_is_on_the_new_vehicle(local_cloud):
    today = london_day(datetime.now(UTC))
    reference, old_id, renewal_reference, new_id = _renewed(local_cloud, OLD, today)
    renewal_paid = int(_item(local_cloud, f"APPLICATION#{renewal_reference}", "APPLICATION")["amount_pence"]["N"])

    changed = change(local_cloud, "change-vehicle", reference=reference, vrm=NEW)
    assert changed["status"] == 200, changed
    body = changed["body"]
    assert (body["status"], body["vrm"], body["old_vrm"]) == ("applied", NEW, OLD)
    assert body["renewal_note"].endswith("is for HV21 EVN too."), body
    for permit_id in (old_id, new_id):
        assert _item(local_cloud, f"PERMIT#{permit_id}", "PERMIT")["vrm"]["S"] == NEW
    assert _item(local_cloud, f"APPLICATION#{renewal_reference}", "APPLICATION")["mark"]["S"] == NEW
    assert (_guard(local_cloud, NEW), _guard(local_cloud, OLD)) == (new_id, None)
    # the electric car is free: the renewal is refunded all it paid, the current permit its month left
    assert pay_refunds(renewal_reference) == [renewal_paid]
    assert sum(pay_refunds(reference)) + renewal_paid == body["to_refund_pence"]
    (own_refund,) = pay_refunds(reference)
    assert own_refund > 0

    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    now_new = _check(local_cloud, token, NEW, "B", post=True).json()
    assert (now_new["answer"], now_new["permit_id"]) == ("valid", old_id)  # today: the current permit's last day
    assert _check(local_cloud, token, OLD, "B", post=True).json()["answer"] == "no-permit"
    assert _tomorrow(local_cloud, NEW, today) == ("valid", new_id)
    assert _tomorrow(local_cloud, OLD, today)[0] == "no-permit"

    # Staff revoke the renewal before it starts (through the PermitsStaff function, under its own IAM policy): the
    # mark's guard goes back to the current permit, valid to the end of today; tomorrow it has expired.
    staff = function_named_by_handler(local_cloud, "permits.staff_handler.handler")
    revoked = invoke(local_cloud, staff, {"action": "revoke", "key": new_id, "reason": "Bought by mistake",
                                          "staff": {"subject": "sub-handover", "roles": ["caseworker"]},
                                          "correlation_id": "t"})  # fmt: skip
    assert revoked["status"] == 200, revoked
    assert _guard(local_cloud, NEW) == old_id
    assert "renewed_by" not in _item(local_cloud, f"PERMIT#{old_id}", "PERMIT")
    today_new = _check(local_cloud, token, NEW, "B", post=True).json()
    assert (today_new["answer"], today_new["permit_id"]) == ("valid", old_id)
    assert _tomorrow(local_cloud, NEW, today) == ("expired", old_id)


def test_renewed_then_the_current_permit_cancelled_the_renewal_still_starts_on_its_day(local_cloud):
    today = london_day(datetime.now(UTC))
    reference, old_id, _, new_id = _renewed(local_cloud, CANCELLED, today)

    cancelled = change(local_cloud, "cancel", reference=reference)
    assert cancelled["status"] == 200, cancelled
    body = cancelled["body"]
    assert body["status"] == "cancelled"
    starts = today + timedelta(days=1)
    assert f"it starts on {starts:%-d %B %Y}" in body["renewal_note"], body
    assert body["refund_pence"] == 0  # its last day: no whole month unused
    assert _item(local_cloud, f"PERMIT#{old_id}", "PERMIT")["status"]["S"] == "cancelled"
    assert _item(local_cloud, f"PERMIT#{new_id}", "PERMIT")["status"]["S"] == "active"
    assert _guard(local_cloud, CANCELLED) == new_id

    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    assert _check(local_cloud, token, CANCELLED, "B", post=True).json()["answer"] == "no-permit"
    assert _tomorrow(local_cloud, CANCELLED, today) == ("valid", new_id)
