"""The case queue: the open requests of a member of staff's teams, filtered, sorted by due date and paginated on
the server, read through the Requests table's `by-team-due` index (a Query per team, never a Scan).

The console is part of the cases service (docs/decisions/0005-staff-roles-and-teams.md): it reads the cases
service's table, through an index the cases service's data stack declares, with read-only grants.

Pagination is by key set, not by offset: the cursor is the last case shown (its due date and reference), so a
page is one Query per team from that due date on, whatever page it is. Within one due date, cases go by reference.
The page before is read the same way from the first case shown, in the other order. There are no page numbers.
"""

from __future__ import annotations

import base64
import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key

from shared import aws
from shared.requests_repo import VERSION
from shared.statuses import CLOSED_STATUSES, Status

QUEUE_INDEX = "by-team-due"  # stacks/data_stack.py REQUESTS_BY_TEAM_DUE
PAGE_SIZE = 25
UNASSIGNED = "unassigned"
_READ_BATCH = 100
_REFERENCE = re.compile(r"^[A-Z0-9-]{1,16}$")
# What the queue shows, and all the index projects: no answers, location or contact details.
QUEUE_FIELDS = ("reference", "team", "due_date", "service_id", "service_title", "status", "channel", "assignee")
WAITING_SINCE = "waiting_since"  # when a wait on the resident began (shared/case_changes.py): not in the index
_FOUND_FIELDS = (*QUEUE_FIELDS, WAITING_SINCE)


@dataclass(frozen=True)
class QueueFilter:
    teams: tuple[str, ...]
    service: str = ""
    status: str = ""  # "": every open status
    assignee: str = ""  # "": anyone; UNASSIGNED; or a member of staff's sub
    channel: str = ""
    overdue: bool = False
    latest_first: bool = False
    after: tuple[str, str] | None = None  # (due date, reference) of the last case on the previous page
    before: tuple[str, str] | None = None  # or (due date, reference) of the first case on the next page


@dataclass
class QueuePage:
    cases: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None
    previous_cursor: str | None = None  # None on the first page


