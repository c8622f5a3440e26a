"""The Permits table's writes for changes to an issued permit (`permits.changes`): a change of vehicle, its record,
and the refund owed for a change or a cancellation. Cancelling itself is `PermitsStore.end` (status `cancelled`).

A change of vehicle is kept as `CHANGE#<reference>` / `CHANGE`: the permit's application reference, the permit id,
the old and new marks (`old_mark`, `mark`: in no index), the new vehicle's details, its price for the whole term, the
difference and its reasons; status `pending-payment`, `applied` or `paid-not-applied`; the refund owed and where it
stands (`refund_pence`, `refund_status`: owed, Pay's state, or not-made with `refund_problem`).

`swap_vehicle` is one transaction: the permit's mark changed (only while it is active and still on the old mark, with
the event in its `outbox` and a new feed stamp, so the look-up and the devices' feed stop accepting the old mark at
once), the old mark's guard deleted (only this permit's), the new mark's guard put (absent, else
`VrmAlreadyPermitted`), the application updated to the new vehicle and price (only while issued), and the change's
record put (new) or moved from `pending-payment` to `applied`. Any refusal writes nothing. With a `follower` (the
permit's renewal, issued and not started: it holds the mark's guard), the guard moved is the renewal's, the permit
must still be `renewed_by` it, and the renewal and its application move to the new mark in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from permits.eligibility import VrmAlreadyPermitted
from permits.store import PERMIT, Permit, PermitNotActive, _guard_key, feed_stamp, put_new

CHANGE = "CHANGE"
PENDING_PAYMENT = "pending-payment"
APPLIED = "applied"
PAID_NOT_APPLIED = "paid-not-applied"  # paid, but the permit or the new mark changed meanwhile: refunded in full
CORRECTION = "correction"  # a change record's `kind` when staff corrected declared details (permits.corrections)


def change_key(reference: str) -> dict[str, str]:
    return {"pk": f"{CHANGE}#{reference}", "sk": CHANGE}


def application_key(reference: str) -> dict[str, str]:
    return {"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"}


@dataclass(frozen=True)
class Swap:
    """A change of vehicle to write: the permit as it stands, the new mark and what the application will say."""

    permit: Permit
    application_reference: str
    new_vrm: str
    new_price: int  # the new vehicle's price for the whole term (the application's `price_now_pence`)
    vehicle: dict[str, Any]
    outbox: str
    ledger: list[dict[str, Any]]  # the application's ledger of payments and refunds after it (permits.refund_parts)
    follower: Follower | None = None  # the permit's renewal, not started yet, changed with it (holding the guard)
    declared: bool = False  # DVLA was down: the new vehicle's details are the resident's, for staff to verify


@dataclass(frozen=True)
class Follower:
    """The renewal of the permit being changed, issued and not started yet: it holds the mark's guard and moves to the
    new mark in the same transaction (permits.changes)."""

    permit: Permit
    application_reference: str
    new_price: int  # the new vehicle's price for the renewal's whole term
    ledger: list[dict[str, Any]]


class ChangesStore:
    def __init__(self, table: Any) -> None:
        self._table = table
        self._name = table.name
        self._client = table.meta.client

    def put_change(self, item: dict[str, Any]) -> bool:
        """A new change record; False when its reference exists (nothing overwritten)."""
        return put_new(self._table, item)

    def get_change(self, reference: str) -> dict[str, Any] | None:
        found = self._table.get_item(Key=change_key(reference)).get("Item")
        return dict(found) if found else None

    def update(self, key: dict[str, str], *, expected: str | None = None, **fields: Any) -> bool:
        """Set `fields` on the item at `key` (a change or an application), under `status = expected` when given;
        False when the condition failed."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values: dict[str, Any] = {f":f{i}": v for i, v in enumerate(fields.values())}
        request: dict[str, Any] = {
            "Key": key,
            "UpdateExpression": "SET " + ", ".join(f"#f{i} = :f{i}" for i in range(len(fields))),
            "ConditionExpression": "attribute_exists(pk)",
        }
        if expected is not None:
            names["#status"] = "status"
            values[":expected"] = expected
            request["ConditionExpression"] += " AND #status = :expected"
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = values
        try:
            self._table.update_item(**request)
        except ClientError as error:
            if _conditional(error):
                return False
            raise
        return True

    def swap_vehicle(self, swap: Swap, *, new_change: dict[str, Any] | None = None, pending: str = "") -> None:
        """The change of vehicle in one transaction (above): `new_change` put, or the `pending` change marked
        applied. Raises VrmAlreadyPermitted (the new mark's guard exists) or PermitNotActive (the permit, its
        application or the pending change moved on), having written nothing."""
        permit, mark, follower = swap.permit, swap.new_vrm, swap.follower
        holder = follower.permit.permit_id if follower is not None else permit.permit_id  # the guard's holder
        now = datetime.now(UTC)
        stamp = feed_stamp(now, permit.permit_id)
        at = now.isoformat(timespec="seconds")
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._name,
                    "Key": {"pk": f"PERMIT#{permit.permit_id}", "sk": PERMIT},
                    "UpdateExpression": "SET vrm = :new, feed_month = :month, feed_at = :at, outbox = :outbox, "
                    "vehicle_changed_at = :now",
                    "ConditionExpression": "#status = :active AND vrm = :old"
                    + (" AND renewed_by = :holder" if follower is not None else ""),
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":new": mark,
                        ":old": permit.vrm,
                        ":active": "active",
                        ":month": stamp["feed_month"],
                        ":at": stamp["feed_at"],
                        ":outbox": swap.outbox,
                        ":now": at,
                        **({":holder": holder} if follower is not None else {}),
                    },
                }
            },
            {
                "Delete": {
                    "TableName": self._name,
                    "Key": _guard_key(permit.zone, permit.vrm),
                    "ConditionExpression": "permit_id = :id",
                    "ExpressionAttributeValues": {":id": holder},
                }
            },
            {
                "Put": {
                    "TableName": self._name,
                    "Item": {**_guard_key(permit.zone, mark), "permit_id": holder},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": self._name,
                    "Key": application_key(swap.application_reference),
                    # a correction of the old vehicle's details still to pay is void: the vehicle is another now
                    "UpdateExpression": "SET mark = :new, vehicle = :vehicle, price_now_pence = :price, "
                    "ledger = :ledger, needs_verification = :verify, vehicle_source = :source "
                    "REMOVE pending_correction",
                    "ConditionExpression": "#status = :issued AND permit_id = :id",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":new": mark,
                        ":vehicle": swap.vehicle,
                        ":price": swap.new_price,
                        ":ledger": swap.ledger,
                        ":verify": swap.declared,
                        ":source": "declared" if swap.declared else "dvla",
                        ":issued": "issued",
                        ":id": permit.permit_id,
                    },
                }
            },
        ]
        if new_change is not None:
            actions.append(
                {
                    "Put": {
                        "TableName": self._name,
                        "Item": new_change,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        elif pending:
            actions.append(
                {
                    "Update": {
                        "TableName": self._name,
                        "Key": change_key(pending),
                        "UpdateExpression": "SET #status = :applied, applied_at = :now",
                        "ConditionExpression": "#status = :pending",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":applied": APPLIED, ":pending": PENDING_PAYMENT, ":now": at},
                    }
                }
            )
        if follower is not None:
            stamped = feed_stamp(now, follower.permit.permit_id)
            actions.extend(_follow(self._name, follower, (mark, permit.vrm), swap.vehicle, stamped, at))
        try:
            self._client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            codes = [str(r.get("Code", "None")) for r in error.response.get("CancellationReasons", [])]
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed" and "ConditionalCheckFailed" not in codes[:2]:
                raise VrmAlreadyPermitted(f"{mark} already has an active permit in zone {permit.zone}.") from None
            raise PermitNotActive(f"Permit {permit.permit_id} changed meanwhile: nothing was changed.") from None

    def put_correction(self, application_update: dict[str, Any], record: dict[str, Any]) -> bool:
        """Staff's correction of declared details (permits.corrections) in one transaction: the application's
        update (under its own condition) and the correction's record put (new). False when a condition failed:
        nothing was written."""
        actions = [
            {"Update": {"TableName": self._name, **application_update}},
            {"Put": {"TableName": self._name, "Item": record, "ConditionExpression": "attribute_not_exists(pk)"}},
        ]
        try:
            self._client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            return False
        return True

    def apply_paid_correction(self, change: dict[str, Any], ledger: list[dict[str, Any]]) -> None:
        """A correction's charge paid: the application's price and ledger, and the correction moved to `applied`,
        in one transaction, only while the application is issued with this correction still due (a change of
        vehicle or a cancellation since voids it). Raises PermitNotActive, having written nothing."""
        reference = str(change["change_reference"])
        at = datetime.now(UTC).isoformat(timespec="seconds")
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._name,
                    "Key": application_key(str(change["reference"])),
                    "UpdateExpression": "SET price_now_pence = :price, ledger = :ledger REMOVE pending_correction",
                    "ConditionExpression": "#status = :issued AND pending_correction = :ref",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":price": int(change["new_price_pence"]),
                        ":ledger": ledger,
                        ":issued": "issued",
                        ":ref": reference,
                    },
                }
            },
            {
                "Update": {
                    "TableName": self._name,
                    "Key": change_key(reference),
                    "UpdateExpression": "SET #status = :applied, applied_at = :now",
                    "ConditionExpression": "#status = :pending",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":applied": APPLIED, ":pending": PENDING_PAYMENT, ":now": at},
                }
            },
        ]
        try:
            self._client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            raise PermitNotActive(f"The correction {reference} is no longer due: nothing was changed.") from None


