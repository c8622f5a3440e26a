"""The writes by which a renewal takes over from the permit it renews (`PermitsStore.issue(renews=...)`), in the
renewal's own transaction: the VRM guard put under "absent, or held by the renewed permit", and the renewed permit
marked `renewed_by` (only while it is active and not renewed already) instead of the household counter going up, so
the renewal holds the household's place the old permit held. `PermitsStore.end` of a permit with `renewed_by` then
neither deletes the guard nor lowers the counter: both are the renewal's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from permits.store import Permit


def renewable(renewed: Permit | None, mark: str, zone: str, household: str) -> Permit | None:
    """The permit a renewal takes over from, or None when it has ended or was renewed meanwhile, or its vehicle was
    changed since the renewal was applied for (the renewal is then issued as any other permit, under the guard and
    the counter)."""
    if renewed is None or renewed.status != "active" or renewed.renewed_by:
        return None
    return renewed if (renewed.vrm, renewed.zone, renewed.household) == (mark, zone, household) else None


def guard_condition(renewed_id: str) -> dict[str, Any]:
    """The guard's condition for a renewal: absent, or held by the renewed permit."""
    return {
        "ConditionExpression": "attribute_not_exists(pk) OR permit_id = :renewed",
        "ExpressionAttributeValues": {":renewed": renewed_id},
    }


def takeover(table_name: str, renewed_id: str, renewal_id: str) -> dict[str, Any]:
    """The renewed permit marked as renewed by `renewal_id`, if still active and not renewed already."""
    return {
        "Update": {
            "TableName": table_name,
            "Key": {"pk": f"PERMIT#{renewed_id}", "sk": "PERMIT"},
            "UpdateExpression": "SET renewed_by = :by",
            "ConditionExpression": "#status = :active AND attribute_not_exists(renewed_by)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {":by": renewal_id, ":active": "active"},
        }
    }
