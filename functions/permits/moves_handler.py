"""Moving a permit into another zone, actions of the PermitApplications function (permits.moving), the permit by its
application's reference and the new address as the web's address lookup found it:

`{"action": "move-quote", "reference", "address": {"uprn", "postcode", "street"}}` -> 200 the move priced (`zone`,
`zone_name`, `valid_from`, `valid_to`, `months`, `new_price_pence`, `credit_pence`, `to_pay_pence`,
`to_refund_pence`, `reasons`): nothing written.
`{"action": "move", "reference", "address"}` -> 200 `{"status": "applied", "new_permit_id", "refund_status", ...}`
(moved at once: nothing to pay), 202 `{"status": "pending-payment", "move_reference", "to_pay_pence", ...}` (pay
the move's order through payments with `move_reference`; the old permit stays valid until it is paid).
Both: 400 (no reference, or an address without a UPRN), 404 (no such application), 422 (a refusal: `refusal` names
it: `PermitNotChangeable`, `AddressOutsideZones`, `SameZone`, `PermitTypeNotOffered`, `HouseholdLimitReached`,
`VrmAlreadyPermitted`), 503 (payments did not take the order: nothing written). Every refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from permits.application import Applications
from permits.changes import NoSuchPermit
from permits.eligibility import Address, NotEligible
from permits.moving import Moves
from permits.refund_client import invoking
from permits.settings import application_settings
from shared.observability import logger
from shared.references import normalise_reference

MOVE_ACTIONS = frozenset({"move-quote", "move"})


@cache
def _moves(applications: Applications, register: Callable[[str, str, str, int], None]) -> Moves:
    refund = invoking(application_settings().order_refunds_function)
    return Moves(applications=applications, refund=refund, register_order=register)


def _error(status: int, detail: str, **more: Any) -> dict[str, Any]:
    return {"status": status, "body": {"detail": detail, **more}}


def handle_move(
    event: dict[str, Any], applications: Applications, register: Callable[[str, str, str, int], None]
) -> dict[str, Any]:
    return move_answer(event, _moves(applications, register))


def move_answer(event: dict[str, Any], moves: Moves) -> dict[str, Any]:
    """The action's answer (the handler's, without its settings: the unit tests call it)."""
    from permits.application_handler import PaymentsUnavailable

    reference = normalise_reference(str(event.get("reference", "")))
    if not reference:
        return _error(400, "reference: the permit's application reference.")
    given = event.get("address")
    if not isinstance(given, dict) or not str(given.get("uprn") or "").strip().isdigit():
        return _error(400, "address: give the new address as the address lookup found it (uprn, postcode, street).")
    address = Address(**{k: str(given.get(k) or "").strip() for k in ("uprn", "postcode", "street")})
    try:
        if event.get("action") == "move-quote":
            return {"status": 200, "body": moves.quote(reference, address).public()}
        made = moves.move(reference, address)
    except NoSuchPermit:
        return _error(404, "There is no permit with this reference.")
    except NotEligible as error:
        logger.info("Permit move refused", extra={"refusal": type(error).__name__})
        return _error(422, str(error), refusal=type(error).__name__)
    except PaymentsUnavailable as error:
        logger.error("Payments did not take the move's order", extra={"why": str(error)})
        return _error(503, "We could not set up the payment. Nothing was changed; please try again.")
    return {"status": 202 if made.status == "pending-payment" else 200, "body": made.public()}
