"""The digital KPIs' counters, kept by an event consumer (the `kpis` queue, shared/events.py CONSUMERS): the KPI
page reads them by key and never scans the Requests table (docs/console.md, "Digital KPIs").

The Kpis table (the console stack's) holds, under partition `week#<ISO week>` (the UK date of the event), counters
sorted by metric, and under partition `total` the all-time counters the backlog is made of:

- report-submitted: `submitted#<service>#<channel>` (week), `submitted#<service>` (total);
- request-acknowledged: no counter; the request's due date (`expected_by`) is remembered (`request#<reference>`),
  by a plain put that is idempotent by itself (the same value again);
- status-changed to a closed status from an open one: `closed#<service>#on-time`, `#late` or `#no-due-date`
  (week), `closed#<service>` (total);
- status-changed to reopened from a closed one: `reopened#<service>` (week and total);
- payment-succeeded: `paid#<service>` (week).

On time means the UK date of the change is on or before the request's due date: the one the closing
status-changed event carries (`expected_by`: the stored due date after the change, moved on by every wait on the
resident, shared/case_changes.py), else the one triage gave it and this consumer remembered; a request closed
before it was acknowledged (an unpaid one cancelled) has no due date. Backlog = submitted - closed + reopened, per
service, from the totals.

Each event counts once: its id is put (under `attribute_not_exists`, kept 35 days by TTL: longer than a message
can live in the queue and its dead-letter queue) in the same transaction as its counters, so a redelivered event,
or a retry after a crash, adds nothing, and a crash never leaves the event marked but not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared import aws
from shared.calendar import LONDON
from shared.events import EventEnvelope, EventType
from shared.statuses import CLOSED_STATUSES, Status

TOTAL = "total"
ON_TIME, LATE, NO_DUE_DATE = "on-time", "late", "no-due-date"
EVENT_MARKER_DAYS = 35  # queue retention (4 days) + dead-letter retention (14 days), with room to redrive
DUE_DATE_DAYS = 3 * 365  # a request's due date is remembered long enough for any case to close
_CLOSED = frozenset(s.value for s in CLOSED_STATUSES)


class BadEvent(ValueError):
    """An event without what its counters need: nothing is written (the record fails to the dead-letter queue)."""


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def uk_date(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(LONDON).date()


def closure(changed_on: date, due: str | None) -> str:
    """On time, late or no due date: the UK date of the change against the due date (an ISO date)."""
    if not due:
        return NO_DUE_DATE
    return ON_TIME if changed_on <= date.fromisoformat(due) else LATE


@dataclass(frozen=True)
class Counts:
    """What one event adds: (partition, metric) keys, and the due date to remember for a reference."""

    keys: tuple[tuple[str, str], ...]
    remember_due: tuple[str, str, str] | None = None  # (reference, service, due date)


def _field(event: EventEnvelope, name: str) -> str:
    value = event.data.get(name)
    if not isinstance(value, str) or not value or "#" in value:
        raise BadEvent(f"{event.type.value} {event.id} has no usable {name!r}")
    return value


def counts(event: EventEnvelope, due_date: Any = None) -> Counts:
    """The counters `event` adds to (pure). `due_date(reference)` gives the remembered due date, for closures."""
    week = f"week#{week_of(uk_date(event.time))}"
    if event.type is EventType.REPORT_SUBMITTED:
        service, channel = _field(event, "service_id"), _field(event, "channel")
        return Counts(((week, f"submitted#{service}#{channel}"), (TOTAL, f"submitted#{service}")))
    if event.type is EventType.REQUEST_ACKNOWLEDGED:
        service, reference = _field(event, "service_id"), _field(event, "reference")
        due = _field(event, "expected_by")
        date.fromisoformat(due)  # a date, or the event is refused
        return Counts((), remember_due=(reference, service, due))
    if event.type is EventType.STATUS_CHANGED:
        service, status = _field(event, "service_id"), _field(event, "status")
        previous = str(event.data.get("previous_status", ""))
        if status in _CLOSED and previous not in _CLOSED:
            carried = _due_of(event) or (due_date(_field(event, "reference")) if due_date else None)
            outcome = closure(uk_date(event.time), carried)
            return Counts(((week, f"closed#{service}#{outcome}"), (TOTAL, f"closed#{service}")))
        if status == Status.REOPENED.value and previous in _CLOSED:
            return Counts(((week, f"reopened#{service}"), (TOTAL, f"reopened#{service}")))
        return Counts(())
    if event.type is EventType.PAYMENT_SUCCEEDED:
        return Counts(((week, f"paid#{_field(event, 'service_id')}"),))
    return Counts(())


def _due_of(event: EventEnvelope) -> str | None:
    """The due date a status-changed event carries (after any wait on the resident moved it), if it carries one."""
    if "expected_by" not in event.data:
        return None
    due = _field(event, "expected_by")
    date.fromisoformat(due)  # a date, or the event is refused
    return due


class KpiCounters:
    """The Kpis table: counters, event markers and remembered due dates (partition `bucket`, sort `metric`)."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def due_date(self, reference: str) -> str | None:
        found = aws.client("dynamodb").get_item(
            TableName=self.table_name, Key=_key(f"request#{reference}", "due"), ProjectionExpression="due_date"
        )
        value = found.get("Item", {}).get("due_date", {}).get("S")
        return str(value) if value else None

    def count(self, event: EventEnvelope, *, now: datetime | None = None) -> bool:
        """Add `event` to its counters, once: False if it was counted before, or adds to none (nothing written)."""
        adds = counts(event, self.due_date if event.type is EventType.STATUS_CHANGED else None)
        moment = now or datetime.now(UTC)
        dynamodb = aws.client("dynamodb")
        if adds.remember_due:
            reference, service, due = adds.remember_due
            expires = str(int((moment + timedelta(days=DUE_DATE_DAYS)).timestamp()))
            item = {"service_id": {"S": service}, "due_date": {"S": due}, "expires_at": {"N": expires}}
            dynamodb.put_item(TableName=self.table_name, Item={**_key(f"request#{reference}", "due"), **item})
        if not adds.keys:
            return bool(adds.remember_due)
        marker_expires = str(int((moment + timedelta(days=EVENT_MARKER_DAYS)).timestamp()))
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": {**_key(f"event#{event.id}", "event"), "expires_at": {"N": marker_expires}},
                    "ConditionExpression": "attribute_not_exists(#bucket)",
                    "ExpressionAttributeNames": {"#bucket": "bucket"},  # a reserved word
                }
            }
        ]
        items += [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _key(partition, metric),
                    "UpdateExpression": "ADD #count :one",
                    "ExpressionAttributeNames": {"#count": "count"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
            for partition, metric in adds.keys
        ]
        try:
            dynamodb.transact_write_items(TransactItems=items)
        except dynamodb.exceptions.TransactionCanceledException as cancelled:
            reasons = cancelled.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False  # counted already: a redelivery
            raise
        return True

    def week(self, week: str) -> dict[str, int]:
        """Every counter of one partition (`week#<ISO week>` or `total`): one Query, paged."""
        return _query(self.table_name, week if week == TOTAL else f"week#{week}")


def _query(table_name: str, partition: str) -> dict[str, int]:
    dynamodb = aws.client("dynamodb")
    found: dict[str, int] = {}
    arguments: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "#bucket = :bucket",
        "ExpressionAttributeNames": {"#bucket": "bucket"},
        "ExpressionAttributeValues": {":bucket": {"S": partition}},
    }
    while True:
        page = dynamodb.query(**arguments)
        for item in page.get("Items", []):
            found[item["metric"]["S"]] = int(item.get("count", {}).get("N", "0"))
        if "LastEvaluatedKey" not in page:
            return found
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _key(partition: str, sort: str) -> dict[str, dict[str, str]]:
    return {"bucket": {"S": partition}, "metric": {"S": sort}}
