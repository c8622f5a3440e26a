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
        at: datetime | None = None,
        details: Mapping[str, str] | None = None,
    ) -> dict[str, str | int]:
        """Append one entry; `details` are what the action adds (acting for a resident: channel, reason, service)."""
        moment = at or datetime.now(UTC)
        when = moment.isoformat(timespec="milliseconds")
        entry: dict[str, str | int] = {
            "record": reference,  # the partition: one record's trail, in time order, for its timeline and exports
            "entry": f"{when}#{uuid.uuid4()}",
            "at": when,
            "staff": staff.subject,
            "action": action,
            "source_ip": source_ip,
            # Retention, not an API delete: DynamoDB's TTL removes the entry once its request is long gone.
            "expires_at": int((moment + self._retention).timestamp()),
        }
        entry.update({k: v for k, v in (details or {}).items() if k not in entry})
        self._table.put_item(
            Item=entry, ConditionExpression="attribute_not_exists(#entry)", ExpressionAttributeNames={"#entry": "entry"}
        )
        return entry
