"""The Permits table's writes for a move into another zone (`permits.moving`): the move's record and the one
transaction that surrenders the old permit and issues the new one.

A move is kept as `MOVE#<move reference>` / `MOVE`: the application's reference, the old permit's id and zone, the
new zone, UPRN and the new permit's dates and price, the credit and the difference with its reasons; status
`pending-payment`, `applied` or `paid-not-applied`; a refund owed and where it stands (`refund_pence`,
`refund_status`, `refund_parts`, as a change of vehicle's).

`surrender_and_issue` is one transaction (any refusal writes nothing):

1. the old permit `active -> surrendered` (only while active, on the same mark and not renewed), with `moved_to`,
   a new feed stamp (so the look-up and the devices' feed stop accepting it at once) and its scheduled steps removed;
2. the old zone's VRM guard deleted (only this permit's) and, for a type that counts, the old household's counter
   lowered;
3. the new permit put (new id, `attribute_not_exists`) with the `permit-issued` envelope in its `outbox` (the
   resident is emailed as for any issued permit) and its first scheduled step;
4. the new zone's VRM guard put (absent, else `VrmAlreadyPermitted`) and, for a type that counts, the new
   household's counter raised below the zone's limit (else `HouseholdLimitReached`);
5. the application moved to the new permit (zone, UPRN, dates, months, price, household position, ledger, `moved_at`:
   only while issued and on the old permit);
6. the move's record put (new) or moved `pending-payment -> applied`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from botocore.exceptions import ClientError

from permits.eligibility import HouseholdLimitReached, VrmAlreadyPermitted
from permits.store import PERMIT, Permit, PermitNotActive, Status, _counter_key, _guard_key, feed_stamp, put_new
from permits.store_handover import release

MOVE = "MOVE"
SURRENDERED = "surrendered"  # the old permit's status after a move (Status.SURRENDERED)


def move_key(reference: str) -> dict[str, str]:
    return {"pk": f"{MOVE}#{reference}", "sk": MOVE}


@dataclass(frozen=True)
class Surrender:
    """A move to write: the old permit as read, and the new permit and application as they will be."""

    old: Permit
    application_reference: str
    new_permit_id: str
    zone: str
    uprn: str
    valid_from: date
    valid_to: date
    months: int  # the months the new permit is charged for
    price: int  # its price (the application's `price_now_pence`)
    household_limit: int  # the new zone's
    household_position: int  # the household's permits there before this one (a change of vehicle prices by it)
    outbox: str  # the new permit's permit-issued envelope
    due_on: str | None  # the new permit's first scheduled step
    ledger: list[dict[str, Any]]  # the application's ledger after the move (permits.refund_parts)


def surrender_actions(table: str, move: Surrender, *, moved_at: datetime) -> list[dict[str, Any]]:
    """Steps 1 to 5 above, in order (the move's record is added by the caller)."""
    old = move.old
    at = moved_at.astimezone(UTC)
    old_stamp, new_stamp = feed_stamp(at, old.permit_id), feed_stamp(at, move.new_permit_id)
    actions: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": f"PERMIT#{old.permit_id}", "sk": PERMIT},
                "UpdateExpression": "SET #status = :surrendered, moved_to = :new, feed_month = :month, "
                "feed_at = :at REMOVE due_on",
                "ConditionExpression": "#status = :active AND vrm = :vrm AND attribute_not_exists(renewed_by)",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":surrendered": SURRENDERED,
                    ":new": move.new_permit_id,
                    ":month": old_stamp["feed_month"],
                    ":at": old_stamp["feed_at"],
                    ":active": str(Status.ACTIVE),
                    ":vrm": old.vrm,
                },
            }
        },
    ]
    actions.extend(release(table, old))  # its zone's guard deleted and, for a type that counts, the counter lowered
    permit = {
        "pk": f"PERMIT#{move.new_permit_id}",
        "sk": PERMIT,
        "record": PERMIT,
        "permit_id": move.new_permit_id,
        "vrm": old.vrm,
        "zone": move.zone,
        "kind": str(old.kind),
        "valid_from": move.valid_from.isoformat(),
        "valid_to": move.valid_to.isoformat(),
        "status": str(Status.ACTIVE),
        "household": move.uprn,
        "counts_towards_limit": old.counts_towards_limit,
        "reference": move.application_reference,
        "moved_from": old.permit_id,
        "outbox": move.outbox,
        **new_stamp,
        **({"due_on": move.due_on} if move.due_on else {}),
    }
    actions += [
        {"Put": {"TableName": table, "Item": permit, "ConditionExpression": "attribute_not_exists(pk)"}},
        {
            "Put": {
                "TableName": table,
                "Item": {**_guard_key(move.zone, old.vrm), "permit_id": move.new_permit_id},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]
    if old.counts_towards_limit:
        actions.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": _counter_key(move.uprn, move.zone),
                    "UpdateExpression": "ADD active :one",
                    "ConditionExpression": "attribute_not_exists(active) OR active < :limit",
                    "ExpressionAttributeValues": {":one": 1, ":limit": move.household_limit},
                }
            }
        )
    actions.append(
        {
            "Update": {
                "TableName": table,
                "Key": {"pk": f"APPLICATION#{move.application_reference}", "sk": "APPLICATION"},
                "UpdateExpression": "SET permit_id = :new, permit_zone = :zone, uprn = :uprn, valid_from = :from, "
                "valid_to = :to, months = :months, price_now_pence = :price, household_limit = :limit, "
                "household_position = :position, ledger = :ledger, moved_at = :at",
                "ConditionExpression": "#status = :issued AND permit_id = :old",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {
                    ":new": move.new_permit_id,
                    ":zone": move.zone,
                    ":uprn": move.uprn,
                    ":from": move.valid_from.isoformat(),
                    ":to": move.valid_to.isoformat(),
                    ":months": move.months,
                    ":price": move.price,
                    ":limit": move.household_limit,
                    ":position": move.household_position,
                    ":ledger": move.ledger,
                    ":at": at.isoformat(timespec="seconds"),
                    ":issued": "issued",
                    ":old": old.permit_id,
                },
            }
        }
    )
    return actions


