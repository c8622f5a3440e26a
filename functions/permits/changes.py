"""Changes to an issued permit asked for by the resident: a change of vehicle and cancellation, each refusal before
anything is written, each change announced in the permit's `outbox` in the same write (shared/outbox.py).

Change of vehicle (`Changes.change_vehicle(reference, vrm, declared)`, the permit by its application's reference):

1. the application must be issued and its permit active and not past its last day (else `PermitNotChangeable`);
2. the new mark is checked as an application's is: a UK mark (`InvalidVrm`), not the permit's own (`SameVehicle`),
   on no active permit in the zone (`VrmAlreadyPermitted`), known to DVLA and not marked for export (the same
   `Applications.vehicle_of`: DVLA down lets the resident declare the details, marked `needs_verification`);
3. the price difference for the rest of the permit (`permits.change_prices`);
4. nothing to pay: the change is written at once (`ChangesStore.swap_vehicle`: the old mark's guard released and
   the new one taken in one transaction, so the old mark is refused by the look-up at once) and a difference to
   refund is refunded through payments (`refund-order`, split across the permit's payments: `permits.refund_parts`);
   a difference to pay: the change is registered with payments as an order of its own (service id
   `parking-permit-change`, the change's new reference) and stored `pending-payment`; the old mark stays valid until
   the issuer applies the change on `order-paid` (`apply_paid_change`). A change paid for that can no longer be
   applied (the permit ended, the mark was permitted meanwhile, a wrong amount) is `paid-not-applied` and refunded
   in full.

Cancellation (`Changes.cancel(reference)`): the permit ended at once (`PermitsStore.end`, status `cancelled`: the
guard and the household's place released) with the application marked `cancelled` in the same transaction, and the
zone's refund (`validity.cancellation_refund`: the whole months left from today, at the permit's current price, less
the admin fee, never negative) refunded through payments, newest payment first. Each part of a refund has its own key
(`<change|cancel>:<reference>:<order>`) and state (`refund_parts`); a part payments did not make is kept
(`refund_status: not-made`, `refund_problem`) and logged for staff, and cancelling again asks for it again (the same
key: one refund).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from permits import handover
from permits.adapters.dvla_models import Vehicle
from permits.application import (
    APPLICATION_RETENTION,
    ISSUED,
    Application,
    Applications,
    DeclaredVehicle,
    vehicle_details,
)
from permits.change_prices import VehicleChangePrice, moved_term_price, vehicle_change_price
from permits.changes_store import (
    APPLIED,
    CHANGE,
    CORRECTION,
    PAID_NOT_APPLIED,
    PENDING_PAYMENT,
    ChangesStore,
    Follower,
    Swap,
    application_key,
    change_key,
)
from permits.eligibility import NotEligible, VehicleMarkedForExport, VrmAlreadyPermitted
from permits.pricing import PriceError, VehicleFacts
from permits.quotes import quote
from permits.refund_client import RefundAsk, Refunder, RefundNotMade
from permits.refund_parts import allocate, ledger_of, refunded
from permits.store import Permit, PermitNotActive, Status
from permits.validity import Refund, Term, cancellation_refund
from permits.vrm import Vrm, parse_vrm
from permits.zones import Cancellation as CancellationRule
from permits.zones import PermitType, ZonesFile
from shared import outbox
from shared.calendar import LONDON
from shared.events import EventType, derived_id, new_event
from shared.observability import logger
from shared.references import new_reference

CHANGE_SERVICE_ID = "parking-permit-change"  # a change of vehicle's order at payments
CHANGE_TITLE = "Parking permit: change of vehicle"
CANCELLED = "cancelled"  # the application's status once its permit is cancelled
SOURCE = "permits"


class PermitNotChangeable(NotEligible):
    """Not an issued permit in force (not yet issued, expired, cancelled or revoked): nothing was written."""


class SameVehicle(NotEligible):
    """The new mark is the permit's own."""


