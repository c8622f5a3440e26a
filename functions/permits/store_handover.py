"""The writes that pass a permit's VRM guard and household place on, or release them, when a permit ends: what
`PermitsStore.end` adds to the ending's one transaction (permits.store).

- A permit that holds its own guard and place (no renewal took them over) releases both: the guard deleted (only
  if it is still this permit's) and the household counter lowered (`release`).
- A renewal ended while the permit it renews is still in force (cancelled or revoked before it starts: the permit it
  renews is `active` and still `renewed_by` it, on the same mark) hands both back (`hand_back`): the guard put back
  to the renewed permit (only if it is still the renewal's), the counter unchanged (the place passes back, it is
  not freed), and the renewed permit's `renewed_by` removed (only while it is active and renewed by this one), so
  that permit is valid to its last day, ends as any other and may be renewed again.
- A renewed permit (`renewed_by`) ending releases neither: they are its renewal's (`PermitsStore.end`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from permits.store import Permit


def guard_key(zone: str, vrm: str) -> dict[str, str]:
    return {"pk": f"ACTIVE#{zone}#{vrm}", "sk": "GUARD"}


def counter_key(household: str, zone: str) -> dict[str, str]:
    return {"pk": f"HOUSEHOLD#{household}#{zone}", "sk": "COUNT"}


def release(table_name: str, permit: Permit) -> list[dict[str, Any]]:
    """The permit's guard deleted (only its own) and, for a type that counts, the household counter lowered."""
    actions: list[dict[str, Any]] = [
        {
            "Delete": {
                "TableName": table_name,
                "Key": guard_key(permit.zone, permit.vrm),
                "ConditionExpression": "permit_id = :id",
                "ExpressionAttributeValues": {":id": permit.permit_id},
            }
        }
    ]
    if permit.counts_towards_limit:
        actions.append(
            {
                "Update": {
                    "TableName": table_name,
                    "Key": counter_key(permit.household, permit.zone),
                    "UpdateExpression": "ADD active :less",
                    "ConditionExpression": "active > :none",
                    "ExpressionAttributeValues": {":less": -1, ":none": 0},
                }
            }
        )
    return actions


def handing_back(renewal: Permit, renewed: Permit | None) -> Permit | None:
    """The permit an ending renewal hands its guard and place back to, or None (they are released as usual)."""
    if renewed is None or renewal.renewed_by or renewed.status != "active":
        return None
    if renewed.renewed_by != renewal.permit_id:
        return None
    same = (renewed.vrm, renewed.zone, renewed.household) == (renewal.vrm, renewal.zone, renewal.household)
    return renewed if same else None


def hand_back(table_name: str, renewal: Permit, renewed: Permit) -> list[dict[str, Any]]:
    """The guard back to `renewed` (only if still the renewal's) and `renewed_by` removed from it (only while it is
    active and renewed by this renewal); the household counter unchanged."""
    return [
        {  # an Update, not a Put: the guard exists, and the functions that end permits may not all PutItem
            "Update": {
                "TableName": table_name,
                "Key": guard_key(renewal.zone, renewal.vrm),
                "UpdateExpression": "SET permit_id = :renewed",
                "ConditionExpression": "permit_id = :renewal",
                "ExpressionAttributeValues": {":renewal": renewal.permit_id, ":renewed": renewed.permit_id},
            }
        },
        {
            "Update": {
                "TableName": table_name,
                "Key": {"pk": f"PERMIT#{renewed.permit_id}", "sk": "PERMIT"},
                "UpdateExpression": "REMOVE renewed_by",
                "ConditionExpression": "#status = :active AND renewed_by = :renewal AND vrm = :vrm",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": {":active": "active", ":renewal": renewal.permit_id, ":vrm": renewal.vrm},
            }
        },
    ]
