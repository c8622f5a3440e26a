"""The Requests table: every resident's request, whatever the channel, keyed by its public reference.

A write that announces something stores its event in the same write (`shared/outbox.py`); the table's stream
publishes it.

Every status change and staff change also counts the item's `version` up by one (an item written before versions
existed is version 0). A staff form carries the version it was drawn from, and the write is conditional on it, so a
form drawn before someone else's change is refused rather than written over it (`shared/case_changes.py`).
"""

from __future__ import annotations

from typing import Any

from shared import aws, outbox
from shared.errors import Conflict
from shared.events import EventEnvelope
from shared.settings import FunctionSettings, current

VERSION = "version"
WAITING_SINCE = "waiting_since"
DUE_DATE = "due_date"
# Every attribute a staff write (set_status, staff_change) names, the key included: the console's UpdateItem grant
# allows these and no others (stacks/console_stack.py, IAM's dynamodb:Attributes).
STAFF_WRITE_ATTRIBUTES = (
    "reference",
    "status",
    "history",
    "updated_at",
    outbox.ATTRIBUTE,
    "internal_notes",
    VERSION,
    "assignee",
    "assignee_email",
    # The service-level clock (shared/sla.py): when a wait on the resident started, and the due date it moves.
    WAITING_SINCE,
    DUE_DATE,
)


class RequestsSettings(FunctionSettings):
    """What a function that reads or writes requests needs: its settings model derives from this one."""

    requests_table: str


class ReferenceTaken(Exception):
    """A new reference collided with an existing one (rare: ~1 in 3 billion); draw another."""


class StaleVersion(Conflict):
    """The item is no longer at the version the writer read: someone else changed it first. Nothing was written."""


def _version_condition(version: int) -> str:
    """The condition that the item is still at `version` (0: an item no write has versioned yet)."""
    return "attribute_not_exists(#version)" if version == 0 else "#version = :version"


class RequestsRepository:
    def __init__(self, table_name: str | None = None) -> None:
        """The table named in the calling function's settings (`RequestsSettings` when it passes none)."""
        self._table = aws.table(table_name or current(RequestsSettings).requests_table)

    def put_new(self, item: dict[str, Any], *, event: EventEnvelope) -> None:
        """Create the request with the event announcing it, or raise ReferenceTaken."""
        from botocore.exceptions import ClientError

        try:
            self._table.put_item(
                Item={**item, outbox.ATTRIBUTE: outbox.stored(event)},
                ConditionExpression="attribute_not_exists(#ref)",
                ExpressionAttributeNames={"#ref": "reference"},  # `reference` is a DynamoDB reserved word
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ReferenceTaken(item["reference"]) from error
            raise

    def get(self, reference: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"reference": reference}, ConsistentRead=True).get("Item")
        return dict(item) if item else None

    def set_status(
        self,
        reference: str,
        *,
        expected: str,
        status: str,
        entry: dict[str, Any],
        position: int,
        event: EventEnvelope,
        internal_note: dict[str, Any] | None = None,
        version: int | None = None,
        return_values: str = "ALL_NEW",
        waiting_since: str | None = None,
        end_wait: bool = False,
        move_due: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """Change the status only if it is still `expected` and the history still has `position` entries (two
        caseworkers cannot both win, and nothing slipped in between), and, given a `version`, only if the item is
        still at it; add a history entry, any internal note, and the event announcing the change; count the
        version up.

        The service-level clock goes in the same write: `waiting_since` (a time) starts a wait on the resident;
        `end_wait` ends one (forgets when it started), and `move_due` = (due date read, due date now) moves the
        stored due date, only if it is still the one read.

        Internal notes go to their own attribute, never into `history`, which residents read."""
        update = (
            "SET #status = :status, history = list_append(history, :entry), updated_at = :at, #outbox = :event, "
            "#version = if_not_exists(#version, :zero) + :one"
        )
        values: dict[str, Any] = {
            ":event": outbox.stored(event),
            ":status": status,
            ":expected": expected,
            ":entry": [entry],
            ":at": entry["at"],
            ":position": position,
            ":zero": 0,
            ":one": 1,
        }
        condition = "#status = :expected AND size(history) = :position"
        if version is not None:
            condition += " AND " + _version_condition(version)
            if version:
                values[":version"] = version
        if internal_note:
            update += ", internal_notes = list_append(if_not_exists(internal_notes, :no_notes), :note)"
            values.update({":note": [internal_note], ":no_notes": []})
        if waiting_since is not None:
            update += f", {WAITING_SINCE} = :waiting_since"
            values[":waiting_since"] = waiting_since
        if move_due is not None:
            update += f", {DUE_DATE} = :moved_due"
            condition += f" AND {DUE_DATE} = :read_due"
            values.update({":read_due": move_due[0], ":moved_due": move_due[1]})
        return self._update(
            reference,
            update=update + (f" REMOVE {WAITING_SINCE}" if end_wait else ""),
            condition=condition,
            names={"#status": "status", "#outbox": outbox.ATTRIBUTE, "#version": VERSION},
            values=values,
            return_values=return_values,
        )

    def staff_change(
        self,
        reference: str,
        *,
        version: int,
        entry: dict[str, Any],
        assignee: tuple[str, str] | None = None,
        unassign: bool = False,
        internal_note: dict[str, Any] | None = None,
        return_values: str = "ALL_NEW",
    ) -> dict[str, Any]:
        """A staff change that is not a status change (an assignment, an internal note), only if the item is still at
        `version`: its staff-only history entry, the assignee (sub, email) set or removed, any internal note; the
        version counted up. Announces nothing: the resident is not told of these."""
        sets = ["history = list_append(if_not_exists(history, :none), :entry)", "updated_at = :at", "#version = :next"]
        removes: list[str] = []
        values: dict[str, Any] = {":entry": [entry], ":at": entry["at"], ":next": version + 1, ":none": []}
        if version:
            values[":version"] = version
        if assignee is not None:
            sets += ["assignee = :assignee", "assignee_email = :assignee_email"]
            values.update({":assignee": assignee[0], ":assignee_email": assignee[1]})
        elif unassign:
            removes += ["assignee", "assignee_email"]
        if internal_note:
            sets.append("internal_notes = list_append(if_not_exists(internal_notes, :no_notes), :note)")
            values.update({":note": [internal_note], ":no_notes": []})
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        return self._update(
            reference,
            update=update,
            condition="attribute_exists(#ref) AND " + _version_condition(version),
            names={"#ref": "reference", "#version": VERSION},
            values=values,
            return_values=return_values,
        )

    def _update(
        self,
        reference: str,
        *,
        update: str,
        condition: str,
        names: dict[str, str],
        values: dict[str, Any],
        return_values: str,
    ) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            response = self._table.update_item(
                Key={"reference": reference},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues=return_values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StaleVersion(
                    f"Request {reference} changed while you were working on it. Reload and try again."
                ) from error
            raise
        return dict(response.get("Attributes") or {})

    def assign(self, reference: str, *, team: str, due_date: str, entry: dict[str, Any]) -> dict[str, Any] | None:
        """Set team and due date once. Returns the new item, or None if it was already assigned (a retry)."""
        from botocore.exceptions import ClientError

        try:
            response = self._table.update_item(
                Key={"reference": reference},
                UpdateExpression="SET team = :team, due_date = :due, history = list_append(history, :entry)",
                ConditionExpression="attribute_exists(#ref) AND attribute_not_exists(team)",
                ExpressionAttributeNames={"#ref": "reference"},
                ExpressionAttributeValues={":team": team, ":due": due_date, ":entry": [entry]},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return dict(response["Attributes"])
