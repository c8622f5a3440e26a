"""The SLA clock stopped while the council waits on the resident, end to end in the local cloud (issue 11 item 5).

A resident's report is triaged; the demo caseworker puts it to waiting for the resident from the case page (with
the update that says what we need). Time is controlled by the test, not the console: the wait's start is set two
working days back in the Requests table (and the due date, as triage would have given it, to the working day
before today; the KPI consumer remembers that one too). Taking the case on again moves the stored due date two
working days, so the case is on time again: the queue, the case page, the resident's tracking page and the cases
API show the same date, and the KPIs count its closure on time by it."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest

from local.staff import DEMO_STAFF
from shared.calendar import LONDON, add_working_days, is_working_day
from shared.sla import clock, uk_date, working_days_between
from tests.local.test_local_console import Browser, _form, _report, _signed_in

pytestmark = pytest.mark.local
PAUSED = "We are waiting for information from you, so there is no date yet"


def _two_working_days_back(today: date) -> datetime:
    """Noon in London on the latest day with exactly two working days after it up to today."""
    day = today - timedelta(days=1)
    while working_days_between(day, today) < 2:
        day -= timedelta(days=1)
    return datetime.combine(day, time(12), tzinfo=LONDON).astimezone(UTC)


def _previous_working_day(today: date) -> date:
    day = today - timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def _sla_counts(lead: Browser) -> tuple[int, int]:
    answer = lead.request("GET", "/staff/kpis/csv/sla")
    assert answer.status == 200, answer.body
    rows = {r[0]: r for r in list(csv.reader(io.StringIO(answer.body.decode())))[1:]}
    row = rows.get("Report fly-tipping", ["", "0", "0"])
    return int(row[1]), int(row[2])


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def test_a_wait_on_the_resident_moves_the_due_date_and_every_view_agrees(local_cloud):
    reference = _report(local_cloud, "fly-tipping", "Tyres behind the garages")
    dynamodb = local_cloud.client("dynamodb")
    requests = local_cloud.physical_id("Borough-dev-Data/Requests")
    today = uk_date(datetime.now(UTC))
    due = _previous_working_day(today)  # without the wait, late today
    dynamodb.update_item(
        TableName=requests,
        Key={"reference": {"S": reference}},
        UpdateExpression="SET due_date = :due",
        ExpressionAttributeValues={":due": {"S": due.isoformat()}},
    )
    dynamodb.update_item(  # what the KPI consumer remembered from triage's acknowledgement
        TableName=local_cloud.physical_id("Borough-dev-Console/Kpis"),
        Key={"bucket": {"S": f"request#{reference}"}, "metric": {"S": "due"}},
        UpdateExpression="SET due_date = :due",
        ExpressionAttributeValues={":due": {"S": due.isoformat()}},
    )
    lead = _signed_in(local_cloud, DEMO_STAFF["team-lead"])
    on_time_before, late_before = _sla_counts(lead)

    browser = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    case_path = f"/staff/cases/{reference}"

    def change(**fields: str) -> None:
        page = browser.request("GET", case_path)
        assert page.status == 200, page.body
        action = case_path + "/status"
        done = browser.request("POST", action, {**_form(page.body, action), **fields})
        assert done.status == 303, done.body
        local_cloud.wait_for_idle(timeout_s=30)

    late = browser.request("GET", f"/staff/cases?reference={reference}").body.decode()
    assert f'{due.isoformat()} <strong class="moj-badge moj-badge--red">' in late
    change(status="investigating")
    change(status="waiting-for-resident", resident_update="Please send us a photo of the tyres.")
    item = dynamodb.get_item(TableName=requests, Key={"reference": {"S": reference}}, ConsistentRead=True)["Item"]
    assert item["status"]["S"] == "waiting-for-resident"
    assert item["due_date"]["S"] == due.isoformat()
    started = _two_working_days_back(today)
    dynamodb.update_item(  # the wait began two working days ago
        TableName=requests,
        Key={"reference": {"S": reference}},
        UpdateExpression="SET waiting_since = :since",
        ExpressionAttributeValues={":since": {"S": started.isoformat(timespec="seconds")}},
    )

    waiting = browser.request("GET", f"/staff/cases?reference={reference}").body.decode()
    # due a working day before today, stopped two working days before today: it had one working day left then,
    # which is what it has when it moves on today (its date two working days later)
    assert "Clock stopped</strong> Waiting for the resident, 1 working day left" in waiting
    assert due.isoformat() not in waiting
    case_page = browser.request("GET", case_path).body.decode()
    assert "Clock stopped</strong> Waiting for the resident, 1 working day left" in case_page
    tracking = local_cloud.handle("GET", f"/track?reference={reference}").body.decode()
    assert "We are waiting for information from you" in tracking
    assert _long_date(due) not in tracking
    assert PAUSED in html.unescape(tracking)

    change(status="in-progress", resident_update="Thank you for the photo.")
    moved = add_working_days(due, 2)
    item = dynamodb.get_item(TableName=requests, Key={"reference": {"S": reference}}, ConsistentRead=True)["Item"]
    assert item["due_date"]["S"] == moved.isoformat()
    assert "waiting_since" not in item

    queue = browser.request("GET", f"/staff/cases?reference={reference}").body.decode()
    words = clock(moved, today).words  # "due in 1 working day" on a working day; 2 at a weekend
    assert words.startswith("due in ")
    assert f"{moved.isoformat()} ({words})" in queue
    case_page = browser.request("GET", case_path).body.decode()
    assert f"{moved.isoformat()} ({words})" in case_page
    assert "moj-badge--red" not in case_page
    tracking = local_cloud.handle("GET", f"/track?reference={reference}").body.decode()
    assert _long_date(moved) in tracking
    assert PAUSED not in html.unescape(tracking)
    assert local_cloud.handle("GET", f"/api/v1/requests/{reference}").json()["expected_by"] == moved.isoformat()

    change(status="fixed", resident_update="We took the tyres away today.")
    assert _sla_counts(lead) == (on_time_before + 1, late_before)  # by the moved date: on time
