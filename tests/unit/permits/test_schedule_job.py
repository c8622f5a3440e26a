"""The permits' daily job (`permits.schedule_job`) against moto's DynamoDB, the day it runs for given: an unpaid
application warned on day 25 and cancelled on day 30, a permit reminded 28 and 7 days before its last day and
expired the day after, each step once however often the job runs, its event in the item's `outbox` in the same
write; a payment after the cancellation (or racing it) issues nothing and is `paid-not-issued`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from permits import enforcement, schedule_job
from permits.application import CANCELLED, ISSUED, PAID_NOT_ISSUED, PENDING_PAYMENT, Application, Applications
from permits.issuing import issue_paid, permit_id_for
from permits.schedule_job import PermitSchedule, StepsFailed, run_day
from permits.store import ApplicationNotPending, PermitsStore, Status
from permits.zones import PermitType, load_zones
from shared.events import EventEnvelope, derived_id
from tests.helpers import FakeContext
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import HOME, NOW, Dvla, request
from tests.unit.permits.test_issuing import paid

pytestmark = pytest.mark.unit

MADE = date(2026, 6, 1)  # NOW's London day
WARN, CANCEL = date(2026, 6, 26), date(2026, 7, 1)
LAST = date(2027, 5, 31)  # a 12-month permit from 1 June 2026
REMIND_28, REMIND_7, EXPIRE = date(2027, 5, 3), date(2027, 5, 24), date(2027, 6, 1)


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


def apply(table: Any, **changes: Any) -> str:
    service = Applications(zones=load_zones(), store=PermitsStore(table), vehicles=Dvla, clock=lambda: NOW)
    return service.apply(request(**changes)).reference


def application(table: Any, reference: str) -> dict[str, Any]:
    return dict(table.get_item(Key={"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"})["Item"])


def permit(table: Any, reference: str) -> dict[str, Any]:
    return dict(table.get_item(Key={"pk": f"PERMIT#{permit_id_for(reference)}", "sk": "PERMIT"})["Item"])


def issued(table: Any, **changes: Any) -> str:
    reference = apply(table, **changes)
    store = PermitsStore(table)
    item = application(table, reference)
    assert issue_paid(store, paid(Application.from_item(item)), now=NOW).outcome == ISSUED
    return reference


def run(table: Any, day: date) -> dict[str, int]:
    return PermitSchedule(table).run(day)


def event_of(item: dict[str, Any]) -> EventEnvelope:
    return EventEnvelope.model_validate_json(str(item["outbox"]))


# -- unpaid applications -------------------------------------------------------------------------------------------
def test_an_application_is_stored_with_its_warning_day(table):
    reference = apply(table)
    assert application(table, reference)["due_on"] == WARN.isoformat()


def test_an_unpaid_application_is_warned_on_day_25_once_then_cancelled_on_day_30_once(table):
    reference = apply(table)
    assert run(table, date(2026, 6, 25))["warn"] == 0
    assert "outbox" not in application(table, reference)

    assert run(table, WARN)["warn"] == 1
    warned = application(table, reference)
    assert (warned["status"], warned["due_on"]) == (PENDING_PAYMENT, CANCEL.isoformat())
    event = event_of(warned)
    assert event.type == "permit-application-expiring"
    assert event.data == {"reference": reference, "cancels_on": "2026-07-01"}
    assert event.id == derived_id(f"{reference}:application-expiring")
    assert run(table, WARN)["warn"] == 0  # again on the day: nothing
    assert application(table, reference)["outbox"] == warned["outbox"]  # not written again

    assert run(table, CANCEL)["cancel"] == 1
    cancelled = application(table, reference)
    assert cancelled["status"] == CANCELLED
    assert "due_on" not in cancelled
    assert event_of(cancelled).type == "permit-application-cancelled"
    assert event_of(cancelled).data == {"reference": reference}
    assert event_of(cancelled).id == derived_id(f"{reference}:application-cancelled")
    assert run(table, CANCEL)["cancel"] == 0
    assert run(table, date(2026, 7, 2))["due"] == 0  # it left the index


def test_a_run_days_late_catches_up_and_does_only_the_cancellation(table):
    reference = apply(table)
    counts = run(table, date(2026, 7, 3))  # the runs of 26 June to 2 July were missed
    assert (counts["warn"], counts["cancel"]) == (0, 1)
    assert event_of(application(table, reference)).type == "permit-application-cancelled"


def test_a_paid_application_is_neither_warned_nor_cancelled(table):
    reference = issued(table)
    assert "due_on" not in application(table, reference)
    assert run(table, WARN)["warn"] == 0
    assert run(table, CANCEL)["cancel"] == 0
    assert application(table, reference)["status"] == ISSUED


def test_a_payment_after_the_cancellation_issues_nothing_and_is_paid_not_issued(table):
    reference = apply(table)
    run(table, CANCEL)
    outcome = issue_paid(PermitsStore(table), paid(Application.from_item(application(table, reference))), now=NOW)
    assert outcome.outcome == PAID_NOT_ISSUED
    item = application(table, reference)
    assert (item["status"], item["reason"], item["payment_id"]) == (PAID_NOT_ISSUED, "cancelled", "pay1")
    assert "Item" not in table.get_item(Key={"pk": f"PERMIT#{permit_id_for(reference)}", "sk": "PERMIT"})
    assert PermitsStore(table).by_vrm("LB19PTR") == ([], [])


def test_an_issue_racing_the_cancellation_writes_nothing(table):
    """The issuer read the application unpaid, then the job cancelled it: the permit's transaction refuses."""
    reference = apply(table)
    run(table, CANCEL)
    with pytest.raises(ApplicationNotPending):
        PermitsStore(table).issue(
            vrm="LB19PTR", zone="B", kind=PermitType.RESIDENT, valid_from=MADE, valid_to=LAST, household=HOME,
            household_limit=2, counts_towards_limit=True, permit_id=permit_id_for(reference), reference=reference,
        )  # fmt: skip
    assert PermitsStore(table).by_vrm("LB19PTR") == ([], [])
    assert "Item" not in table.get_item(Key={"pk": "ACTIVE#B#LB19PTR", "sk": "GUARD"})