def encode_cursor(due: str, reference: str) -> str:
    return base64.urlsafe_b64encode(f"{due}|{reference}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    try:
        due, _, reference = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition("|")
        date.fromisoformat(due)
    except ValueError:
        return None
    return (due, reference) if _REFERENCE.match(reference) else None


class CaseQueue:
    def __init__(self, table_name: str) -> None:
        self._table = aws.table(table_name)

    def page(self, wanted: QueueFilter, *, today: date, size: int = PAGE_SIZE) -> QueuePage:
        if wanted.before is not None:
            return self._page_before(wanted, today=today, size=size)
        found = self._page_after(wanted, today=today, size=size)
        if wanted.after is not None and found.cases:
            found.previous_cursor = encode_cursor(found.cases[0]["due_date"], found.cases[0]["reference"])
        return found

    def _page_before(self, wanted: QueueFilter, *, today: date, size: int) -> QueuePage:
        """The page before a case: the same key-set read in the other order from that case on, turned round. A
        page before it again exists if that read found more than a page."""
        other_way = replace(wanted, latest_first=not wanted.latest_first, after=wanted.before, before=None)
        found = self._page_after(other_way, today=today, size=size)
        cases = found.cases[::-1]
        if not cases:
            return QueuePage()
        first, last = cases[0], cases[-1]
        return QueuePage(
            cases,
            next_cursor=encode_cursor(last["due_date"], last["reference"]),
            previous_cursor=encode_cursor(first["due_date"], first["reference"]) if found.next_cursor else None,
        )

    def _page_after(self, wanted: QueueFilter, *, today: date, size: int) -> QueuePage:
        streams = [self._team_cases(team, wanted, today, size) for team in sorted(set(wanted.teams))]
        merged = heapq.merge(*streams, key=_order, reverse=wanted.latest_first)
        cases: list[dict[str, Any]] = []
        for case in merged:
            if len(cases) == size:
                last = cases[-1]
                return QueuePage(cases, encode_cursor(last["due_date"], last["reference"]))
            cases.append(case)
        return QueuePage(cases)

    def find(self, reference: str) -> dict[str, Any] | None:
        """The queue's fields of one case, and when its wait began, by its reference (the rest is not read)."""
        item = self._table.get_item(
            Key={"reference": reference},
            ProjectionExpression=", ".join(f"#{i}" for i in range(len(_FOUND_FIELDS))),
            ExpressionAttributeNames={f"#{i}": name for i, name in enumerate(_FOUND_FIELDS)},
        ).get("Item")
        return dict(item) if item and "due_date" in item and "team" in item else None

    def versions(self, references: list[str]) -> dict[str, int]:
        """The current version of each case (the index does not project it), for the queue's bulk assign form,
        whose checkboxes carry what the member of staff saw."""
        return {reference: int(item.get(VERSION, 0)) for reference, item in self.details(references).items()}

    def details(self, references: list[str]) -> dict[str, dict[str, Any]]:
        """What the index does not project of the cases shown: each one's version (bulk assign) and when its wait
        on the resident began (`waiting_since`: the stopped clock's days left). One BatchGetItem of those fields
        and the reference only, for at most a page of cases."""
        if not references:
            return {}
        keys = [{"reference": reference} for reference in dict.fromkeys(references)][:_READ_BATCH]
        request: dict[str, Any] = {
            self._table.name: {
                "Keys": keys,
                "ProjectionExpression": "#r, #v, #w",
                "ExpressionAttributeNames": {"#r": "reference", "#v": VERSION, "#w": WAITING_SINCE},
                "ConsistentRead": True,
            }
        }
        found: dict[str, dict[str, Any]] = {}
        for _ in range(5):  # unprocessed keys (throttling) are asked again a few times, then read as unknown
            answer = self._table.meta.client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(self._table.name, []):
                found[str(item["reference"])] = dict(item)
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        return found

    def case(self, reference: str) -> dict[str, Any] | None:
        """The whole case (answers, history, internal notes): for the case page only, which audits the read. A
        consistent read: the page's forms carry the version it shows, which must not lag a change just made."""
        item = self._table.get_item(Key={"reference": reference}, ConsistentRead=True).get("Item")
        return dict(item) if item else None

    def _team_cases(self, team: str, wanted: QueueFilter, today: date, size: int) -> Iterator[dict[str, Any]]:
        """The team's matching cases in due-date order, read from the index in batches as the merge asks: first
        only what one page could take from this team (its size and one more, to know there is a next page), then
        `_READ_BATCH` at a time if the filter or a shared due date needs more."""
        query: dict[str, Any] = {
            "IndexName": QUEUE_INDEX,
            "KeyConditionExpression": _key_condition(team, wanted, today),
            "FilterExpression": _filter(wanted),
            "ScanIndexForward": not wanted.latest_first,
            "Limit": min(_READ_BATCH, size + 1),
        }
        group: list[dict[str, Any]] = []  # one due date's cases: the index does not order them by reference
        while True:
            answer = self._table.query(**query)
            for item in answer.get("Items", []):
                if group and item["due_date"] != group[0]["due_date"]:
                    yield from _after_cursor(group, wanted)
                    group = []
                group.append(dict(item))
            if "LastEvaluatedKey" not in answer:
                yield from _after_cursor(group, wanted)
                return
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
            query["Limit"] = _READ_BATCH


def _order(case: dict[str, Any]) -> tuple[str, str]:
    return str(case["due_date"]), str(case["reference"])


def _after_cursor(group: list[dict[str, Any]], wanted: QueueFilter) -> list[dict[str, Any]]:
    ordered = sorted(group, key=_order, reverse=wanted.latest_first)
    if wanted.after is None:
        return ordered
    if wanted.latest_first:
        return [case for case in ordered if _order(case) < wanted.after]
    return [case for case in ordered if _order(case) > wanted.after]


def _key_condition(team: str, wanted: QueueFilter, today: date) -> ConditionBase:
    condition: ConditionBase = Key("team").eq(team)
    last_overdue = date.fromordinal(today.toordinal() - 1).isoformat()
    cursor_due = wanted.after[0] if wanted.after else None
    if wanted.latest_first:
        upper = min(filter(None, [cursor_due, last_overdue if wanted.overdue else None]), default=None)
        return condition & Key("due_date").lte(upper) if upper else condition
    if wanted.overdue and cursor_due:
        return condition & Key("due_date").between(cursor_due, last_overdue)
    if wanted.overdue:
        return condition & Key("due_date").lte(last_overdue)
    return condition & Key("due_date").gte(cursor_due) if cursor_due else condition


def _filter(wanted: QueueFilter) -> ConditionBase:
    condition: ConditionBase = (
        Attr("status").eq(wanted.status)
        if wanted.status
        else Attr("status").is_in([s.value for s in Status if s not in CLOSED_STATUSES])
    )
    if wanted.overdue:  # a case waiting on the resident is not late: its clock is stopped (shared/sla.py)
        condition &= Attr("status").ne(Status.WAITING_FOR_RESIDENT.value)
    if wanted.service:
        condition &= Attr("service_id").eq(wanted.service)
    if wanted.channel:
        condition &= Attr("channel").eq(wanted.channel)
    if wanted.assignee == UNASSIGNED:
        condition &= Attr("assignee").not_exists()
    elif wanted.assignee:
        condition &= Attr("assignee").eq(wanted.assignee)
    return condition
