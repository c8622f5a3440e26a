"""A request's history: what the cases service writes, and what residents may read of it.

Each status change adds one entry to the item's `history`: the status, when, and optionally a resident-facing
update (`update`, named by its `update_id`). A caseworker's internal notes never go into `history`: they are kept in
`internal_notes`, which only staff routes return, so no view built from `history` (the public status, the web's
tracking page, the resident's messages) can show them.

Staff changes that do not concern the resident (an assignment, an internal note) add a *staff-only* entry
(`staff_only`, with what was done and by whom) so the staff timeline shows every change; `public_history` leaves
them out, so the resident's view is the same as if they were not there.

The notifications consumer reads an update's text here, by the `update_id` a status-changed event carries: events
carry identifiers, never free text.
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.statuses import Status, label

# Update ids are derived from the request and the entry's position, so a retried change names the same update.
_UPDATE_NAMESPACE = uuid.UUID("2a0f7d4c-93e1-4f3b-8b8e-5c1d6a9e0b47")


def update_id(reference: str, position: int) -> str:
    """The id of the resident-facing update at `position` in the history of `reference`."""
    return str(uuid.uuid5(_UPDATE_NAMESPACE, f"{reference}:{position}"))


def history_entry(status: str, at: str, *, update: str = "", update_ref: str | None = None) -> dict[str, Any]:
    """One history entry; the update (with its id) only when there is one to show the resident."""
    entry: dict[str, Any] = {"status": status, "at": at}
    if update:
        entry["update"] = update
        if update_ref:
            entry["update_id"] = update_ref
    return entry


def staff_entry(status: str, at: str, *, action: str, by: str, detail: str, version: int) -> dict[str, Any]:
    """A history entry only staff see: `action` done by `by` (a Cognito sub), described by `detail` (no resident's
    personal data: it is shown on the staff timeline), which made the item `version`."""
    return {
        "status": status,
        "at": at,
        "staff_only": True,
        "action": action,
        "by": by,
        "detail": detail,
        "version": version,
    }


def public_history(item: dict[str, Any]) -> list[dict[str, Any]]:
    """Status, time and resident-facing update of each entry the resident may see (not staff-only ones): nothing
    else an entry holds is shown."""
    return [
        {
            "status": entry["status"],
            "status_label": label(Status(entry["status"])),
            "at": entry["at"],
            "update": str(entry.get("update", "")),
        }
        for entry in item.get("history", [])
        if not entry.get("staff_only")
    ]


def resident_update(item: dict[str, Any], update_ref: str | None) -> str:
    """The text of the resident-facing update `update_ref` on this request ("" when there is none)."""
    if not update_ref:
        return ""
    for entry in item.get("history", []):
        if entry.get("update_id") == update_ref:
            return str(entry.get("update", ""))
    return ""
