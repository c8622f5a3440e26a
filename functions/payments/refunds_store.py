"""The Refunds table: one item per refund a member of staff asked for, keyed by the request's reference and the
refund's number (1, 2, ... for that reference).

A refund is written (`requesting`) under a condition that its number is new *before* Pay is asked, with the key of
the form it came from: a double click (the same form twice) finds its own refund, a second member of staff refunding
the same payment at the same moment finds the number taken and is told. Its state then follows Pay's (`submitted`,
then `success` or `error`), or `not-created` when Pay made no refund. `open` is set while Pay has the last word
(`requesting` with no answer seen, `submitted`): the reconciler polls those through the sparse `open-refunds` index,
since Pay sends no webhook when a refund ends in error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payments.store import conditional_failed, put_if_absent
from shared import aws

OPEN_REFUNDS = "open-refunds"
# status + requested_at, projecting the keys, attempt, payment_id, amount and refund_id (never the reason or who
# asked): the finance export's and the nightly comparison's refunds of a period (stacks/payments_stack.py).
REFUNDS_BY_STATUS = "refunds-by-status"
OPEN = "open"  # the one partition of the open-refunds index
REQUESTING = "requesting"  # written, Pay not yet (or not known to have been) asked
NOT_CREATED = "not-created"  # Pay made no refund for this record: nothing was paid back
FINAL = frozenset({"success", "error", NOT_CREATED})
STATES = (REQUESTING, "submitted", "success", "error", NOT_CREATED)  # every state a record can be in


class RefundNumberTaken(Exception):
    """Another request wrote this refund number first (a double click, or two members of staff at once)."""


@dataclass(frozen=True)
class RefundRecord:
    reference: str
    number: int
    attempt: int  # the paid attempt refunded
    payment_id: str
    amount: int  # pence
    reason: str  # the member of staff's words: shown to staff only, never logged
    staff: str  # Cognito `sub` of who asked
    form_key: str  # the confirmation form's one-off key: the same key is the same refund
    status: str
    requested_at: str
    refund_id: str = ""
    code: str = ""  # why it ended as it did, when Pay said (P0603, P0604, ...)
    settled_at: str = ""
    via: str = "console"  # where it was asked from: the staff console, or the staff API (`api`)
    source_ip: str = ""  # the API caller's address (the first of X-Forwarded-For): kept here, never logged

    @property
    def open(self) -> bool:
        return self.status not in FINAL

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> RefundRecord:
        return cls(
            reference=str(item["reference"]),
            number=int(item["refund"]),
            attempt=int(item["attempt"]),
            payment_id=str(item["payment_id"]),
            amount=int(item["amount"]),
            reason=str(item.get("reason", "")),
            staff=str(item.get("staff", "")),
            form_key=str(item.get("form_key", "")),
            status=str(item["status"]),
            requested_at=str(item["requested_at"]),
            refund_id=str(item.get("refund_id", "")),
            code=str(item.get("code", "")),
            settled_at=str(item.get("settled_at", "")),
            via=str(item.get("via", "console")),
            source_ip=str(item.get("source_ip", "")),
        )


class RefundsStore:
    def __init__(self, table_name: str) -> None:
        self._table = aws.table(table_name)

    def of(self, reference: str) -> list[RefundRecord]:
        """Every refund of a request, in the order they were asked for."""
        found = self._table.query(
            KeyConditionExpression="#ref = :ref",
            ExpressionAttributeNames={"#ref": "reference"},
            ExpressionAttributeValues={":ref": reference},
            ConsistentRead=True,
        )["Items"]
        return [RefundRecord.from_item(item) for item in found]

    def get(self, reference: str, number: int) -> RefundRecord | None:
        item = self._table.get_item(Key={"reference": reference, "refund": number}, ConsistentRead=True).get("Item")
        return RefundRecord.from_item(item) if item else None

    def put_new(self, record: RefundRecord, *, expires_at: int) -> None:
        item: dict[str, Any] = {
            "reference": record.reference,
            "refund": record.number,
            "attempt": record.attempt,
            "payment_id": record.payment_id,
            "amount": record.amount,
            "reason": record.reason,
            "staff": record.staff,
            "form_key": record.form_key,
            "status": record.status,
            "requested_at": record.requested_at,
            "updated_at": record.requested_at,
            "open": OPEN,
            "expires_at": expires_at,
            "via": record.via,
        }
        if record.source_ip:
            item["source_ip"] = record.source_ip
        if not put_if_absent(self._table, item):
            raise RefundNumberTaken(f"{record.reference} refund {record.number}")

    def record(self, record: RefundRecord, *, status: str, at: str, refund_id: str = "", code: str = "") -> bool:
        """Move the refund to `status` unless it is final already (the first final state wins). True when this call
        changed it. A final state takes it out of the open-refunds index."""
        from botocore.exceptions import ClientError

        names = {"#status": "status", "#ref": "reference", "#open": "open"}
        values: dict[str, Any] = {":status": status, ":at": at, ":code": code}
        update = "SET #status = :status, updated_at = :at, code = :code"
        if refund_id:
            update += ", refund_id = :refund_id"
            values[":refund_id"] = refund_id
        if status in FINAL:
            update += ", settled_at = :at REMOVE #open"
        condition = "attribute_exists(#ref) AND attribute_exists(#open) AND #status <> :status"
        try:
            self._table.update_item(
                Key={"reference": record.reference, "refund": record.number},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def open_refunds(self, *, requested_before: str, limit: int = 200) -> list[RefundRecord]:
        """Refunds Pay has yet to finish, oldest first, asked for before `requested_before` (ISO 8601)."""
        found = self._table.query(
            IndexName=OPEN_REFUNDS,
            KeyConditionExpression="#open = :open AND requested_at < :before",
            ExpressionAttributeNames={"#open": "open"},
            ExpressionAttributeValues={":open": OPEN, ":before": requested_before},
            Limit=limit,
        )["Items"]
        return [RefundRecord.from_item(item) for item in found]

    def requested_between(self, first: str, last: str, *, states: tuple[str, ...] = STATES) -> list[RefundRecord]:
        """Refunds asked for from `first` to `last` (ISO 8601, both included) in `states`, through the
        refunds-by-status index: one Query per state, every page; never a Scan. The records come without the reason
        and who asked (the index does not project them)."""
        found: list[RefundRecord] = []
        for state in states:
            query: dict[str, Any] = {
                "IndexName": REFUNDS_BY_STATUS,
                "KeyConditionExpression": "#status = :state AND requested_at BETWEEN :first AND :last",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":state": state, ":first": first, ":last": last},
            }
            while True:
                answer = self._table.query(**query)
                found += [RefundRecord.from_item(item) for item in answer["Items"]]
                if "LastEvaluatedKey" not in answer:
                    break
                query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return found
