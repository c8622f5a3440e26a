"""The resident's visitor wallet, actions of the PermitApplications function (permits.wallet_store):

`{"action": "visitor-balance", "uprn", "zone"}` -> 200 the balance (`uprn`, `zone`, `year`, `unit`: `minutes` or
`days`, `allowance`, `used`, `left`, `adjusted`, `description`).
`{"action": "start-visitor-session", "uprn", "zone", "vrm", "start", "hours"}` (an hours zone: `start` an aware ISO
time, `hours` up to 24) or `{..., "day"}` (a days zone: an ISO date) -> 201 `{"session": {id, vrm, zone, start, end},
"balance": {...}}`.
`{"action": "cancel-visitor-session", "uprn", "session_id"}` -> 200 `{"session", "balance"}` (a day given back).
400 a malformed field (`detail` names it), 404 no such session for the household, 422 a refusal (`refusal`:
`NoAllowanceLeft`, `OutsideControlledHours`, `NotCancellable`, `VisitorError`; `detail` for the resident).
Every refusal writes nothing. The caller must have checked who the resident is and that the UPRN is theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from permits.store import VisitorSession
from permits.visitors import VisitorError
from permits.vrm import InvalidVrm
from permits.wallet_store import InvalidWalletRequest, NoSuchSession, WalletStore
from shared.observability import logger

WALLET_ACTIONS = frozenset({"visitor-balance", "start-visitor-session", "cancel-visitor-session"})
MAX_HOURS = 24


def _error(status: int, detail: str, **more: Any) -> dict[str, Any]:
    return {"status": status, "body": {"detail": detail, **more}}


def _session(session: VisitorSession) -> dict[str, Any]:
    return {"id": session.session_id, "vrm": session.vrm, "zone": session.zone,
            "start": session.start.isoformat(), "end": session.end.isoformat()}  # fmt: skip


def _start_fields(event: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if event.get("day") is not None:
        try:
            fields["day"] = date.fromisoformat(str(event["day"]))
        except ValueError:
            raise InvalidWalletRequest("day: a date, YYYY-MM-DD.") from None
    if event.get("start") is not None or event.get("hours") is not None:
        try:
            start = datetime.fromisoformat(str(event.get("start")))
        except ValueError:
            raise InvalidWalletRequest("start: a time with its offset, e.g. 2027-05-04T10:00:00+01:00.") from None
        if start.tzinfo is None:
            raise InvalidWalletRequest("start: give the time's offset (e.g. +01:00).")
        hours = event.get("hours")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours <= MAX_HOURS:
            raise InvalidWalletRequest(f"hours: how many hours, more than 0 and at most {MAX_HOURS}.")
        fields["start"], fields["hours"] = start, float(hours)
    return fields


def handle_wallet(
    event: dict[str, Any], wallets: WalletStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> dict[str, Any]:
    action, now = event.get("action"), clock()
    try:
        if action == "visitor-balance":
            return {"status": 200, "body": wallets.balance(event.get("uprn"), event.get("zone"), now=now).body()}
        if action == "start-visitor-session":
            session, balance = wallets.start(
                event.get("uprn"), event.get("zone"), event.get("vrm"), now=now, **_start_fields(event)
            )
            logger.info("Visitor session started", extra={"session_id": session.session_id, "zone": session.zone})
            return {"status": 201, "body": {"session": _session(session), "balance": balance.body()}}
        session, balance = wallets.cancel(event.get("uprn"), event.get("session_id"), now=now)
        logger.info("Visitor day cancelled", extra={"session_id": session.session_id})
        return {"status": 200, "body": {"session": _session(session), "balance": balance.body()}}
    except (InvalidWalletRequest, InvalidVrm) as error:
        return _error(400, str(error))
    except NoSuchSession as error:
        return _error(404, str(error))
    except VisitorError as error:
        logger.info("Visitor wallet refused", extra={"refusal": type(error).__name__})
        return _error(422, str(error), refusal=type(error).__name__)