def test_a_cancellation_racing_the_issue_cancels_nothing(table):
    """The permit was written (the issuer not yet marking the application issued): the job leaves it to finish."""
    reference = apply(table)
    PermitsStore(table).issue(
        vrm="LB19PTR", zone="B", kind=PermitType.RESIDENT, valid_from=MADE, valid_to=LAST, household=HOME,
        household_limit=2, counts_towards_limit=True, permit_id=permit_id_for(reference), reference=reference,
    )  # fmt: skip
    assert run(table, CANCEL)["cancel"] == 0
    assert application(table, reference)["status"] == PENDING_PAYMENT
    redelivered = issue_paid(PermitsStore(table), paid(Application.from_item(application(table, reference))))
    assert redelivered.outcome == ISSUED


# -- issued permits ------------------------------------------------------------------------------------------------
def test_a_permit_is_issued_with_its_reference_and_first_reminder_day(table):
    reference = issued(table)
    item = permit(table, reference)
    assert (item["reference"], item["due_on"], item["valid_to"]) == (reference, REMIND_28.isoformat(), "2027-05-31")


def test_a_permit_is_reminded_28_then_7_days_before_once_each_and_expires_the_day_after(table):
    reference = issued(table)
    permit_id = permit_id_for(reference)
    assert run(table, date(2027, 5, 2))["remind"] == 0
    for day, days_left, next_due in ((REMIND_28, 28, REMIND_7), (REMIND_7, 7, EXPIRE)):
        assert run(table, day)["remind"] == 1
        assert run(table, day)["remind"] == 0  # the rerun sends nothing
        item = permit(table, reference)
        assert item["due_on"] == next_due.isoformat()
        event = event_of(item)
        assert event.type == "permit-renewal-due"
        assert event.data == {
            "reference": reference, "permit_id": permit_id, "valid_to": "2027-05-31", "days_left": days_left,
        }  # fmt: skip
        assert event.id == derived_id(f"{permit_id}:renewal-due:{days_left}")

    moment = datetime(2027, 6, 1, 9, tzinfo=UTC)
    assert run(table, EXPIRE)["expire"] == 1
    assert run(table, EXPIRE)["expire"] == 0
    ended = permit(table, reference)
    assert ended["status"] == str(Status.EXPIRED)
    assert "due_on" not in ended
    assert "Item" not in table.get_item(Key={"pk": "ACTIVE#B#LB19PTR", "sk": "GUARD"})  # the mark is free again
    counter = table.get_item(Key={"pk": f"HOUSEHOLD#{HOME}#B", "sk": "COUNT"})["Item"]
    assert counter["active"] == 0
    answer = enforcement.check(PermitsStore(table), load_zones(), "LB19PTR", "B", moment)
    assert (answer.outcome, answer.permit_id) == (enforcement.Outcome.EXPIRED, permit_id)


