"""The resident's changes to an issued permit, actions of the PermitApplications function (permits.changes):

`{"action": "change-vehicle", "reference", "vrm", "declared_vehicle"?}` -> 200 `{"status": "applied", ...}` (changed
at once: nothing to pay, or the difference refunded: `refund_status`), 202 `{"status": "pending-payment",
"change_reference", "to_pay_pence", ...}` (pay the change's order through payments with `change_reference`; the old
mark stays valid until it is paid), 400 (a malformed field or mark), 404 (no such application), 422 (a refusal:
`refusal` names it, e.g. `PermitNotChangeable`, `SameVehicle`, `VrmAlreadyPermitted`, `VehicleMarkedForExport`,
`VehicleNotKnown`, `DeclarationNeeded` with `declare: true`), 503 (payments did not take the order, or DVLA refused
our key: nothing written).
`{"action": "cancel", "reference"}` -> 200 `{"status": "cancelled", "ended_on", "refund_pence", "reasons",
"refund_status"}`, 404, 422 (`PermitNotChangeable`).
Every refusal writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from permits.adapters.dvla_models import DvlaError
from permits.application import Applications, DeclarationNeeded, DeclaredVehicle, InvalidApplication
from permits.changes import Changes, NoSuchPermit
from permits.eligibility import NotEligible
from permits.refund_client import invoking
from permits.settings import application_settings
from permits.vrm import InvalidVrm
from shared.observability import logger
from shared.references import normalise_reference


@cache
def _changes(applications: Applications, register: Callable[[str, str, str, int], None]) -> Changes:
    refund = invoking(application_settings().order_refunds_function)
    return Changes(applications=applications, refund=refund, register_order=register)


def _error(status: int, detail: str, **more: Any) -> dict[str, Any]:
    return {"status": status, "body": {"detail": detail, **more}}


def handle_change(
    event: dict[str, Any], applications: Applications, register: Callable[[str, str, str, int], None]
) -> dict[str, Any]:
    from permits.application_handler import PaymentsUnavailable

    reference = normalise_reference(str(event.get("reference", "")))
    if not reference:
        return _error(400, "reference: the permit's application reference.")
    changes = _changes(applications, register)
    try:
        if event.get("action") == "cancel":
            return {"status": 200, "body": changes.cancel(reference).public()}
        vrm, declared = event.get("vrm"), event.get("declared_vehicle")
        if not isinstance(vrm, str) or not vrm.strip():
            return _error(400, "vrm: give the new vehicle's registration mark.")
        made = changes.change_vehicle(reference, vrm, DeclaredVehicle.parse(declared) if declared else None)
    except NoSuchPermit:
        return _error(404, "There is no permit with this reference.")
    except (InvalidApplication, InvalidVrm) as error:
        return _error(400, str(error))
    except DeclarationNeeded as error:
        return _error(422, str(error), refusal=type(error).__name__, declare=True)
    except NotEligible as error:
        logger.info("Permit change refused", extra={"refusal": type(error).__name__})
        return _error(422, str(error), refusal=type(error).__name__)
    except PaymentsUnavailable as error:
        logger.error("Payments did not take the change's order", extra={"why": str(error)})
        return _error(503, "We could not set up the payment. Nothing was changed; please try again.")
    except DvlaError as error:
        logger.error("DVLA refused the enquiry", extra={"dvla_code": error.code, "dvla_status": error.status})
        return _error(503, "We cannot check vehicles just now. Please try again later.")
    return {"status": 202 if made.status == "pending-payment" else 200, "body": made.public()}
