"""Repricing a permit whose declared vehicle details staff corrected (`StaffPermits.verify`, outcome `corrected`).

The resident declared the details because DVLA was down (applying, or changing the vehicle: `needs_verification`);
staff checked them with DVLA and put them right. For an issued permit in force, the corrected vehicle is priced for
the permit's whole term by the rules that priced it (`changes.term_price`) and the difference for the months left is
worked out as for a change of vehicle (`change_prices.vehicle_change_price`, from today: the current price is the
permit's `price_now_pence`). Then, in one transaction with the verification itself (the application's update under
`needs_verification = true`, `status = issued` and its permit id) a correction record is put (`CHANGE#<reference>`,
`kind: correction`, the event `permit-repriced` in its `outbox`, so the resident is emailed):

- nothing to pay or refund: the record `applied`;
- a difference to refund: the application's `price_now_pence` and ledger at once, the record `applied` with its
  refund parts (split across the permit's payments, newest first: `permits.refund_parts`), then refunded through
  payments (`refund-order`, keys `correction:<reference>:<order>`); a part payments did not make is `not-made` on
  the record, for staff;
- a difference to pay: first registered with payments as an order of its own (service id `parking-permit-change`,
  the correction's reference; payments not taking it refuses the verification, nothing written), the record
  `pending-payment` and the application's `pending_correction` naming it. The resident pays from the permit's
  manage link; on `order-paid` the issuer applies it (`Changes.apply_paid_change`: the price and ledger), or, when
  the permit changed vehicle, was cancelled or ended meanwhile, refunds the payment in full.

A permit not issued, or no longer in force, is verified without repricing (the price stays as registered or paid).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from permits.application import APPLICATION_RETENTION, ISSUED, Application
from permits.change_prices import vehicle_change_price
from permits.changes import CHANGE_SERVICE_ID, PermitNotChangeable, refund_parts, term_price
from permits.changes_store import (
    APPLIED,
    CHANGE,
    CORRECTION,
    PENDING_PAYMENT,
    ChangesStore,
    application_key,
    change_key,
)
from permits.orders import PaymentsUnavailable, Registrar
from permits.pricing import VehicleFacts, pounds
from permits.refund_client import Refunder
from permits.refund_parts import allocate, ledger_of, refunded
from permits.store import PermitsStore, Status
from permits.zones import ZonesFile
from shared import outbox
from shared.events import EventType, derived_id, new_event
from shared.observability import logger
from shared.references import new_reference

CORRECTION_TITLE = "Parking permit: corrected vehicle details"
LONDON = ZoneInfo("Europe/London")
SOURCE = "permits"
REPRICED = (
    "The parking team checked the vehicle's details with DVLA and corrected the ones you declared, so the permit is "
    "priced again for the months left."
)


class CorrectionNotMade(Exception):
    """Payments did not take the correction's order: nothing was written."""