class MovesStore:
    def __init__(self, table: Any) -> None:
        self._table = table
        self._name = table.name
        self._client = table.meta.client

    def get_move(self, reference: str) -> dict[str, Any] | None:
        found = self._table.get_item(Key=move_key(reference)).get("Item")
        return dict(found) if found else None

    def put_move(self, item: dict[str, Any]) -> bool:
        """A new move record; False when its reference exists (nothing overwritten)."""
        return put_new(self._table, item)

    def surrender_and_issue(
        self, move: Surrender, *, new_move: dict[str, Any] | None = None, pending: str = ""
    ) -> None:
        """The move in one transaction (above): `new_move` put, or the `pending` move marked applied. Raises
        VrmAlreadyPermitted (the new zone's guard is taken), HouseholdLimitReached (the new household is at its
        limit) or PermitNotActive (the old permit, the application or the pending move changed meanwhile), having
        written nothing."""
        now = datetime.now(UTC)
        actions = surrender_actions(self._name, move, moved_at=now)
        if new_move is not None:
            actions.append(
                {"Put": {"TableName": self._name, "Item": new_move, "ConditionExpression": "attribute_not_exists(pk)"}}
            )
        elif pending:
            actions.append(
                {
                    "Update": {
                        "TableName": self._name,
                        "Key": move_key(pending),
                        "UpdateExpression": "SET #status = :applied, applied_at = :now",
                        "ConditionExpression": "#status = :pending",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {
                            ":applied": "applied",
                            ":pending": "pending-payment",
                            ":now": now.isoformat(timespec="seconds"),
                        },
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            codes = [str(r.get("Code", "None")) for r in error.response.get("CancellationReasons", [])]
            failed = {_what(action) for action, code in zip(actions, codes, strict=False) if code != "None"}
            if "new-guard" in failed and len(failed) == 1:
                raise VrmAlreadyPermitted(f"{move.old.vrm} already has an active permit in zone {move.zone}.") from None
            if "new-counter" in failed and len(failed) == 1:
                raise HouseholdLimitReached(
                    f"This household already holds {move.household_limit} permit(s) in zone {move.zone}, the most "
                    "it may."
                ) from None
            raise PermitNotActive(f"Permit {move.old.permit_id} changed meanwhile: nothing was moved.") from None


def _what(action: dict[str, Any]) -> str:
    """Which step an action of the transaction is (to name what refused it)."""
    kind, body = next(iter(action.items()))
    pk = str(body.get("Key", body.get("Item", {})).get("pk", ""))
    if pk.startswith("ACTIVE#") and kind == "Put":
        return "new-guard"
    if pk.startswith("HOUSEHOLD#") and ":one" in body.get("ExpressionAttributeValues", {}):
        return "new-counter"
    return pk.split("#", 1)[0].lower() or kind