class NoSuchPermit(LookupError):
    """No application with this reference."""


@dataclass(frozen=True)
class VehicleChange:
    status: str  # applied (at once) or pending-payment (an order to pay first)
    change_reference: str
    reference: str
    permit_id: str
    vrm: str
    old_vrm: str
    difference: int
    reasons: tuple[str, ...]
    refund_status: str = ""  # when a difference was refunded: Pay's state, or not-made
    renewal_note: str = ""  # the permit's renewal changing with it (permits.handover)

    def public(self) -> dict[str, Any]:
        return {
            "renewal_note": self.renewal_note,
            "status": self.status,
            "change_reference": self.change_reference,
            "reference": self.reference,
            "permit_id": self.permit_id,
            "vrm": self.vrm,
            "old_vrm": self.old_vrm,
            "amount_pence": self.difference,
            "to_pay_pence": max(0, self.difference),
            "to_refund_pence": max(0, -self.difference),
            "reasons": list(self.reasons),
            "refund_status": self.refund_status,
        }


@dataclass(frozen=True)
class Cancellation:
    reference: str
    permit_id: str
    ended_on: date
    refund_pence: int
    reasons: tuple[str, ...] = field(default=())
    refund_status: str = ""
    renewal_note: str = ""  # what it means for the permit's renewal, or for the permit a renewal renews (handover)

    def public(self) -> dict[str, Any]:
        return {
            "renewal_note": self.renewal_note,
            "status": CANCELLED,
            "reference": self.reference,
            "permit_id": self.permit_id,
            "ended_on": self.ended_on.isoformat(),
            "refund_pence": self.refund_pence,
            "reasons": list(self.reasons),
            "refund_status": self.refund_status,
        }


@dataclass(frozen=True)
class RenewalChange:
    """The permit's renewal changing vehicle with it (permits.handover): its application, the renewal, its
    difference for its whole term, and its new and current prices."""

    item: dict[str, Any]
    application: Application
    permit: Permit
    priced: VehicleChangePrice
    new_price: int
    current: int

    def record(self) -> dict[str, Any]:
        """What the change's record keeps of it, for applying the change once paid."""
        return {
            "renewal_permit_id": self.permit.permit_id,
            "renewal_reference": self.application.reference,
            "renewal_new_price_pence": self.new_price,
            "renewal_amount_pence": self.priced.difference,
        }


