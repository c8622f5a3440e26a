"""Moving into another zone (issue 12): the old permit surrendered, the new one priced pro rata, each refusal before
anything is written.

`Moves.quote(reference, address)` (nothing written) and `Moves.move(reference, address)`, the permit by its
application's reference and the new address as the web's address lookup found it:

1. the permit must be issued, active, started and not renewed (else `PermitNotChangeable`);
2. the new address must be in a zone (`AddressOutsideZones`), not the permit's own (`SameZone`: the permit stays
   valid), offering the permit's type (`PermitTypeNotOffered`), with the new household under that zone's limit
   (`HouseholdLimitReached`) and the mark on no permit in force there (`VrmAlreadyPermitted`);
3. the price (`move_price`, by `validity.move`): the old permit's whole unused months credited at what it cost (no
   admin fee: a move is not a cancellation); the new permit runs from today (London) to the old one's last day and
   costs the new zone's price for the months bought (the same rules as an application: type, household position,
   the vehicle's band) pro rata for its months, a part month counting as whole; the difference is to pay or to
   refund. **Where the old zone refunds nothing on cancellation (`cancellation.refund: none`, Wealden)** the credit
   still pays towards the new permit, but a credit above its price is not refunded (the zone's rule: its permits
   are not refunded), and the reasons say so;
4. nothing to pay: the move is made at once (`MovesStore.surrender_and_issue`: one transaction) and any refund due
   asked of payments (`refund-order`, split across the permit's payments: `permits.refund_parts`, keys
   `move:<move reference>:<order>`); a difference to pay: the move is registered with payments as an order of its
   own (service id `parking-permit-move`, the move's new reference) and stored `pending-payment`; the old permit
   stays valid until the issuer makes the move on `order-paid` (`apply_paid_move`). A paid move that can no longer
   be made (the permit changed, the new zone's guard or household limit taken meanwhile, a wrong amount) is
   `paid-not-applied` and refunded in full (key `not-applied:<move reference>`).

The new permit's id is derived from the move's reference, it announces `permit-issued` (so the resident is emailed
about it as about any permit, with its manage link) and the application follows it: the same reference, and the
same manage link, now name the new permit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from permits import eligibility
from permits.application import APPLICATION_RETENTION, Applications, active_permits
from permits.changes import Changes, PermitNotChangeable
from permits.changes_store import APPLIED, PAID_NOT_APPLIED, PENDING_PAYMENT, ChangesStore
from permits.eligibility import Address, HouseholdLimitReached, NotEligible, VrmAlreadyPermitted
from permits.issuing import permit_id_for
from permits.moves_store import MOVE, MovesStore, Surrender, move_key
from permits.pricing import PriceError, VehicleFacts, pounds, price
from permits.refund_client import Refunder
from permits.refund_parts import allocate, ledger_of, refunded
from permits.schedule import london_day, permit_first_due
from permits.store import Permit, PermitNotActive
from permits.validity import Term, move, whole_months
from permits.vrm import parse_vrm
from permits.zones import Zone
from shared import outbox
from shared.events import EventType, derived_id, new_event
from shared.observability import logger
from shared.references import new_reference

MOVE_SERVICE_ID = "parking-permit-move"  # a dearer move's order at payments
MOVE_TITLE = "Parking permit: moving zone"


class SameZone(NotEligible):
    """The new address is in the permit's own zone: there is nothing to move."""


@dataclass(frozen=True)
class MovePrice:
    credit: int
    term: Term  # the new permit's
    new_price: int  # the new permit's price for its months
    difference: int  # to pay when positive, to refund when negative (before the old zone's rule)
    to_pay: int
    to_refund: int  # what is refunded (nothing where the old zone refunds nothing)
    reasons: tuple[str, ...]