class Corrections:
    def __init__(
        self,
        *,
        table: Any,
        zones: ZonesFile,
        register_order: Registrar | None,
        refund: Refunder | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = new_reference,
    ) -> None:
        self.store, self.changes, self.zones = PermitsStore(table), ChangesStore(table), zones
        self._register, self._refund, self._clock, self._new_id = register_order, refund, clock, new_id

    def repriceable(self, item: dict[str, Any]) -> bool:
        """Whether a correction reprices this application: an issued permit in force."""
        if item.get("status") != ISSUED or not item.get("permit_id"):
            return False
        permit = self.store.get(str(item["permit_id"]))
        today = self._clock().astimezone(LONDON).date()
        return permit is not None and permit.status is Status.ACTIVE and permit.valid_to >= today

    def correct(
        self, item: dict[str, Any], vehicle: dict[str, Any], update: dict[str, Any], correlation_id: str = ""
    ) -> dict[str, Any] | None:
        """The verification's `update` (an UpdateItem's Key, expressions and values, its condition included) with
        the permit repriced for the corrected `vehicle`; the repricing as kept (`verification.repricing`), or None
        when a condition failed (nothing written). Raises CorrectionNotMade (payments), PermitNotChangeable."""
        application = Application.from_item(item)
        now = self._clock()
        today = now.astimezone(LONDON).date()
        facts = VehicleFacts(co2_g_km=vehicle.get("co2_g_km"), engine_cc=vehicle.get("engine_cc"),
                             fuel=str(vehicle["fuel"]))  # fmt: skip
        new_price = term_price(self.zones, item, application, facts)
        current = int(item.get("price_now_pence", application.pence))
        priced = vehicle_change_price(
            valid_from=application.valid_from,
            valid_to=application.valid_to,
            term_months=application.months,
            current_price=current,
            new_price=new_price,
            changed_on=today,
        )
        runs, _, left, outcome = priced.reasons  # the change-of-vehicle wording of the two prices replaced
        prices = (f"For its {application.months} months the permit costs {pounds(new_price)} for the vehicle as "
                  f"corrected and {pounds(current)} as declared.")  # fmt: skip
        reasons = [REPRICED, runs, prices, left, outcome]
        reference = self._new_id()
        at = now.astimezone(UTC).isoformat(timespec="seconds")
        event = new_event(
            EventType.PERMIT_REPRICED,
            source=SOURCE,
            correlation_id=correlation_id or logger.get_correlation_id() or "unknown",
            data={"reference": application.reference, "permit_id": application.permit_id,
                  "change_reference": reference, "amount_pence": priced.difference},
            id_=derived_id(f"{reference}:repriced"),
        )  # fmt: skip
        repricing = {"change_reference": reference, "amount_pence": priced.difference, "new_price_pence": new_price,
                     "reasons": reasons}  # fmt: skip
        record: dict[str, Any] = {
            **change_key(reference),
            "record": CHANGE,
            "kind": CORRECTION,
            "change_reference": reference,
            "reference": application.reference,
            "permit_id": application.permit_id,
            "permit_zone": application.zone,
            "old_mark": application.vrm,
            "mark": application.vrm,
            "vehicle": vehicle,
            "new_price_pence": new_price,
            "amount_pence": priced.difference,
            "reasons": reasons,
            "created_at": at,
            "expires_at": int((now + APPLICATION_RETENTION).timestamp()),
            outbox.ATTRIBUTE: outbox.stored(event),
        }
        values = dict(update["ExpressionAttributeValues"])
        values[":check"] = {**values[":check"], "repricing": repricing}
        sets, condition = update["UpdateExpression"], update["ConditionExpression"]
        condition += " AND #status = :issued AND permit_id = :permit"
        values.update({":issued": ISSUED, ":permit": application.permit_id})
        parts: list[dict[str, Any]] = []
        if priced.to_pay:
            if self._register is None:
                raise RuntimeError("No payments to register the correction's order with.")
            try:
                self._register(reference, CHANGE_SERVICE_ID, CORRECTION_TITLE, priced.to_pay)
            except PaymentsUnavailable as error:
                raise CorrectionNotMade(str(error)) from None
            record["status"] = PENDING_PAYMENT
            sets += ", pending_correction = :correction"
            values[":correction"] = reference
        else:
            ledger = ledger_of(item)
            split = allocate(ledger, priced.to_refund)
            parts = [{"order": o, "pence": p, "reason": "Parking permit: corrected vehicle details", "status": "owed",
                      "key": f"correction:{reference}:{o}"} for o, p in split]  # fmt: skip
            record.update(status=APPLIED, applied_at=at, refund_pence=priced.to_refund)
            if parts:
                record.update(refund_status="owed", refund_parts=parts)
            sets += ", price_now_pence = :price, ledger = :ledger"
            values.update({":price": new_price, ":ledger": refunded(ledger, split)})
        names = {**update.get("ExpressionAttributeNames", {}), "#status": "status"}
        written = self.changes.put_correction(
            {"Key": update["Key"], "UpdateExpression": sets, "ConditionExpression": condition,
             "ExpressionAttributeNames": names, "ExpressionAttributeValues": values},
            record,
        )  # fmt: skip
        if not written:
            return None
        logger.info("Permit repriced on correction", extra={"reference": application.reference, "change": reference})
        if parts and self._refund is not None:
            repricing["refund_status"] = refund_parts(self.changes, self._refund, change_key(reference), parts)
        return repricing


def due_correction(table: Any, item: dict[str, Any]) -> dict[str, Any] | None:
    """The correction an application's resident still has to pay (for the manage link's page), or None."""
    reference = str(item.get("pending_correction") or "")
    if not reference:
        return None
    change = ChangesStore(table).get_change(reference)
    if not change or change.get("status") != PENDING_PAYMENT:
        return None
    return {
        "change_reference": reference,
        "to_pay_pence": int(change["amount_pence"]),
        "reasons": [str(r) for r in change.get("reasons", [])],
    }


__all__ = ["CorrectionNotMade", "Corrections", "PermitNotChangeable", "application_key", "due_correction"]