class Changes:
    def __init__(
        self,
        *,
        applications: Applications,
        refund: Refunder,
        register_order: Callable[[str, str, str, int], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = new_reference,
    ) -> None:
        self.applications = applications
        self.store = applications.store
        self.changes = ChangesStore(self.store._table)
        self._refund, self._register = refund, register_order
        self._clock, self._new_id = clock, new_id

    # -- change of vehicle ---------------------------------------------------------------------------------------
    def change_vehicle(self, reference: str, vrm_text: str, declared: DeclaredVehicle | None = None) -> VehicleChange:
        now = self._clock()
        today = now.astimezone(LONDON).date()  # the London day: a permit's dates are London dates
        item, application, permit = self._in_force(reference, today, "change its vehicle")
        self._vehicle_changeable(item, permit, today)
        vrm = parse_vrm(vrm_text)
        if vrm.value == permit.vrm:
            raise SameVehicle(f"{vrm.display} is already the vehicle on this permit.")
        vehicle, declared_used = self._new_vehicle(permit, vrm, today, declared)
        facts = vehicle.facts() if vehicle is not None else declared_used.facts() if declared_used else None
        new_price = self._new_price(item, application, facts)
        priced = vehicle_change_price(
            valid_from=application.valid_from,
            valid_to=application.valid_to,
            term_months=application.months,
            current_price=int(item.get("price_now_pence", application.pence)),
            new_price=new_price,
            changed_on=today,
        )
        follow = self._follower(permit, today, facts)
        total = priced.difference + (follow.priced.difference if follow else 0)
        reasons = priced.reasons
        if follow is not None:
            reasons = (*reasons, *handover.follow_reasons(follow.application, follow.new_price, follow.current, total))
        if declared_used is not None:
            reasons = ("DVLA could not be reached, so this uses the details you declared; the parking team will "
                       "check them with DVLA.", *reasons)  # fmt: skip
        change_reference = self._new_id()
        details = vehicle_details(vehicle, declared_used)
        change: dict[str, Any] = {
            **change_key(change_reference),
            "record": CHANGE,
            "change_reference": change_reference,
            "reference": reference,
            "permit_id": permit.permit_id,
            "permit_zone": permit.zone,
            "old_mark": permit.vrm,
            "mark": vrm.value,
            "vehicle": details,
            "vehicle_source": "declared" if declared_used is not None else "dvla",
            "needs_verification": declared_used is not None,
            "new_price_pence": new_price,
            "amount_pence": total,
            "reasons": list(reasons),
            **(follow.record() if follow is not None else {}),
            "created_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "expires_at": int((now + APPLICATION_RETENTION).timestamp()),
        }
        made = VehicleChange(
            APPLIED, change_reference, reference, permit.permit_id, vrm.value, permit.vrm, total, reasons,
            renewal_note=handover.follow_note(follow.permit, vrm.display, pending=total > 0) if follow else "",
        )  # fmt: skip
        if total > 0:
            if self._register is None:
                raise RuntimeError("No payments to register the change's order with.")
            self._register(change_reference, CHANGE_SERVICE_ID, CHANGE_TITLE, total)  # raises: nothing stored
            if not self.changes.put_change({**change, "status": PENDING_PAYMENT}):
                raise RuntimeError("A change with this reference exists already.")
            return replace(made, status=PENDING_PAYMENT)
        owed = max(0, -total)
        ledger, parts, follower = _refunds_at_once(item, follow, total, change_reference)
        change.update(status=APPLIED, applied_at=change["created_at"], refund_pence=owed)
        if owed:
            change.update(refund_status="owed", refund_parts=parts)
        swap = self._swap(permit, reference, vrm.value, new_price, details, change_reference, total,
                          declared=declared_used is not None)  # fmt: skip
        try:
            self.changes.swap_vehicle(replace(swap, ledger=ledger, follower=follower), new_change=change)
        except PermitNotActive:  # cancelled or changed meanwhile (a new mark taken meanwhile: VrmAlreadyPermitted)
            raise PermitNotChangeable("This permit changed meanwhile: nothing was changed. Please try again.") from None
        logger.info("Permit vehicle changed", extra={"reference": reference, "change": change_reference})
        if not owed:
            return made
        return replace(made, refund_status=self._refund_parts(change_key(change_reference), parts))

    def _new_vehicle(
        self, permit: Permit, vrm: Vrm, today: date, declared: DeclaredVehicle | None
    ) -> tuple[Vehicle | None, DeclaredVehicle | None]:
        """The new vehicle checked as an application's is: on no permit in force in the zone, known to DVLA (or
        declared while DVLA is down), not marked for export."""
        zone = self.applications.zones.zone(permit.zone)
        taken = [p for p in self.store.by_vrm(vrm.value)[0] if p.zone == zone.code and _in_force(p, today)]
        if taken:
            raise VrmAlreadyPermitted(
                f"{vrm.display} already has a permit in {zone.name}. If you have bought this vehicle, contact the "
                "parking team with its log book (V5C)."
            )
        vehicle, declared_used = self.applications.vehicle_of(vrm, declared)
        if vehicle is not None and vehicle.marked_for_export:
            raise VehicleMarkedForExport(
                f"DVLA records show {vrm.display} as marked for export, so it cannot have a permit. "
                "If it is staying in the UK, DVLA can correct its record."
            )
        return vehicle, declared_used

    def _new_price(self, item: dict[str, Any], application: Application, facts: VehicleFacts | None) -> int:
        """The new vehicle's price for the permit's whole term, by the rules that priced the application."""
        return term_price(self.applications.zones, item, application, facts)

    def _vehicle_changeable(self, item: dict[str, Any], permit: Permit, today: date) -> None:
        """A carer permit has no vehicle; a renewal not started, while the permit it renews is in force, changes only
        with that permit."""
        if permit.kind is PermitType.CARER:
            raise PermitNotChangeable("A carer permit has no vehicle to change: cover the carer's with a session.")
        if (renewed := handover.waiting_renewal(self.store, item, permit, today)) is not None:
            raise PermitNotChangeable(
                f"This renewal starts on {permit.valid_from:%-d %B %Y}, after your current permit ends on "
                f"{renewed.valid_to:%-d %B %Y}. Change the vehicle on your current permit: its renewal changes with it."
            )

    def _follower(self, permit: Permit, today: date, facts: VehicleFacts | None) -> RenewalChange | None:
        """The permit's renewal (issued, not started) that changes with it, priced for the new vehicle."""
        found = handover.renewal_of(self.store, permit, today)
        if found is None:
            return None
        item, application, renewal = found
        new_price = self._new_price(item, application, facts)
        current = int(item.get("price_now_pence", application.pence))
        priced = vehicle_change_price(
            valid_from=application.valid_from,
            valid_to=application.valid_to,
            term_months=application.months,
            current_price=current,
            new_price=new_price,
            changed_on=today,
        )
        return RenewalChange(item, application, renewal, priced, new_price, current)

    def apply_paid_change(self, change_reference: str, paid_pence: int, payment_id: str) -> str:
        """The issuer's step on `order-paid` for a change: applied once, or refunded in full if it cannot be."""
        change = self.changes.get_change(change_reference)
        if change is None:
            logger.warning("A change of vehicle was paid with no change", extra={"reference": change_reference})
            return "unknown"
        status = str(change["status"])
        if status == PAID_NOT_APPLIED and change.get("refund_status") in ("owed", "not-made"):
            self._refund_parts(change_key(change_reference), list(change.get("refund_parts") or []))
            return PAID_NOT_APPLIED
        if status != PENDING_PAYMENT:
            return status
        key = change_key(change_reference)
        paid = {"payment_id": payment_id, "paid_at": self._clock().isoformat(timespec="seconds")}
        permit = self.store.get(str(change["permit_id"]))
        application = self.store.get_application(str(change["reference"])) or {}
        why = self._apply_paid(change, permit, application, paid_pence)
        if not why:
            self.changes.update(key, **paid)
            return APPLIED
        logger.warning("A paid change of vehicle could not be applied", extra={"reference": change_reference,
                                                                              "why": why})  # fmt: skip
        # Refunded in full from the change's own payment (key `not-applied:<change reference>`).
        parts = [
            {
                "order": change_reference,
                "pence": paid_pence,
                "status": "owed",
                "key": f"not-applied:{change_reference}",
                "reason": "Parking permit: change of vehicle not applied",
            }
        ]
        fields = {**paid, "status": PAID_NOT_APPLIED, "reason": why, "refund_pence": paid_pence, "refund_parts": parts}
        if not self.changes.update(key, expected=PENDING_PAYMENT, **fields, refund_status="owed"):
            return str((self.changes.get_change(change_reference) or {}).get("status", "unknown"))
        self._refund_parts(key, parts)
        return PAID_NOT_APPLIED

    def _apply_paid(
        self, change: dict[str, Any], permit: Permit | None, application: dict[str, Any], paid_pence: int
    ) -> str:
        """The paid change written (with the renewal it was priced with, if any); why not when it cannot be."""
        change_reference = str(change["change_reference"])
        why = ""
        if paid_pence != int(change["amount_pence"]):
            why = "amount"
        elif (
            permit is None
            or not _in_force(permit, self._clock().astimezone(LONDON).date())
            or permit.vrm != change["old_mark"]
        ):
            why = "PermitNotChangeable"
        elif not application:
            why = "NoSuchPermit"
        elif change.get("kind") == CORRECTION:  # staff corrected declared details: the permit repriced
            ledger = [*ledger_of(application), {"order": change_reference, "pence": paid_pence}]
            try:
                self.changes.apply_paid_correction(change, ledger)
            except (VrmAlreadyPermitted, PermitNotActive) as error:
                why = type(error).__name__
        elif (followed := self._paid_follower(change, permit, paid_pence)) == "RenewalChanged":
            why = "RenewalChanged"  # the renewal it was priced with was cancelled or changed meanwhile
        else:
            swap = self._swap(
                permit,
                str(change["reference"]),
                str(change["mark"]),
                int(change["new_price_pence"]),
                dict(change["vehicle"]),
                change_reference,
                int(change["amount_pence"]),
                declared=bool(change.get("needs_verification", False)),
            )
            own, _ = handover.shares(paid_pence, int(change.get("renewal_amount_pence", 0)))
            ledger = [*ledger_of(application), *([{"order": change_reference, "pence": own}] if own else [])]
            follower = followed if isinstance(followed, Follower) else None
            try:
                self.changes.swap_vehicle(replace(swap, ledger=ledger, follower=follower), pending=change_reference)
            except (VrmAlreadyPermitted, PermitNotActive) as error:
                why = type(error).__name__
        return why

    def _paid_follower(self, change: dict[str, Any], permit: Permit, paid_pence: int) -> Follower | str | None:
        """The renewal a paid change was priced with, still issued, not started and on the old mark (its ledger
        with its share of the payment); "RenewalChanged" when it no longer is; None when there was none."""
        renewal_id = str(change.get("renewal_permit_id") or "")
        if not renewal_id:
            return None
        found = handover.renewal_of(self.store, permit, self._clock().astimezone(LONDON).date())
        if found is None or found[2].permit_id != renewal_id:
            return "RenewalChanged"
        _, theirs = handover.shares(paid_pence, int(change["renewal_amount_pence"]))
        order = str(change["change_reference"])
        ledger = [*ledger_of(found[0]), *([{"order": order, "pence": theirs}] if theirs else [])]
        return Follower(found[2], found[1].reference, int(change["renewal_new_price_pence"]), ledger)

    # -- cancellation ---------------------------------------------------------------------------------------------
    def cancel(self, reference: str) -> Cancellation:
        now = self._clock()
        today = now.astimezone(LONDON).date()  # the London day: a permit's dates are London dates
        found = self.store.get_application(reference)
        if found is not None and found.get("status") == CANCELLED:
            return self._cancelled_again(found)
        item, application, permit = self._in_force(reference, today, "cancel it")
        zone = self.applications.zones.zone(permit.zone)
        term = Term(application.valid_from, application.valid_to, application.months)
        paid = int(item.get("price_now_pence", application.pence))
        refund = cancellation_refund(paid, term, today - timedelta(days=1), zone.cancellation)
        started = permit.valid_from <= today
        reasons = ("The permit ends now, so its unused months are counted from today." if started else
                   "The permit had not started, so all its months are unused.", *refund.reasons)  # fmt: skip
        renewal = handover.renewal_of(self.store, permit, today)
        note = handover.cancel_note(renewal=renewal[2] if renewal else None, rule=zone.cancellation,
                                    renewed=handover.waiting_renewal(self.store, item, permit, today))  # fmt: skip
        ledger = ledger_of(item)
        split = allocate(ledger, refund.pence)
        parts = parts_of(split, "Parking permit cancelled", f"cancel:{reference}")
        event = new_event(
            EventType.PERMIT_ENDED,
            source=SOURCE,
            correlation_id=logger.get_correlation_id() or "",
            data={"reference": reference, "permit_id": permit.permit_id, "ended_on": today.isoformat(),
                  "refund_pence": refund.pence},
            id_=derived_id(f"{reference}:ended"),
        )  # fmt: skip
        names = {"#status": "status"}
        mark = {
            "TableName": self.store._name,
            "Key": application_key(reference),
            "UpdateExpression": "SET #status = :cancelled, cancelled_on = :on, refund_pence = :refund, "
            "refund_reasons = :reasons, refund_status = :owed, refund_parts = :parts, ledger = :ledger",
            "ConditionExpression": "#status = :issued",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                ":cancelled": CANCELLED,
                ":on": today.isoformat(),
                ":refund": refund.pence,
                ":reasons": list(reasons),
                ":owed": "owed" if refund.pence else "none",
                ":parts": parts,
                ":ledger": refunded(ledger, split),
                ":issued": ISSUED,
            },
        }
        try:
            self.store.end(permit.permit_id, Status.CANCELLED, outbox=outbox.stored(event), also=({"Update": mark},))
        except PermitNotActive:
            raise PermitNotChangeable(
                "This permit changed while it was being cancelled: nothing was changed."
            ) from None
        logger.info("Permit cancelled", extra={"reference": reference, "refund_pence": refund.pence})
        cancelled = Cancellation(reference, permit.permit_id, today, refund.pence, reasons, "none", note)
        if not refund.pence:
            return cancelled
        status = self._refund_parts(application_key(reference), parts)
        return replace(cancelled, refund_status=status)

    def _cancelled_again(self, item: dict[str, Any]) -> Cancellation:
        """A cancellation asked for again: the refund retried if payments did not make it (the same key)."""
        reference, pence = str(item["reference"]), int(item.get("refund_pence", 0))
        status = str(item.get("refund_status", ""))
        if status in ("owed", "not-made") and pence:
            status = self._refund_parts(application_key(reference), list(item.get("refund_parts") or []))
        return Cancellation(
            reference,
            str(item.get("permit_id", "")),
            date.fromisoformat(str(item["cancelled_on"])),
            pence,
            tuple(str(r) for r in item.get("refund_reasons", [])),
            status,
        )

    # -- shared steps -----------------------------------------------------------------------------------------------
    def _in_force(self, reference: str, today: date, doing: str) -> tuple[dict[str, Any], Application, Permit]:
        item = self.store.get_application(reference)
        if item is None:
            raise NoSuchPermit(reference)
        application = Application.from_item(item)
        if application.status != ISSUED:
            raise PermitNotChangeable(
                f"This application is {application.status}, not an issued permit, so you cannot {doing}."
            )
        permit = self.store.get(application.permit_id)
        if permit is None or not _in_force(permit, today):
            state = "ended" if permit is None or permit.status is Status.ACTIVE else str(permit.status)
            raise PermitNotChangeable(f"This permit has {state if state == 'ended' else 'been ' + state}, "
                                      f"so you cannot {doing}.")  # fmt: skip
        return item, application, permit

    def _swap(
        self,
        permit: Permit,
        reference: str,
        mark: str,
        price: int,
        vehicle: dict[str, Any],
        change: str,
        amount: int,
        *,
        declared: bool = False,
    ) -> Swap:
        event = new_event(
            EventType.PERMIT_VEHICLE_CHANGED,
            source=SOURCE,
            correlation_id=logger.get_correlation_id() or "",
            data={"reference": reference, "permit_id": permit.permit_id, "amount_pence": amount},
            id_=derived_id(f"{change}:vehicle-changed"),
        )
        return Swap(permit, reference, mark, price, vehicle, outbox.stored(event), ledger=[], declared=declared)

    def _refund_parts(self, key: dict[str, str], parts: list[dict[str, Any]]) -> str:
        return refund_parts(self.changes, self._refund, key, parts)


