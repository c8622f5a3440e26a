"""Staff change a household's visitor balance (the PermitsStaff function's `adjust-visitor-balance`): `change` whole
hours or days (the zone's unit; less than 0 takes away, never below nothing), with a reason, stored on this year's
wallet with who and when (`permits.wallet_store`). `manage-permits` is checked as for verifying and revoking. The
reason is never logged.

`visitor-wallet` (`uprn`, `zone`; for `view-permits`, checked by the console): the household's balance this year,
its sessions in that year's wallet (as the resident's page lists them) and the staff's adjustments, for a permit's
page in the console. 400 a malformed field, 422 a zone without visitor permits; it writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from permits.staff import StaffPermits, StaffRefused, staff_ref
from permits.visitors import VisitorError
from permits.wallet_store import InvalidWalletRequest, WalletStore
from shared.dynamo_values import plain
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


def visitor_wallet(permits: StaffPermits, event: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    wallets, moment = WalletStore(permits.table, permits.zones), now or datetime.now(UTC)
    try:
        balance = wallets.balance(event.get("uprn"), event.get("zone"), now=moment)
        sessions = wallets.sessions(balance.uprn, balance.zone, year=balance.year, now=moment)
        adjustments = plain(wallets.adjustments(balance.uprn, balance.zone, year=balance.year))  # no Decimals
    except InvalidWalletRequest as error:
        return {"status": 400, "body": {"detail": str(error), "field": str(error).split(":", 1)[0]}}
    except VisitorError as error:
        return {"status": 422, "body": {"detail": str(error), "field": "", "refusal": type(error).__name__}}
    return {"status": 200, "body": {"balance": balance.body(), "sessions": sessions, "adjustments": adjustments}}