def move_price(
    *,
    paid: int,
    old: Term,
    moving_on: date,
    full_price: int,
    of_months: int,
    old_zone: Zone,
    new_zone: Zone,
    price_reasons: tuple[str, ...] = (),
) -> MovePrice:
    """What moving costs on `moving_on`: `paid` is the old permit's price for its term `old`, `full_price` the new
    zone's for `of_months` months (its reasons in `price_reasons`, the last being its total)."""
    if paid < 0 or full_price < 0:
        raise ValueError("Prices are never negative.")
    if not old.valid_from <= moving_on <= old.valid_to:
        raise ValueError("A permit moves only while it is valid.")
    moved = move(paid, old, moving_on, full_price, of_months=of_months)
    unused = min(whole_months(moving_on, old.valid_to), old.months)
    difference = moved.new_price - moved.credit
    refunds = old_zone.cancellation.refund != "none"
    new_term = moved.new_permit
    reasons = [
        f"Your permit in {old_zone.name} ends today and a new one in {new_zone.name} runs from today to "
        f"{new_term.valid_to:%-d %B %Y}, when the old one would have ended.",
        f"{unused} whole months of the {old.months} you paid {pounds(paid)} for are unused: a credit of "
        f"{pounds(moved.credit)} (there is no admin fee for a move).",
        *price_reasons[:-1],
        f"In {new_zone.name} the permit costs {pounds(full_price)} for {of_months} months. For the "
        f"{new_term.months} months to {new_term.valid_to:%-d %B %Y}, counting this month as a whole one, that is "
        f"{pounds(moved.new_price)}.",
    ]
    to_refund = moved.to_refund if refunds else 0
    if difference > 0:
        reasons.append(f"To pay: {pounds(difference)}.")
    elif difference < 0 and refunds:
        reasons.append(f"To refund: {pounds(-difference)}.")
    elif difference < 0:
        reasons.append(
            f"Permits in {old_zone.name} are not refunded, so the {pounds(-difference)} of credit above the new "
            "permit's price is not refunded. Nothing to pay."
        )
    else:
        reasons.append("Nothing to pay or refund.")
    return MovePrice(moved.credit, new_term, moved.new_price, difference, moved.to_pay, to_refund, tuple(reasons))


@dataclass(frozen=True)
class MoveQuote:
    reference: str
    permit: Permit
    zone: Zone
    uprn: str
    price: MovePrice
    household_position: int = 0  # the household's permits in the new zone before this one (how it was priced)

    def public(self) -> dict[str, Any]:
        price = self.price
        return {
            "reference": self.reference,
            "permit_id": self.permit.permit_id,
            "old_zone": self.permit.zone,
            "zone": self.zone.code,
            "zone_name": self.zone.name,
            "valid_from": price.term.valid_from.isoformat(),
            "valid_to": price.term.valid_to.isoformat(),
            "months": price.term.months,
            "new_price_pence": price.new_price,
            "credit_pence": price.credit,
            "to_pay_pence": price.to_pay,
            "to_refund_pence": price.to_refund,
            "reasons": list(price.reasons),
        }


@dataclass(frozen=True)
class MoveMade:
    status: str  # applied (at once) or pending-payment
    move_reference: str
    quote: MoveQuote
    permit_id: str = ""  # the new permit's, once applied
    refund_status: str = ""

    def public(self) -> dict[str, Any]:
        return {
            **self.quote.public(),
            "status": self.status,
            "move_reference": self.move_reference,
            "new_permit_id": self.permit_id,
            "refund_status": self.refund_status,
        }


