"""The permits' daily schedule end to end in the local cloud: the DailyPermitSchedule rule fired (the local
scheduler, as EventBridge would) for the days that matter, and the PermitSchedule function invoked again for the
same day as a rerun, which then does nothing.

- An application left unpaid through the deployed PermitApplications function: warned on day 25 (its `outbox`
  holds `permit-application-expiring`), cancelled on day 30 (`get` says `cancelled`).
- An application paid in the local Pay with 4242424242424242: its permit is reminded 28 days and 7 days before its
  last day (`permit-renewal-due`, once each although the job runs twice), the renewal action says from when it
  can be renewed (the function's clock is real: a year ahead), and on the day after its last day the permit ends
  as `expired`: the enforcement look-up through the front door says so.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from permits.schedule import made_on
from shared.events import EventEnvelope
from tests.local.payment_support import function_named_by_handler, invoke
from tests.local.test_local_permit_applications import HANDLER, PERMITS, apply, found_address
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

JOB = "permits.schedule_job.handler"


def _item(local_cloud: Any, pk: str, sk: str) -> dict[str, Any]:
    table = local_cloud.physical_id(PERMITS)
    key = {"pk": {"S": pk}, "sk": {"S": sk}}
    item = local_cloud.client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
    assert item is not None, pk
    return dict(item)


def _event(item: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope.model_validate_json(item["outbox"]["S"])


def _fire(local_cloud: Any, day: date) -> None:
    """The daily rule, fired at 08:00 UTC on `day`, as EventBridge would; then its function has finished."""
    (rule,) = [r for r in local_cloud.scheduler.rules if r.logical_id.startswith("DailyPermitSchedule")]
    assert local_cloud.scheduler.fire(rule, datetime(day.year, day.month, day.day, 8, tzinfo=UTC)) == 1
    local_cloud.wait_for_idle(timeout_s=30)


def _rerun(local_cloud: Any, day: date) -> dict[str, int]:
    """The job run again for `day` (EventBridge's retry, or a person's `{"date"}`): its counts."""
    return invoke(local_cloud, function_named_by_handler(local_cloud, JOB), {"date": day.isoformat()})


def test_an_application_left_unpaid_is_warned_on_day_25_and_cancelled_on_day_30(local_cloud):
    address = found_address(local_cloud, "ME14 1HQ")
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 6, "vrm": "LB19 PTR"})
    assert applied["status"] == 201, applied
    reference = applied["body"]["reference"]
    pk = f"APPLICATION#{reference}"
    item = _item(local_cloud, pk, "APPLICATION")
    made = made_on(item["created_at"]["S"])
    warn, cancel = made + timedelta(days=25), made + timedelta(days=30)
    assert item["due_on"]["S"] == warn.isoformat()

    _fire(local_cloud, warn - timedelta(days=1))
    assert "outbox" not in _item(local_cloud, pk, "APPLICATION")

    _fire(local_cloud, warn)
    warned = _item(local_cloud, pk, "APPLICATION")
    assert (warned["status"]["S"], warned["due_on"]["S"]) == ("pending-payment", cancel.isoformat())
    event = _event(warned)
    assert (event.type, event.data) == ("permit-application-expiring", {"reference": reference,
                                                                        "cancels_on": cancel.isoformat()})  # fmt: skip
    assert _rerun(local_cloud, warn)["warn"] == 0
    assert _item(local_cloud, pk, "APPLICATION")["outbox"] == warned["outbox"]  # not announced again

    _fire(local_cloud, cancel)
    cancelled = _item(local_cloud, pk, "APPLICATION")
    assert cancelled["status"]["S"] == "cancelled-unpaid"
    assert "due_on" not in cancelled
    assert (_event(cancelled).type, _event(cancelled).data) == (
        "permit-application-cancelled",
        {"reference": reference},
    )
    assert _rerun(local_cloud, cancel)["cancel"] == 0
    got = invoke(
        local_cloud, function_named_by_handler(local_cloud, HANDLER), {"action": "get", "reference": reference}
    )
    assert got["body"]["status"] == "cancelled-unpaid"


def test_a_permit_is_reminded_28_and_7_days_before_once_each_and_ends_the_day_after_its_last_day(local_cloud):
    address = found_address(local_cloud, "ME14 1HQ")
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": "L123OLD"})
    assert applied["status"] == 201, applied
    reference = applied["body"]["reference"]
    pay(local_cloud, reference)
    application = _item(local_cloud, f"APPLICATION#{reference}", "APPLICATION")
    assert application["status"]["S"] == "issued", application
    assert "due_on" not in application  # paid: never warned nor cancelled
    permit_id = application["permit_id"]["S"]
    pk = f"PERMIT#{permit_id}"
    last = date.fromisoformat(_item(local_cloud, pk, "PERMIT")["valid_to"]["S"])

    for days_left, next_due in ((28, last - timedelta(days=7)), (7, last + timedelta(days=1))):
        day = last - timedelta(days=days_left)
        _fire(local_cloud, day)
        assert _rerun(local_cloud, day)["remind"] == 0  # the job ran twice: reminded once
        item = _item(local_cloud, pk, "PERMIT")
        assert item["due_on"]["S"] == next_due.isoformat()
        event = _event(item)
        assert event.type == "permit-renewal-due"
        assert event.data == {"reference": reference, "permit_id": permit_id, "valid_to": last.isoformat(),
                              "days_left": days_left}  # fmt: skip

    # The renewal pre-filled, asked for today (the function's clock is real): a year ahead, so not yet.
    renewal = invoke(
        local_cloud, function_named_by_handler(local_cloud, HANDLER), {"action": "renewal", "reference": reference}
    )
    assert renewal["status"] == 409, renewal
    assert renewal["body"]["reason"] == "too-early"
    assert renewal["body"]["renewable_from"] == (last + timedelta(days=1) - timedelta(days=90)).isoformat()

    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    assert _check(local_cloud, token, "L123OLD", "B", post=True).json()["answer"] == "valid"
    _fire(local_cloud, last + timedelta(days=1))
    assert _rerun(local_cloud, last + timedelta(days=1))["expire"] == 0
    ended = _item(local_cloud, pk, "PERMIT")
    assert ended["status"]["S"] == "expired"
    assert "due_on" not in ended
    checked = _check(local_cloud, token, "L123OLD", "B", post=True)
    assert checked.status == 200, checked.body
    assert (checked.json()["answer"], checked.json()["permit_id"]) == ("expired", permit_id)