def _conditional(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _follow(
    table: str, follower: Follower, marks: tuple[str, str], vehicle: dict[str, Any], stamp: dict[str, str], at: str
) -> list[dict[str, Any]]:
    """The renewal moved to the new mark with its permit (only while active and on the old mark, with a new feed
    stamp; no event of its own: the permit's says it) and its application updated (only while issued)."""
    renewal, (mark, old) = follower.permit, marks
    return [
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": f"PERMIT#{renewal.permit_id}", "sk": PERMIT},
                "UpdateExpression": "SET vrm = :new, feed_month = :month, feed_at = :at, vehicle_changed_at = :now",
                "ConditionExpression": "#status = :active AND vrm = :old AND attribute_not_exists(renewed_by)",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":new": mark, ":old": old, ":active": "active",
                                              ":month": stamp["feed_month"], ":at": stamp["feed_at"], ":now": at},
            }
        },
        {
            "Update": {
                "TableName": table,
                "Key": application_key(follower.application_reference),
                "UpdateExpression": "SET mark = :new, vehicle = :vehicle, price_now_pence = :price, ledger = :ledger",
                "ConditionExpression": "#status = :issued AND permit_id = :id",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":new": mark, ":vehicle": vehicle, ":price": follower.new_price,
                                              ":ledger": follower.ledger,
                                              ":issued": "issued", ":id": renewal.permit_id},
            }
        },
    ]  # fmt: skip