class Moves:
    def __init__(
        self,
        *,
        applications: Applications,
        refund: Refunder,
        register_order: Callable[[str, str, str, int], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = new_reference,
    ) -> None:
        self.applications, self.zones, self.store = applications, applications.zones, applications.store
        self.moves = MovesStore(self.store._table)
        self.records = ChangesStore(self.store._table)  # its `update` sets fields on a move's record too
        self._changes = Changes(applications=applications, refund=refund, clock=clock)  # its checks and refunds
        self._register, self._clock, self._new_id = register_order, clock, new_id

    def quote(self, reference: str, address: Address) -> MoveQuote:
        """The move priced, or the first refusal (NotEligible's subclasses, NoSuchPermit); nothing written."""
        today = london_day(self._clock())
        item, application, permit = self._changes._in_force(reference, today, "move it to another zone")
        if not permit.vrm:  # a carer permit: no vehicle, no mark guard or household place to move
            raise PermitNotChangeable(
                "A carer permit is not moved to another zone: cancel it and apply for one at your new address."
            )
        if permit.renewed_by:
            raise PermitNotChangeable(
                "This permit has been renewed, so it cannot be moved here. Contact the parking team to move it."
            )
        if permit.valid_from > today:
            raise PermitNotChangeable(
                f"This permit starts on {permit.valid_from:%-d %B %Y}, so it cannot be moved yet. You can cancel it "
                "and apply at your new address."
            )
        zone = eligibility.zone_for(self.zones, address)
        if zone.code == permit.zone:
            raise SameZone(
                f"Your new address is in {zone.name}, the zone your permit is already for, so it stays valid there. "
                "Contact the parking team to update the address on it."
            )
        mark = parse_vrm(permit.vrm)
        household = active_permits(self.store.household_permits(address.uprn, zone.code), today)
        marks = active_permits(self.store.by_vrm(mark.value)[0], today)
        eligibility.check(self.zones, address, application.kind, household=household, vrm=mark, vrm_permits=marks)
        tariff = self.zones.tariff_of(zone)
        rule = tariff.types[application.kind]
        counted = sum(1 for p in household if (r := tariff.types.get(p.kind)) is not None and r.per_household)
        months = int(item.get("bought_months", application.months))
        try:  # the price for the months bought (not `quotes.quote`: the new permit's dates are the old one's)
            priced = price(
                zone, tariff, application.kind, months,
                household_permits=counted if rule.per_household else 0, vehicle=_facts(item.get("vehicle")),
            )  # fmt: skip
        except PriceError as error:
            raise PermitNotChangeable(f"This permit cannot be priced in {zone.name}: {error}") from None
        priced_move = move_price(
            paid=int(item.get("price_now_pence", application.pence)),
            old=Term(application.valid_from, application.valid_to, application.months),
            moving_on=today,
            full_price=priced.pence,
            of_months=months,
            old_zone=self.zones.zone(permit.zone),
            new_zone=zone,
            price_reasons=priced.reasons,
        )
        position = counted if rule.per_household else 0
        return MoveQuote(reference, permit, zone, address.uprn, priced_move, position)

    def move(self, reference: str, address: Address) -> MoveMade:
        """The move made at once (nothing to pay) or set up to be paid for (`pending-payment`)."""
        now = self._clock()
        quoted = self.quote(reference, address)
        move_reference = self._new_id()
        record = self._record(quoted, move_reference, now)
        made = MoveMade(APPLIED, move_reference, quoted)
        if quoted.price.to_pay:
            if self._register is None:
                raise RuntimeError("No payments to register the move's order with.")
            self._register(move_reference, MOVE_SERVICE_ID, MOVE_TITLE, quoted.price.to_pay)  # raises: nothing stored
            if not self.moves.put_move({**record, "status": PENDING_PAYMENT}):
                raise RuntimeError("A move with this reference exists already.")
            return replace(made, status=PENDING_PAYMENT)
        item = self.store.get_application(reference) or {}
        ledger = ledger_of(item)
        owed = quoted.price.to_refund
        split = allocate(ledger, owed)
        parts = [
            {"order": o, "pence": p, "reason": "Parking permit: moved zone", "key": f"move:{move_reference}:{o}",
             "status": "owed"}
            for o, p in split
        ]  # fmt: skip
        record.update(status=APPLIED, applied_at=record["created_at"], refund_pence=owed)
        if owed:
            record.update(refund_status="owed", refund_parts=parts)
        surrender = self._surrender(quoted, move_reference, refunded(ledger, split), now)
        try:
            self.moves.surrender_and_issue(surrender, new_move=record)
        except PermitNotActive:
            raise PermitNotChangeable("This permit changed meanwhile: nothing was moved. Please try again.") from None
        logger.info("Permit moved zone", extra={"reference": reference, "move": move_reference})
        made = replace(made, permit_id=surrender.new_permit_id)
        if not owed:
            return made
        return replace(made, refund_status=self._changes._refund_parts(move_key(move_reference), parts))

    def apply_paid_move(self, move_reference: str, paid_pence: int, payment_id: str) -> str:
        """The issuer's step on `order-paid` for a move: made once, or refunded in full if it cannot be."""
        record = self.moves.get_move(move_reference)
        if record is None:
            logger.warning("A move was paid with no move", extra={"reference": move_reference})
            return "unknown"
        key = move_key(move_reference)
        status = str(record["status"])
        if status == PAID_NOT_APPLIED and record.get("refund_status") in ("owed", "not-made"):
            self._changes._refund_parts(key, list(record.get("refund_parts") or []))
            return PAID_NOT_APPLIED
        if status != PENDING_PAYMENT:
            return status
        now = self._clock()
        paid = {"payment_id": payment_id, "paid_at": now.isoformat(timespec="seconds")}
        permit = self.store.get(str(record["permit_id"]))
        item = self.store.get_application(str(record["reference"])) or {}
        why = ""
        if paid_pence != int(record["amount_pence"]):
            why = "amount"
        elif permit is None or not item:
            why = "PermitNotChangeable"
        else:
            zone = self.zones.zone(str(record["zone"]))
            made_price = MovePrice(
                int(record["credit_pence"]),
                Term(date.fromisoformat(str(record["valid_from"])), date.fromisoformat(str(record["valid_to"])),
                     int(record["months"])),
                int(record["new_price_pence"]), paid_pence, paid_pence, 0, (),
            )  # fmt: skip
            position = int(record.get("household_position", 0))
            quoted = MoveQuote(str(record["reference"]), permit, zone, str(record["uprn"]), made_price, position)
            ledger = [*ledger_of(item), {"order": move_reference, "pence": paid_pence}]
            try:
                self.moves.surrender_and_issue(self._surrender(quoted, move_reference, ledger, now),
                                               pending=move_reference)  # fmt: skip
            except (VrmAlreadyPermitted, HouseholdLimitReached, PermitNotActive) as error:
                why = type(error).__name__
        if not why:
            self.records.update(key, **paid)
            logger.info("Permit moved zone", extra={"reference": str(record["reference"]), "move": move_reference})
            return APPLIED
        logger.warning("A paid move could not be made", extra={"reference": move_reference, "why": why})
        parts = [{"order": move_reference, "pence": paid_pence, "status": "owed",
                  "key": f"not-applied:{move_reference}", "reason": "Parking permit: move not made"}]  # fmt: skip
        fields = {**paid, "status": PAID_NOT_APPLIED, "reason": why, "refund_pence": paid_pence, "refund_parts": parts}
        if not self.records.update(key, expected=PENDING_PAYMENT, **fields, refund_status="owed"):
            return str((self.moves.get_move(move_reference) or {}).get("status", "unknown"))
        self._changes._refund_parts(key, parts)
        return PAID_NOT_APPLIED

    # -- steps ----------------------------------------------------------------------------------------------------
    def _record(self, quoted: MoveQuote, move_reference: str, now: datetime) -> dict[str, Any]:
        price = quoted.price
        return {
            **move_key(move_reference),
            "record": MOVE,
            "move_reference": move_reference,
            "reference": quoted.reference,
            "permit_id": quoted.permit.permit_id,
            "old_zone": quoted.permit.zone,
            "zone": quoted.zone.code,
            "uprn": quoted.uprn,
            "valid_from": price.term.valid_from.isoformat(),
            "valid_to": price.term.valid_to.isoformat(),
            "months": price.term.months,
            "new_price_pence": price.new_price,
            "credit_pence": price.credit,
            "household_position": quoted.household_position,
            "amount_pence": price.to_pay,
            "reasons": list(price.reasons),
            "created_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "expires_at": int((now + APPLICATION_RETENTION).timestamp()),
        }

    def _surrender(
        self, quoted: MoveQuote, move_reference: str, ledger: list[dict[str, Any]], now: datetime
    ) -> Surrender:
        term, permit = quoted.price.term, quoted.permit
        new_id = permit_id_for(f"move:{move_reference}")
        event = new_event(
            EventType.PERMIT_ISSUED,
            id_=derived_id(f"{move_reference}:permit-issued"),
            source="permits",
            correlation_id=logger.get_correlation_id() or "",
            data={"reference": quoted.reference, "permit_id": new_id, "zone": quoted.zone.code,
                  "kind": str(permit.kind), "valid_from": term.valid_from.isoformat(),
                  "valid_to": term.valid_to.isoformat()},
        )  # fmt: skip
        return Surrender(
            old=permit,
            application_reference=quoted.reference,
            new_permit_id=new_id,
            zone=quoted.zone.code,
            uprn=quoted.uprn,
            valid_from=term.valid_from,
            valid_to=term.valid_to,
            months=term.months,
            price=quoted.price.new_price,
            household_limit=quoted.zone.max_permits_per_household,
            household_position=quoted.household_position,
            outbox=outbox.stored(event),
            due_on=permit_first_due(term.valid_to, london_day(now)),
            ledger=ledger,
        )


def _facts(vehicle: Any) -> VehicleFacts | None:
    """The stored vehicle's details (permits.application.vehicle_details) as pricing needs them."""
    if not isinstance(vehicle, dict):
        return None

    def number(name: str) -> int | None:
        value = vehicle.get(name)
        return int(value) if value is not None else None

    fuel = vehicle.get("fuel")
    return VehicleFacts(co2_g_km=number("co2_g_km"), engine_cc=number("engine_cc"), fuel=str(fuel) if fuel else None)