def refund_parts(changes: ChangesStore, refund: Refunder, key: dict[str, str], parts: list[dict[str, Any]]) -> str:
    """Ask payments for each part of a refund not yet made (`order`, `pence`, `key`, `reason`, `status`), each with
    its own key (the same key again is the same refund); the outcome kept on the item at `key`."""
    problem = ""
    for part in parts:
        if part.get("status") not in ("owed", "not-made"):
            continue
        ask = RefundAsk(str(part["order"]), int(part["pence"]), str(part["reason"]), str(part["key"]))
        try:
            part["status"] = refund(ask) or "submitted"
            part.pop("problem", None)
        except RefundNotMade as error:
            logger.error("A permit refund was not made", extra={"order": ask.reference, "problem": error.problem})
            part["status"], part["problem"] = "not-made", error.problem
            problem = problem or error.problem
    failed = any(p["status"] == "not-made" for p in parts)
    status = "not-made" if failed else str(parts[-1]["status"]) if parts else "none"
    changes.update(key, refund_parts=parts, refund_status=status, refund_problem=problem)
    return status


def term_price(zones: ZonesFile, item: dict[str, Any], application: Application, facts: VehicleFacts | None) -> int:
    """A vehicle's price for the permit's whole term, by the rules that priced the application (the same type,
    months bought, start and household position: only the vehicle differs). Raises PermitNotChangeable."""
    zone = zones.zone(application.zone)
    try:
        if item.get("moved_at"):  # moved into this zone (permits.moving): priced as the move priced it
            return moved_term_price(zones, item, application, facts)
        return quote(
            zone,
            zones.tariff_of(zone),
            application.kind,
            int(item.get("bought_months", application.months)),
            application.valid_from,
            household_permits=int(item.get("household_position", 0)),
            vehicle=facts,
        ).price.pence
    except PriceError as error:
        raise PermitNotChangeable(f"This permit cannot be priced for another vehicle: {error}") from None


