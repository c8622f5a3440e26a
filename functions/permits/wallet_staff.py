"""Staff change a household's visitor balance (the PermitsStaff function's `adjust-visitor-balance`): `change` whole
hours or days (the zone's unit; less than 0 takes away, never below nothing), with a reason, stored on this year's
wallet with who and when (`permits.wallet_store`). `manage-permits` is checked as for verifying and revoking. The
reason is never logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from permits.staff import StaffPermits, StaffRefused, staff_ref
from permits.visitors import VisitorError
from permits.wallet_store import InvalidWalletRequest, WalletStore
from shared.observability import logger


def adjust_visitor_balance(
    permits: StaffPermits, event: dict[str, Any], *, manage_roles: frozenset[str], now: datetime | None = None
) -> dict[str, Any]:
    staff = staff_ref(event.get("staff"), may=manage_roles)  # StaffRefused 400/403: the caller answers it
    wallets = WalletStore(permits.table, permits.zones)
    try:
        balance = wallets.adjust(
            event.get("uprn"),
            event.get("zone"),
            event.get("change"),
            reason=event.get("reason"),
            staff=staff.subject,
            now=now or datetime.now(UTC),
        )
    except InvalidWalletRequest as error:
        field = str(error).split(":", 1)[0]
        raise StaffRefused(400, field, str(error)) from None
    except VisitorError as error:
        return {"status": 422, "body": {"detail": str(error), "field": "change", "refusal": type(error).__name__}}
    logger.info("Visitor balance adjusted", extra={"zone": balance.zone, "year": balance.year})
    return {"status": 200, "body": {"balance": balance.body()}}
