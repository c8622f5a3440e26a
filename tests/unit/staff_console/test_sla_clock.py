"""The SLA clock stops while the council waits on the resident (issue 11 item 5): entering `waiting-for-resident`
stores when the wait started; leaving it moves the stored due date on by the working days waited
(shared/case_changes.py), in the same conditional write as the status change. The queue and the case page show
the clock's words from the stored date; the overdue view leaves out a case whose clock is stopped."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from unittest import mock

import pytest

from console.casework import CaseworkRefused, choices, status_change_guard
from console.pages import _row
from console.permissions import StaffMember
from shared import case_changes
from shared.case_changes import Editor, StaleCase
from shared.errors import ValidationFailed
from shared.references import new_reference
from shared.requests_repo import RequestsRepository
from shared.statuses import Status, can_change, label, staff_label
from tests.unit.staff_console.conftest import Console

STAFF = Editor("staff-sub", "cw@example.org")
DUE = "2026-12-16"  # Wednesday


def at(day: int, hour: int = 10, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _repository() -> RequestsRepository:
    return RequestsRepository("requests")


def _item(console: Console, reference: str) -> dict[str, Any]:
    return dict(console.table.get_item(Key={"reference": reference}, ConsistentRead=True)["Item"])


def _change(console: Console, reference: str, status: Status, now: datetime, **more: Any) -> dict[str, Any]:
    if status is Status.WAITING_FOR_RESIDENT:
        more.setdefault("resident_update", "Send us a photo, please.")  # the workflow asks what we need
    return case_changes.change_status(
        _item(console, reference),
        status,
        by=STAFF,
        correlation_id="c",
        now=now,
        repository=_repository(),
        **more,
    )


@pytest.fixture
def reference(console: Console) -> str:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due=DUE, status="investigating")
    return reference


def test_the_status_speaks_to_the_resident_and_to_staff_in_their_own_words() -> None:
    assert label(Status.WAITING_FOR_RESIDENT) == "We are waiting for information from you"
    assert staff_label(Status.WAITING_FOR_RESIDENT) == "Waiting for the resident"
    assert staff_label(Status.IN_PROGRESS) == label(Status.IN_PROGRESS)


def test_the_workflow_allows_a_wait_after_a_look_at_the_request() -> None:
    assert can_change(Status.INVESTIGATING, Status.WAITING_FOR_RESIDENT)
    assert can_change(Status.REOPENED, Status.WAITING_FOR_RESIDENT)
    assert can_change(Status.WAITING_FOR_RESIDENT, Status.IN_PROGRESS)
    assert can_change(Status.WAITING_FOR_RESIDENT, Status.FIXED)
    assert not can_change(Status.RECEIVED, Status.WAITING_FOR_RESIDENT)  # nobody has looked at it yet
    assert not can_change(Status.AWAITING_PAYMENT, Status.WAITING_FOR_RESIDENT)  # the payments service's
    assert not can_change(Status.FIXED, Status.WAITING_FOR_RESIDENT)  # closed: reopen first
    assert ("waiting-for-resident", "Waiting for the resident") in choices(Status.INVESTIGATING)


def test_entering_the_wait_stores_when_it_started_and_leaves_the_due_date(console: Console, reference: str) -> None:
    _change(console, reference, Status.WAITING_FOR_RESIDENT, at(7), resident_update="Send us a photo, please.")
    item = _item(console, reference)
    assert item["status"] == "waiting-for-resident"
    assert item["waiting_since"] == "2026-12-07T10:00:00+00:00"
    assert item["due_date"] == DUE
    assert item["version"] == 1
    assert json.loads(item["outbox"])["data"]["expected_by"] == DUE


def test_leaving_the_wait_after_two_working_days_moves_the_stored_due_date_two_working_days(
    console: Console, reference: str
) -> None:
    _change(console, reference, Status.WAITING_FOR_RESIDENT, at(7))  # Monday
    _change(console, reference, Status.IN_PROGRESS, at(9, 15))  # Wednesday: Tuesday and Wednesday waited
    item = _item(console, reference)
    assert item["status"] == "in-progress"
    assert item["due_date"] == "2026-12-18"  # Wednesday 16th + 2 working days: Friday 18th
    assert "waiting_since" not in item
    assert item["version"] == 2
    event = json.loads(item["outbox"])["data"]
    assert event["expected_by"] == "2026-12-18"  # the KPI consumer counts the closure by it
    assert event["previous_status"] == "waiting-for-resident"


def test_a_wait_over_christmas_moves_the_due_date_past_the_bank_holidays(console: Console) -> None:
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-12-24", status="investigating")
    _change(console, reference, Status.WAITING_FOR_RESIDENT, at(23))  # Wednesday
    _change(console, reference, Status.FIXED, at(29), resident_update="Done.")  # 24th, 29th: 25, 28 bank holidays
    assert _item(console, reference)["due_date"] == "2026-12-30"


def test_a_wait_that_ends_the_day_it_started_stops_nothing(console: Console, reference: str) -> None:
    _change(console, reference, Status.WAITING_FOR_RESIDENT, at(7, 9))
    _change(console, reference, Status.IN_PROGRESS, at(7, 16))
    item = _item(console, reference)
    assert item["due_date"] == DUE
    assert "waiting_since" not in item


def test_the_wait_is_counted_by_the_uk_date(console: Console, reference: str) -> None:
    # 23:30 UTC on Sunday 28 June is Monday 00:30 in London: the wait started on the Monday, not the Sunday.
    console.add_case(reference, team="Street scene", due="2026-07-10", status="investigating")
    _change(console, reference, Status.WAITING_FOR_RESIDENT, at(28, 23, month=6))
    _change(console, reference, Status.IN_PROGRESS, at(29, 12, month=6))  # Monday: no working day waited
    assert _item(console, reference)["due_date"] == "2026-07-10"


def test_a_due_date_changed_since_it_was_read_is_not_moved_from_the_stale_copy(
    console: Console, reference: str
) -> None:
    _change(console, reference, Status.WAITING_FOR_RESIDENT, at(7))
    stale = _item(console, reference)
    # Someone else's write moves the due date without the version (the condition on the due date itself refuses).
    console.table.update_item(
        Key={"reference": reference},
        UpdateExpression="SET due_date = :d",
        ExpressionAttributeValues={":d": "2026-12-21"},
    )
    with pytest.raises(StaleCase):
        case_changes.change_status(
            stale, Status.IN_PROGRESS, by=STAFF, correlation_id="c", now=at(9), repository=_repository()
        )
    item = _item(console, reference)
    assert (item["status"], item["due_date"], item["version"]) == ("waiting-for-resident", "2026-12-21", 1)
    assert "waiting_since" in item


def test_a_refused_change_leaves_the_clock_as_it_was(console: Console, reference: str) -> None:
    _change(console, reference, Status.WAITING_FOR_RESIDENT, at(7))
    with pytest.raises(ValidationFailed, match="waiting for the resident cannot become received"):
        _change(console, reference, Status.RECEIVED, at(9))
    item = _item(console, reference)
    assert (item["due_date"], item["waiting_since"]) == (DUE, "2026-12-07T10:00:00+00:00")


def test_the_console_asks_for_what_we_need_from_the_resident() -> None:
    staff = StaffMember(subject="s", email="e", roles=frozenset({"caseworker"}), teams=frozenset({"street-scene"}))
    with pytest.raises(CaseworkRefused, match="tells them what we need"):
        status_change_guard(staff, Status.INVESTIGATING, {"status": "waiting-for-resident"})
    wanted = status_change_guard(
        staff, Status.INVESTIGATING, {"status": "waiting-for-resident", "resident_update": "Send a photo."}
    )
    assert wanted == (Status.WAITING_FOR_RESIDENT, "", "Send a photo.", "")


@pytest.mark.parametrize(
    ("due", "status", "words", "late"),
    [
        ("2026-12-04", "investigating", "due in 2 working days", False),  # Wednesday 2nd to Friday 4th
        ("2026-12-07", "investigating", "due in 3 working days", False),  # the weekend is not counted
        ("2026-12-03", "investigating", "due in 1 working day", False),
        ("2026-12-02", "investigating", "due today", False),
        ("2026-11-30", "investigating", "2 working days late", True),
        ("2026-11-27", "investigating", "3 working days late", True),
    ],
)
def test_a_queue_row_says_where_the_case_stands_in_working_days(due: str, status: str, words: str, late: bool) -> None:
    row = _row({"reference": "R", "due_date": due, "status": status}, date(2026, 12, 2))
    assert (row["due"], row["when"], row["late"]) == (due, words, late)
    assert row["stopped"] is False


@pytest.mark.parametrize(
    ("due", "since", "words"),
    [
        (
            "2026-11-27",
            "2026-11-30T10:00:00+00:00",
            "clock stopped: waiting for the resident, 1 working day late when it stopped",
        ),
        ("2026-12-10", "2026-11-30T10:00:00+00:00", "clock stopped: waiting for the resident, 8 working days left"),
        ("2026-12-10", None, "clock stopped: waiting for the resident"),  # no start recorded
    ],
)
def test_a_waiting_row_shows_no_date_but_the_days_left_when_it_stopped(due: str, since: str | None, words: str) -> None:
    case = {"reference": "R", "due_date": due, "status": "waiting-for-resident", "waiting_since": since}
    row = _row(case, date(2026, 12, 2))
    assert (row["due"], row["when"], row["late"], row["stopped"]) == ("", words, False, True)


def test_the_queue_and_case_page_show_the_moved_date_and_the_stopped_clock(console: Console) -> None:
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    late, waiting = new_reference(), new_reference()
    console.add_case(late, team="Street scene", due="2026-11-27", status="investigating")
    console.add_case(waiting, team="Street scene", due="2026-11-30", status="investigating")
    _change(console, waiting, Status.WAITING_FOR_RESIDENT, at(1))
    with mock.patch("console.pages.uk_today", return_value=date(2026, 12, 2)):
        queue = console.get("/staff/cases", tokens)["body"]
        overdue = console.get("/staff/cases", tokens, view="overdue")["body"]
        page = console.get(f"/staff/cases/{waiting}", tokens)["body"]
    assert '<strong class="moj-badge moj-badge--red">3 working days late</strong>' in queue
    # stopped on Tuesday 1st, due Monday 30th: it was 1 working day late then; no date is shown while it waits
    stopped = "Clock stopped</strong> Waiting for the resident, 1 working day late when it stopped"
    assert stopped in queue
    assert "2026-11-30" not in queue
    assert "Waiting for the resident" in queue
    assert late in overdue
    assert waiting not in overdue  # its clock is stopped: not late
    assert stopped in page
    assert "2026-11-30" not in page
    assert "moj-badge--red" not in page
    found = console.get("/staff/cases", tokens, reference=waiting)["body"]  # by reference: GetItem, same words
    assert stopped in found

    _change(console, waiting, Status.IN_PROGRESS, at(3))  # waited Wednesday 2nd and Thursday 3rd
    assert _item(console, waiting)["due_date"] == "2026-12-02"
    with mock.patch("console.pages.uk_today", return_value=date(2026, 12, 3)):
        queue = console.get("/staff/cases", tokens)["body"]
        overdue = console.get("/staff/cases", tokens, view="overdue")["body"]
    assert '2026-12-02 <strong class="moj-badge moj-badge--red">1 working day late</strong>' in queue
    assert waiting in overdue