def ending_refund(item: dict[str, Any], rule: CancellationRule, today: date) -> Refund:
    """The zone's refund for the permit of application `item` ended today (cancelled by the resident, or revoked by
    staff who chose to refund): its whole months unused from today, at its current price, less the admin fee."""
    application = Application.from_item(item)
    term = Term(application.valid_from, application.valid_to, application.months)
    paid = int(item.get("price_now_pence", application.pence))
    return cancellation_refund(paid, term, today - timedelta(days=1), rule)


def parts_of(split: list[tuple[str, int]], reason: str, prefix: str) -> list[dict[str, Any]]:
    """A refund's parts as kept: one per order, each with its own idempotency key `<prefix>:<order>`."""
    return [{"order": o, "pence": p, "reason": reason, "key": f"{prefix}:{o}", "status": "owed"} for o, p in split]


def _refunds_at_once(
    item: dict[str, Any], follow: RenewalChange | None, total: int, change_reference: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Follower | None]:
    """A change with nothing to pay: the permit's ledger after its share of the refund, the refund's parts (each
    from its own permit's payments) and the renewal changing with it (its ledger after its share)."""
    own, theirs = handover.shares(total, follow.priced.difference if follow else 0)
    ledger = ledger_of(item)
    split = allocate(ledger, -own)
    parts = parts_of(split, "Parking permit: change of vehicle", f"change:{change_reference}")
    if follow is None:
        return refunded(ledger, split), parts, None
    renewal_ledger = ledger_of(follow.item)
    renewal_split = allocate(renewal_ledger, -theirs)
    parts += parts_of(renewal_split, "Parking permit renewal: change of vehicle", f"change:{change_reference}")
    follower = Follower(follow.permit, follow.application.reference, follow.new_price,
                        refunded(renewal_ledger, renewal_split))  # fmt: skip
    return refunded(ledger, split), parts, follower


def _in_force(permit: Permit, today: date) -> bool:
    return permit.status is Status.ACTIVE and permit.valid_to >= today
