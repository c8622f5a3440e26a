"""The audit record: every staff read of a resident's personal data (and, when the console writes, every change),
appended to its own table: who (Cognito `sub`), what, when, which record, from where (the source address).

Append-only: entries are only ever put, under a condition that the entry is new, and no role is granted UpdateItem
or DeleteItem on the table (tests/infra/test_infra_console.py). Written before the data is shown: if the record
cannot be written, the page fails rather than show personal data unaccounted for.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from console.permissions import StaffMember
from shared import aws


class AuditLog:
    def __init__(self, table_name: str, *, retention_days: int = 7 * 365) -> None:
        self._table = aws.table(table_name)
        self._retention = timedelta(days=retention_days)

    def record(
        self,
        staff: StaffMember,
        action: str,
        reference: str,
        *,
        source_ip: str,
        detail: str = "",
        at: datetime | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Append one entry; `detail` says in words what was done, `details` what it was about (never a resident's
        personal data in clear)."""
        moment = at or datetime.now(UTC)
        when = moment.isoformat(timespec="milliseconds")
        entry: dict[str, Any] = {
            "record": reference,  # the partition: one record's trail, in time order, for its timeline and exports
            "entry": f"{when}#{uuid.uuid4()}",
            "at": when,
            "staff": staff.subject,
            "action": action,
            "source_ip": source_ip,
            **({"detail": detail} if detail else {}),
            # Retention, not an API delete: DynamoDB's TTL removes the entry once its request is long gone.
            "expires_at": int((moment + self._retention).timestamp()),
        }
        if details:
            entry["details"] = dict(details)  # what the action was about (never personal data in clear)
        self._table.put_item(
            Item=entry, ConditionExpression="attribute_not_exists(#entry)", ExpressionAttributeNames={"#entry": "entry"}
        )
        return entry

    def trail(self, record: str) -> list[dict[str, Any]]:
        """Every entry of one record, oldest first (a Query of its partition: for subject access exports)."""
        query: dict[str, Any] = {
            "KeyConditionExpression": "#record = :record",
            "ExpressionAttributeNames": {"#record": "record"},
            "ExpressionAttributeValues": {":record": record},
        }
        entries: list[dict[str, Any]] = []
        while True:
            answer = self._table.query(**query)
            entries += [dict(item) for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return entries
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def window(
        self, record: str, *, bound: str | None, newest_first: bool, limit: int, start: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """At most `limit` entries of one record (one Query of its partition), newest first from before `bound`
        (entries are keyed `<time>#<id>`, so a time bounds them) or oldest first from after it; and where the next
        read would start (None: there are no more)."""
        names = {"#record": "record"}
        values: dict[str, Any] = {":record": record}
        condition = "#record = :record"
        if bound is not None:
            names["#entry"] = "entry"
            values[":bound"] = bound
            condition += f" AND #entry {'<' if newest_first else '>'} :bound"
        query: dict[str, Any] = {
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if start is not None:
            query["ExclusiveStartKey"] = dict(start)
        answer = self._table.query(**query)
        return [dict(item) for item in answer.get("Items", [])], answer.get("LastEvaluatedKey")