def test_the_look_up_says_expired_for_a_permit_the_job_ended_whatever_its_dates(table):
    reference = issued(table)
    PermitsStore(table).end(permit_id_for(reference), Status.EXPIRED)
    answer = enforcement.check(PermitsStore(table), load_zones(), "LB19PTR", "B", datetime(2026, 6, 2, tzinfo=UTC))
    assert answer.outcome is enforcement.Outcome.EXPIRED


def test_a_reminder_up_to_a_week_late_is_still_sent_with_the_days_actually_left(table):
    reference = issued(table)
    assert run(table, date(2027, 5, 10))["remind"] == 1  # 3 to 9 May missed
    item = permit(table, reference)
    assert (event_of(item).data["days_left"], item["due_on"]) == (21, REMIND_7.isoformat())
    assert event_of(item).id == derived_id(f"{permit_id_for(reference)}:renewal-due:28")


def test_a_step_missed_for_longer_than_the_window_waits_for_a_run_for_its_day(table):
    reference = issued(table)
    assert run(table, date(2027, 5, 11))["due"] == 0  # 8 days late: outside the catch-up window
    assert run(table, REMIND_28)["remind"] == 1  # a person runs the job for that day ({"date": ...})
    assert permit(table, reference)["due_on"] == REMIND_7.isoformat()


def test_a_revoked_permit_is_not_reminded(table):
    reference = issued(table)
    PermitsStore(table).end(permit_id_for(reference), Status.REVOKED)
    assert "due_on" not in permit(table, reference)
    assert run(table, REMIND_28)["due"] == 0


def test_an_item_whose_last_day_changed_is_moved_to_its_next_step(table):
    reference = issued(table)
    key = {"pk": f"PERMIT#{permit_id_for(reference)}", "sk": "PERMIT"}
    table.update_item(Key=key, UpdateExpression="SET valid_to = :to", ExpressionAttributeValues={":to": "2027-06-30"})
    counts = run(table, REMIND_28)
    assert (counts["due"], counts["remind"]) == (1, 0)
    assert permit(table, reference)["due_on"] == "2027-06-02"  # 28 days before 30 June


def test_a_failed_write_is_left_for_the_next_run(table, monkeypatch):
    reference = apply(table)

    def throttled(*_: Any, **__: Any) -> Any:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "UpdateItem")

    job = PermitSchedule(table)
    monkeypatch.setattr(job._table, "update_item", throttled)
    assert job.run(WARN)["failed"] == 1
    monkeypatch.undo()
    assert application(table, reference)["due_on"] == WARN.isoformat()
    assert run(table, date(2026, 6, 27))["warn"] == 1  # the next day's run catches it up


def test_a_run_stops_when_the_invocation_is_nearly_out_of_time(table):
    apply(table)
    counts = PermitSchedule(table).run(WARN, seconds_left=lambda: 1.0)
    assert counts["due"] == 0
    assert run(table, WARN)["warn"] == 1


@pytest.mark.parametrize(
    ("event", "day"),
    [
        ({"date": "2028-02-29"}, date(2028, 2, 29)),
        ({"time": "2026-03-29T00:30:00Z"}, date(2026, 3, 29)),  # before the spring change: GMT
        ({"time": "2026-06-30T23:30:00Z"}, date(2026, 7, 1)),  # BST: already 1 July in London
        ({"time": "2026-10-25T23:30:00Z"}, date(2026, 10, 25)),  # GMT again
    ],
)
def test_the_run_day_is_the_one_asked_for_or_the_rules_london_day(event, day):
    assert run_day(event) == day


def test_nothing_is_scanned(table, monkeypatch):
    apply(table)

    def no_scan(*_: Any, **__: Any) -> Any:
        raise AssertionError("scanned")

    monkeypatch.setattr(table, "scan", no_scan)
    assert json.dumps(PermitSchedule(table).run(WARN))


def test_the_scheduled_handler_runs_for_the_rules_day_and_fails_loudly_when_a_step_fails(table, monkeypatch):
    reference = apply(table)
    monkeypatch.setenv("PERMITS_TABLE", "Permits")
    counts = schedule_job.handler({"time": "2026-06-26T08:00:00Z"}, FakeContext())
    assert counts["warn"] == 1
    assert application(table, reference)["due_on"] == CANCEL.isoformat()

    def throttled(*_: Any, **__: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalServerError"}}, "TransactWriteItems")

    monkeypatch.setattr(schedule_job.PermitSchedule, "_cancel", throttled)
    with pytest.raises(StepsFailed, match="1 permit step"):
        schedule_job.handler({"date": "2026-07-01"}, FakeContext())
    assert application(table, reference)["status"] == PENDING_PAYMENT
