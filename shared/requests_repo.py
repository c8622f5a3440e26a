"""The Requests table: every resident's request, whatever the channel, keyed by its public reference.

A write that announces something stores its event in the same write (`shared/outbox.py`); the table's stream
publishes it.
"""

from __future__ import annotations

from typing import Any

from shared import aws, outbox
from shared.errors import Conflict
from shared.events import EventEnvelope
from shared.settings import FunctionSettings, current


class RequestsSettings(FunctionSettings):
    """What a function that reads or writes requests needs: its settings model derives from this one."""

    requests_table: str


class ReferenceTaken(Exception):
    """A new reference collided with an existing one (rare: ~1 in 3 billion); draw another."""


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
    ) -> dict[str, Any]:
        """Change the status only if it is still `expected` and the history still has `position` entries (two
        caseworkers cannot both win, and nothing slipped in between); add a history entry, any internal note, and
        the event announcing the change.

        Internal notes go to their own attribute, never into `history`, which residents read."""
        from botocore.exceptions import ClientError

        update = "SET #status = :status, history = list_append(history, :entry), updated_at = :at, #outbox = :event"
        values: dict[str, Any] = {
            ":event": outbox.stored(event),
            ":status": status,
            ":expected": expected,
            ":entry": [entry],
            ":at": entry["at"],
            ":position": position,
        }
        if internal_note:
            update += ", internal_notes = list_append(if_not_exists(internal_notes, :no_notes), :note)"
            values.update({":note": [internal_note], ":no_notes": []})
        try:
            response = self._table.update_item(
                Key={"reference": reference},
                UpdateExpression=update,
                ConditionExpression="#status = :expected AND size(history) = :position",
                ExpressionAttributeNames={"#status": "status", "#outbox": outbox.ATTRIBUTE},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict(
                    f"Request {reference} changed while you were working on it. Reload and try again."
                ) from error
            raise
        return dict(response["Attributes"])

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
