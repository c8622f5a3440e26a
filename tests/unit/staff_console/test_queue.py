"""The queue at /staff/cases: the caseworker's teams only, filters, overdue first, key-set pages, saved views,
search by reference; read by Query on the team index, never by Scan."""

from __future__ import annotations

import re
from datetime import date
from unittest import mock

import pytest

from console.pages import Pages
from console.queue import CaseQueue, QueueFilter
from shared.references import new_reference
from tests.unit.staff_console.conftest import Console

TODAY = date(2026, 12, 2)
# Real references (the search checks them), named for what they are in these tests.
REF = {name: new_reference() for name in ("HWAY1", "HWAY2", "HWAY3", "HWAY4", "WSTE1", "PARK1")}


def _references(body: str) -> list[str]:
    names = {reference: name for name, reference in REF.items()}
    found = re.findall(r'<a class="govuk-link" href="/staff/cases/([A-Z0-9]{4}-[A-Z0-9]{4})">', body)
    return [names.get(reference, reference) for reference in found]


@pytest.fixture
def cases(console: Console) -> Console:
    console.add_case(REF["HWAY1"], team="Street scene", due="2026-11-20")  # late
    console.add_case(REF["HWAY2"], team="Street scene", due="2026-12-10", assignee="someone")
    console.add_case(REF["HWAY3"], team="Street scene", due="2026-12-01", channel="phone")  # late
    console.add_case(REF["HWAY4"], team="Street scene", due="2026-12-01", status="closed")
    console.add_case(REF["WSTE1"], team="Waste services", due="2026-11-25", service_id="missed-bin")  # late
    console.add_case(REF["PARK1"], team="Street cleansing", due="2026-11-01")  # another team's
    return console


def test_the_queue_shows_open_cases_of_my_teams_overdue_first(cases: Console) -> None:
    tokens = cases.staff("cw", roles=("caseworker",), teams=("street-scene", "waste-services"))
    with mock.patch("console.pages.uk_today", return_value=TODAY):
        body = cases.get("/staff/cases", tokens)["body"]
    assert _references(body) == ["HWAY1", "WSTE1", "HWAY3", "HWAY2"]
    # in working days: Friday 20 November to Wednesday 2 December is 8; to Thursday 10 December, 6
    assert '<strong class="moj-badge moj-badge--red">8 working days late</strong>' in body
    assert "(due in 6 working days)" in body


def test_filters_by_team_status_service_channel_and_assignee(cases: Console) -> None:
    queue = CaseQueue("requests")
    mine = ("Street scene", "Waste services")

    names = {reference: name for name, reference in REF.items()}

    def refs(**wanted: object) -> list[str]:
        return [names[c["reference"]] for c in queue.page(QueueFilter(teams=mine, **wanted), today=TODAY).cases]  # type: ignore[arg-type]

    assert refs(status="closed") == ["HWAY4"]
    assert refs(service="missed-bin") == ["WSTE1"]
    assert refs(channel="phone") == ["HWAY3"]
    assert refs(assignee="someone") == ["HWAY2"]
    assert refs(assignee="unassigned") == ["HWAY1", "WSTE1", "HWAY3"]
    assert refs(overdue=True) == ["HWAY1", "WSTE1", "HWAY3"]
    assert refs(latest_first=True) == ["HWAY2", "HWAY3", "WSTE1", "HWAY1"]
    only_waste = queue.page(QueueFilter(teams=("Waste services",)), today=TODAY).cases
    assert [c["reference"] for c in only_waste] == [REF["WSTE1"]]


def test_another_teams_team_filter_is_ignored_and_its_cases_never_shown(cases: Console) -> None:
    tokens = cases.staff("cw", roles=("caseworker",), teams=("street-scene",))
    body = cases.get("/staff/cases", tokens, team="Street cleansing")["body"]
    assert REF["PARK1"] not in body
    assert REF["HWAY1"] in body


def test_pages_follow_on_by_key_set_without_repeats_or_gaps(console: Console) -> None:
    for n in range(12):
        console.add_case(new_reference(), team="Street scene", due=f"2026-12-{(n % 4) + 1:02d}")
        console.add_case(new_reference(), team="Waste services", due=f"2026-12-{(n % 3) + 1:02d}")
    queue = CaseQueue("requests")
    seen: list[str] = []
    wanted = QueueFilter(teams=("Street scene", "Waste services"))
    while True:
        page = queue.page(wanted, today=TODAY, size=5)
        seen += [c["reference"] for c in page.cases]
        if page.next_cursor is None:
            break
        from console.queue import decode_cursor

        wanted = QueueFilter(teams=wanted.teams, after=decode_cursor(page.next_cursor))
    assert len(seen) == 24
    assert len(set(seen)) == 24
    ordered = [
        (c["due_date"], c["reference"]) for c in queue.page(QueueFilter(teams=wanted.teams), today=TODAY, size=30).cases
    ]
    assert ordered == sorted(ordered)


def test_saved_views_my_cases_unassigned_and_overdue(cases: Console) -> None:
    tokens = cases.staff("cw", roles=("caseworker",), teams=("street-scene",))
    with mock.patch("console.pages.uk_today", return_value=TODAY):
        assert _references(cases.get("/staff/cases", tokens, view="unassigned")["body"]) == ["HWAY1", "HWAY3"]
        assert _references(cases.get("/staff/cases", tokens, view="overdue")["body"]) == ["HWAY1", "HWAY3"]
        assert _references(cases.get("/staff/cases", tokens, view="mine")["body"]) == []


def test_search_by_reference_finds_only_my_teams_cases(cases: Console) -> None:
    tokens = cases.staff("cw", roles=("caseworker",), teams=("street-scene",))
    assert _references(cases.get("/staff/cases", tokens, reference=REF["HWAY3"].lower().replace("-", ""))["body"]) == [
        "HWAY3"
    ]
    assert cases.get("/staff/cases", tokens, reference=REF["PARK1"])["statusCode"] == 404
    assert cases.get("/staff/cases", tokens, reference="nothing")["statusCode"] == 404


def test_the_queue_never_shows_answers(cases: Console) -> None:
    tokens = cases.staff("cw", roles=("caseworker",), teams=("street-scene",))
    assert "personal text" not in cases.get("/staff/cases", tokens)["body"]


def test_no_console_request_handler_issues_a_scan(cases: Console) -> None:
    """Every route, with every filter, through DynamoDB: a Scan anywhere fails the test."""
    from botocore.client import BaseClient

    tokens = cases.staff("cw", roles=("caseworker", "team-lead"), teams=("street-scene", "waste-services"))
    original = BaseClient._make_api_call
    operations: list[str] = []

    def call(self: BaseClient, operation: str, params: dict) -> dict:
        operations.append(operation)
        return original(self, operation, params)  # type: ignore[no-any-return]

    with mock.patch.object(BaseClient, "_make_api_call", call):
        for query in ({}, {"view": "overdue"}, {"view": "mine"}, {"status": "closed"}, {"reference": REF["HWAY1"]}):
            assert cases.get("/staff/cases", tokens, **query)["statusCode"] == 200
        assert cases.get("/staff/home", tokens)["statusCode"] == 200
    assert "Query" in operations
    assert "GetItem" in operations
    assert "Scan" not in operations


def test_the_pages_module_reads_through_the_queue_interface_only() -> None:
    import inspect

    import console.pages

    assert "aws.table" not in inspect.getsource(console.pages)
    assert "aws." not in inspect.getsource(Pages)
