"""Applying for a parking permit: every refusal found before anything is written, the price computed here with its
reasons, and the application stored "pending payment" under a condition. The permit itself is issued on payment
(`permits.issuing`), or at once when it is free.

`Applications.apply(request)`:

1. the registration mark is validated for UK formats and normalised (`InvalidVrm`);
2. the address (as the address lookup gave it: UPRN, postcode, street) must be in a zone offering the type, the
   household under the zone's limit and the mark on no active permit in the zone (`permits.eligibility`, against
   the Permits table's two indexes);
3. the vehicle comes from DVLA (`permits.adapters.dvla`). DVLA holding no such vehicle, or refusing the mark, is a
   refusal; DVLA down (`declare_instead`) lets the resident declare the vehicle's details, and the application is
   then marked for staff to verify (`needs_verification`); without a declaration the caller is told to ask for one
   (`DeclarationNeeded`). A vehicle DVLA marks for export is refused;
4. the price (`permits.quotes`: validity and price, every rule that applied in words) is computed server-side;
5. the amount is registered with payments as an order for the application's new reference (`shared.references`;
   docs/decisions/0010), then the application is written once (`attribute_not_exists(pk)`), status
   `pending-payment`. A refusal at any step leaves both tables as they were. A free application (£0: an electric
   car in the outer tariff, a carer permit where they are free) registers no order (payments takes none of £0) and
   is issued at once after it is written (`permits.issuing.issue_free`, the paid path's transaction).

An application holds the household's UPRN, the vehicle's details and the resident's email address (`contact`:
`{"email"}`, normalised by `shared.contact`, required), never a name. The email is given back only by the `contact`
answer (`Applications.contact`), which the notifications service asks for to tell the resident about the permit;
the resident's own `get` does not return it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from permits import eligibility, evidence
from permits.adapters.dvla_models import DvlaError, Vehicle
from permits.assisted import AssistedBy, InvalidAssisted
from permits.eligibility import ActivePermit, Address, NotEligible
from permits.pricing import PriceError, VehicleFacts, pounds
from permits.quotes import Quote, quote
from permits.schedule import application_first_due
from permits.store import PermitsStore, Status
from permits.vrm import Vrm, parse_vrm
from permits.zones import PermitType, Tariff, Zone, ZonesFile
from shared.contact import EMAIL_MESSAGE, normalise_email
from shared.references import new_reference, normalise_reference

PENDING_PAYMENT = "pending-payment"
ISSUED = "issued"
PAID_NOT_ISSUED = "paid-not-issued"  # paid, but refused at issue (a race, an amount not the application's, or late)
CANCELLED = "cancelled-unpaid"  # left unpaid 30 days (permits.schedule_job): a payment after that is not issued
SERVICE_ID = "parking-permit"  # the order's service id at payments (docs/decisions/0010)
ORDER_TITLE = "Parking permit"
# Types applied for with one vehicle. A visitor permit is the household's wallet of hours or days
# (`permits.visitors`), not applied for here; a carer permit is applied for with no vehicle (its sessions name the
# carer's: `permits.carer_sessions`).
VEHICLE_TYPES = frozenset({PermitType.RESIDENT, PermitType.BUSINESS, PermitType.TEMPORARY})
APPLIED_TYPES = VEHICLE_TYPES | {PermitType.CARER}
APPLICATION_RETENTION = timedelta(days=7 * 365)  # the record of a sale is kept for the finance years
DECLARED_FUELS = frozenset({"PETROL", "DIESEL", "ELECTRICITY", "HYBRID ELECTRIC", "GAS", "OTHER"})
MAX_START_AHEAD = timedelta(days=90)  # a permit may be bought to start at most this far ahead


class VehicleSource(Protocol):
    def vehicle(self, vrm: Vrm | str) -> Vehicle: ...


class VehicleNotKnown(NotEligible):
    """DVLA has no vehicle with that mark, or refused it: the resident checks the mark."""


class DeclarationNeeded(NotEligible):
    """DVLA cannot answer now: the resident may declare the vehicle's details (staff verify them later)."""


class InvalidApplication(ValueError):
    """The application is malformed (a field missing or out of range): the message names the field."""


@dataclass(frozen=True)
class DeclaredVehicle:
    """What the resident says about the vehicle when DVLA cannot answer; staff verify it later."""

    make: str
    colour: str
    fuel: str
    co2_g_km: int | None = None
    engine_cc: int | None = None

    @classmethod
    def parse(cls, data: Any) -> DeclaredVehicle:
        if not isinstance(data, dict):
            raise InvalidApplication("declared_vehicle: give the vehicle's make, colour and fuel.")
        make, colour, fuel = (str(data.get(k) or "").strip() for k in ("make", "colour", "fuel"))
        if not make or len(make) > 40:
            raise InvalidApplication("declared_vehicle.make: give the make (up to 40 characters).")
        if not colour or len(colour) > 30:
            raise InvalidApplication("declared_vehicle.colour: give the colour (up to 30 characters).")
        if fuel.upper() not in DECLARED_FUELS:
            raise InvalidApplication(f"declared_vehicle.fuel: one of {', '.join(sorted(DECLARED_FUELS))}.")
        co2, engine = data.get("co2_g_km"), data.get("engine_cc")
        for name, value, top in (("co2_g_km", co2, 1000), ("engine_cc", engine, 10000)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top):
                raise InvalidApplication(f"declared_vehicle.{name}: a whole number from 0 to {top}, or leave it out.")
        return cls(make=make, colour=colour, fuel=fuel.upper(), co2_g_km=co2, engine_cc=engine)

    def facts(self) -> VehicleFacts:
        return VehicleFacts(co2_g_km=self.co2_g_km, engine_cc=self.engine_cc, fuel=self.fuel)


@dataclass(frozen=True)
class ApplicationRequest:
    address: Address  # as the address lookup gave it
    kind: PermitType
    months: int
    vrm: str  # as typed
    start: date
    declared_vehicle: DeclaredVehicle | None = None
    email: str = ""  # normalised (shared.contact); parse requires it
    renews: str = ""  # the reference of the application whose active permit this renews (permits.renewing)
    assisted: AssistedBy | None = None  # staff applied for the resident (permits.assisted)
    evidence: Any = None  # as sent: checked against the zone's rule when the zone is known (permits.evidence)
    evidence_from: str = ""  # a lapsed permit's renewal: the application whose evidence it carries forward

    @classmethod
    def parse(cls, data: dict[str, Any], *, today: date) -> ApplicationRequest:
        """From the caller's JSON; raises InvalidApplication naming the field."""
        address = data.get("address")
        if not isinstance(address, dict):
            raise InvalidApplication("address: give the address as the address lookup found it (uprn, postcode).")
        uprn, postcode, street = (str(address.get(k) or "").strip() for k in ("uprn", "postcode", "street"))
        if not uprn.isdigit() or len(uprn) > 12:
            raise InvalidApplication("address.uprn: the address's UPRN (up to 12 digits).")
        if not postcode:
            raise InvalidApplication("address.postcode: the address's postcode.")
        try:
            kind = PermitType(str(data.get("kind", "")))
        except ValueError:
            raise InvalidApplication(f"kind: one of {', '.join(sorted(k.value for k in APPLIED_TYPES))}.") from None
        months = data.get("months")
        if isinstance(months, bool) or not isinstance(months, int):
            raise InvalidApplication("months: 3, 6 or 12.")
        vrm = _vrm_field(kind, data)
        start_text = data.get("start")
        try:
            start = date.fromisoformat(str(start_text)) if start_text else today
        except ValueError:
            raise InvalidApplication("start: a date, YYYY-MM-DD.") from None
        if not today <= start <= today + MAX_START_AHEAD:
            raise InvalidApplication(f"start: from today to {MAX_START_AHEAD.days} days ahead.")
        declared = data.get("declared_vehicle")
        email = _contact_email(data.get("contact"))
        renews = data.get("renews")
        if renews is not None and (not isinstance(renews, str) or not normalise_reference(renews)):
            raise InvalidApplication("renews: the reference of the application whose permit this renews.")
        evidence_from = data.get("evidence_from")
        if evidence_from is not None and (not isinstance(evidence_from, str) or not normalise_reference(evidence_from)):
            raise InvalidApplication("evidence_from: the reference of the application whose evidence this carries.")
        return cls(
            address=Address(uprn=uprn, postcode=postcode, street=street),
            kind=kind,
            months=months,
            vrm=vrm,
            start=start,
            declared_vehicle=DeclaredVehicle.parse(declared) if declared is not None else None,
            email=email,
            renews=normalise_reference(renews) or "" if isinstance(renews, str) else "",
            assisted=_assisted(data.get("assisted")),
            evidence=data.get("evidence"),
            evidence_from=normalise_reference(evidence_from) or "" if isinstance(evidence_from, str) else "",
        )


def _vrm_field(kind: PermitType, data: dict[str, Any]) -> str:
    """The mark as typed; "" for a carer permit, which is not tied to one vehicle (its sessions name the carer's)."""
    vrm = data.get("vrm")
    if kind is PermitType.CARER:
        if vrm not in (None, "") or data.get("declared_vehicle") is not None or data.get("renews") is not None:
            raise InvalidApplication(
                "vrm: a carer permit is not tied to one vehicle; leave the mark (and any vehicle details or renewal) "
                "out, and cover the carer's vehicle with a session once it is issued."
            )
        return ""
    if not isinstance(vrm, str) or not vrm.strip():
        raise InvalidApplication("vrm: give the vehicle's registration mark.")
    return vrm


def _assisted(data: Any) -> AssistedBy | None:
    if data is None:
        return None
    try:
        return AssistedBy.parse(data)
    except InvalidAssisted as error:
        raise InvalidApplication(str(error)) from None


def _contact_email(contact: Any) -> str:
    """The resident's email address, normalised; InvalidApplication naming `contact.email` otherwise."""
    if not isinstance(contact, dict) or not isinstance(contact.get("email"), str) or not contact["email"].strip():
        raise InvalidApplication("contact.email: give an email address, to be told when the permit is issued.")
    email = normalise_email(contact["email"])
    if email is None:
        raise InvalidApplication(f"contact.email: {EMAIL_MESSAGE}.")
    return email


@dataclass(frozen=True)
class Application:
    reference: str
    status: str
    vrm: str
    zone: str
    kind: PermitType
    months: int
    valid_from: date
    valid_to: date
    pence: int
    reasons: tuple[str, ...]
    uprn: str
    vehicle_source: str  # dvla or declared
    needs_verification: bool
    created_at: str
    permit_id: str = ""
    email: str = ""  # the resident's (`contact.email` as stored): never in `public()`
    evidence_status: str = ""  # permits.evidence: awaiting (an upload staff have not verified), declared, verified...

    def public(self) -> dict[str, Any]:
        """What the resident is shown (their own application)."""
        return {
            "reference": self.reference,
            "status": self.status,
            "vrm": self.vrm,
            "zone": self.zone,
            "kind": str(self.kind),
            "months": self.months,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "amount_pence": self.pence,
            "amount": pounds(self.pence),
            "reasons": list(self.reasons),
            "needs_verification": self.needs_verification,
            "permit_id": self.permit_id,
            "evidence_status": self.evidence_status,
        }

    def item(
        self,
        *,
        household_limit: int,
        counts_towards_limit: bool,
        vehicle: dict[str, Any],
        bought_months: int | None = None,
        household_position: int = 0,
    ) -> dict[str, Any]:
        """As stored: `mark` and `uprn`, not `vrm` and `household`, so applications stay out of the two indexes
        (the enforcement look-up and the household's permits see issued permits only)."""
        return {
            "pk": f"APPLICATION#{self.reference}",
            "sk": "APPLICATION",
            "record": "APPLICATION",
            "reference": self.reference,
            "status": self.status,
            "mark": self.vrm,
            "permit_zone": self.zone,
            "kind": str(self.kind),
            "months": self.months,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "amount_pence": self.pence,
            "reasons": list(self.reasons),
            "uprn": self.uprn,
            "vehicle_source": self.vehicle_source,
            "needs_verification": self.needs_verification,
            "vehicle": vehicle,
            "household_limit": household_limit,
            "counts_towards_limit": counts_towards_limit,
            "contact": {"email": self.email},
            # How it was priced, so a change of vehicle prices the new one the same way (permits.changes)
            "bought_months": bought_months or self.months,
            "household_position": household_position,
            "created_at": self.created_at,
            "expires_at": int((datetime.fromisoformat(self.created_at) + APPLICATION_RETENTION).timestamp()),
            "due_on": application_first_due(self.created_at),  # warned on day 25, cancelled on day 30 (by-due)
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Application:
        return cls(
            reference=str(item["reference"]),
            status=str(item["status"]),
            vrm=str(item["mark"]),
            zone=str(item["permit_zone"]),
            kind=PermitType(str(item["kind"])),
            months=int(item["months"]),
            valid_from=date.fromisoformat(str(item["valid_from"])),
            valid_to=date.fromisoformat(str(item["valid_to"])),
            pence=int(item["amount_pence"]),
            reasons=tuple(str(r) for r in item.get("reasons", [])),
            uprn=str(item["uprn"]),
            vehicle_source=str(item["vehicle_source"]),
            needs_verification=bool(item.get("needs_verification", False)),
            created_at=str(item["created_at"]),
            permit_id=str(item.get("permit_id", "")),
            email=str((item.get("contact") or {}).get("email") or ""),
            evidence_status=str(item.get("evidence_status") or ""),
        )

    def contact(self) -> dict[str, Any]:
        """What the notifications service needs to tell the resident about this application or its permit."""
        return {
            "email": self.email,
            "reference": self.reference,
            "vrm": self.vrm,
            "zone": self.zone,
            "kind": str(self.kind),
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "permit_id": self.permit_id,
            "status": self.status,
        }


def active_permits(permits: list[Any], today: date) -> list[ActivePermit]:
    """The permits in force: active and not past their last day (`store.Permit`s); a permit and its renewal, both
    active, hold one place (the renewal's: permits.handover), so the renewed one is left out."""
    active = {p.permit_id for p in permits if p.status is Status.ACTIVE}
    return [
        ActivePermit(zone=p.zone, kind=p.kind, vrm=p.vrm)
        for p in permits
        if p.status is Status.ACTIVE and p.valid_to >= today and (p.renewed_by or "-") not in active
    ]


class Applications:
    def __init__(
        self,
        *,
        zones: ZonesFile,
        store: PermitsStore,
        vehicles: Callable[[], VehicleSource],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = new_reference,
        register_payment: Callable[[Application], None] | None = None,
        start_journey: Callable[[Application], None] | None = None,
    ) -> None:
        self.zones, self.store = zones, store
        # Registers the application's amount with payments as an order (docs/decisions/0010) before it is stored.
        self._register_payment = register_payment
        # Starts the application's journey (the state machine: permits.journey) once it is stored.
        self._start_journey = start_journey
        self._vehicles = vehicles  # built on first use: the DVLA key is read only when an enquiry is made
        self._clock, self._new_id = clock, new_id

    def apply(self, request: ApplicationRequest) -> Application:
        """Raises InvalidVrm, NotEligible (each refusal its own subclass), InvalidApplication, or DvlaError for a
        DVLA failure the resident cannot act on (its key refused: alarmed); writes only when nothing refuses."""
        now = self._clock()
        today = now.date()
        if request.kind is PermitType.CARER:
            return self._apply_carer(request, now)
        vrm = parse_vrm(request.vrm)
        if request.kind not in VEHICLE_TYPES:
            raise eligibility.PermitTypeNotOffered(
                f"A {request.kind.value} permit is not applied for with one vehicle: "
                "visitors use the household's visitor hours or days."
            )
        zone = eligibility.zone_for(self.zones, request.address)
        evidence_items, evidence_status, evidence_check = self._evidence_of(zone, request, vrm.value, now)
        households, marks = (
            self.store.household_permits(request.address.uprn, zone.code),
            self.store.by_vrm(vrm.value)[0],
        )
        renewed = None
        if request.renews:  # the permit renewed neither counts against the limit nor holds the mark (it is replaced)
            from permits.renewing import renewed_permit

            renewed = renewed_permit(
                self.store, request.renews, uprn=request.address.uprn, zone=zone.code, vrm=vrm.value,
                kind=request.kind, start=request.start, today=today,
            )  # fmt: skip
            households = [p for p in households if p.permit_id != renewed.permit_id]
            marks = [p for p in marks if p.permit_id != renewed.permit_id]
        household, vrm_permits = active_permits(households, today), active_permits(marks, today)
        # Everything but the vehicle first: no DVLA enquiry for an application refused anyway.
        eligibility.check(
            self.zones, request.address, request.kind, household=household, vrm=vrm, vrm_permits=vrm_permits
        )
        vehicle, declared = self.vehicle_of(vrm, request.declared_vehicle)
        eligibility.check(
            self.zones,
            request.address,
            request.kind,
            household=household,
            vrm=vrm,
            vrm_permits=vrm_permits,
            marked_for_export=vehicle.marked_for_export if vehicle is not None else None,
        )
        tariff = self.zones.tariff_of(zone)
        rule = tariff.types[request.kind]
        counted = sum(1 for p in household if (r := tariff.types.get(p.kind)) is not None and r.per_household)
        facts = vehicle.facts() if vehicle is not None else declared.facts() if declared is not None else None
        priced = _quoted(zone, tariff, request, counted if rule.per_household else 0, facts)
        reasons = priced.price.reasons
        if declared is not None:
            reasons = (
                "DVLA could not be reached, so this price uses the details you declared; the parking team will "
                "check them with DVLA, and a permit priced on wrong details may be cancelled.",
                *reasons,
            )
        application = Application(
            reference=self._new_id(),
            status=PENDING_PAYMENT,
            vrm=vrm.value,
            zone=zone.code,
            kind=request.kind,
            months=priced.permit.months,
            valid_from=priced.permit.valid_from,
            valid_to=priced.permit.valid_to,
            pence=priced.price.pence,
            reasons=reasons,
            uprn=request.address.uprn,
            vehicle_source="declared" if declared is not None else "dvla",
            needs_verification=declared is not None,
            created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
            email=request.email,
            evidence_status=evidence_status,
        )
        details = vehicle_details(vehicle, declared)
        item = application.item(
            household_limit=zone.max_permits_per_household,
            counts_towards_limit=rule.per_household,
            vehicle=details,
            bought_months=request.months,
            household_position=counted if rule.per_household else 0,
        )
        if renewed is not None:
            item.update(renews=request.renews, renews_permit_id=renewed.permit_id)
        if evidence_status:  # with the mark it was given for: a change of vehicle later leaves it behind
            item.update(evidence=evidence_items, evidence_status=evidence_status, evidence_vrm=vrm.value)
        if evidence_check is not None:
            item["evidence_check"] = evidence_check
        return self._stored(application, item, request)

    def _evidence_of(
        self, zone: Zone, request: ApplicationRequest, vrm: str, now: datetime
    ) -> tuple[list[dict[str, Any]], str, dict[str, Any] | None]:
        """The application's evidence as its zone asks (permits.evidence): a renewal sent without evidence carries
        forward the renewed application's when it was verified or declared; staff applying for a resident record what
        they saw (or leave an upload to follow); otherwise as the resident sent it. InvalidApplication naming the
        field (a renewal whose evidence cannot be carried forward says so)."""
        carried_note, source = "", request.renews or request.evidence_from
        if source and request.evidence is None and evidence.needed(zone, request.kind):
            previous = self.store.get_application(source)
            held = [str((previous or {}).get(k)) for k in ("status", "uprn", "permit_zone", "mark", "kind")]
            same = held == [ISSUED, request.address.uprn, zone.code, vrm, str(request.kind)]
            if not same and not request.renews:  # (`renews` is refused with its own reason: permits.renewing)
                raise InvalidApplication(
                    "evidence_from: evidence is carried forward only from an issued permit's application for the "
                    "same address, zone, vehicle and type."
                )
            found = evidence.carried(zone, request.kind, previous) if same and previous is not None else None
            if found is not None:
                return found
            carried_note = " The permit being renewed has no verified evidence to carry forward, so send it again."
        try:
            if request.assisted is not None:
                at = now.astimezone(UTC).isoformat(timespec="seconds")
                return evidence.staff_checked(zone, request.kind, request.evidence, staff=request.assisted.staff, at=at)
            items, status = evidence.checked(zone, request.kind, request.evidence)
            return items, status, None
        except evidence.InvalidEvidence as error:
            raise InvalidApplication(f"{error}{carried_note}") from None

    def _apply_carer(self, request: ApplicationRequest, now: datetime) -> Application:
        """A carer permit: the address in a zone offering carer permits, priced for the type and length alone (no
        vehicle, not counted in the household's limit), stored pending payment with no mark."""
        zone = eligibility.check(self.zones, request.address, request.kind, household=())
        priced = _quoted(zone, self.zones.tariff_of(zone), request, 0, None)
        application = Application(
            reference=self._new_id(),
            status=PENDING_PAYMENT,
            vrm="",
            zone=zone.code,
            kind=request.kind,
            months=priced.permit.months,
            valid_from=priced.permit.valid_from,
            valid_to=priced.permit.valid_to,
            pence=priced.price.pence,
            reasons=(*priced.price.reasons[:-1], CARER_REASON, priced.price.reasons[-1]),
            uprn=request.address.uprn,
            vehicle_source="none",
            needs_verification=False,
            created_at=now.astimezone(UTC).isoformat(timespec="seconds"),
            email=request.email,
        )
        item = application.item(
            household_limit=zone.max_permits_per_household,
            counts_towards_limit=False,
            vehicle={},
            bought_months=request.months,
        )
        return self._stored(application, item, request)

    def _stored(self, application: Application, item: dict[str, Any], request: ApplicationRequest) -> Application:
        """The amount registered with payments, then the application written once: nothing stored if either fails.
        A free application (£0) registers no order and is issued at once (`permits.issuing.issue_free`); its journey
        then goes straight to its Issue state (`free` in its input), which finds it issued, or issues it if the
        apply path stopped before it could."""
        if request.assisted is not None:
            item["assisted"] = request.assisted.item()
        free = application.pence == 0
        if self._register_payment is not None and not free:
            self._register_payment(application)  # raises: nothing is stored (an order nobody knows of is inert)
        if not self.store.put_application(item):
            raise InvalidApplication("An application with this reference exists already; please send it again.")
        if free:
            from permits.issuing import issue_free

            issue_free(self.store, application.reference, now=self._clock())
            application = self.get(application.reference) or application
        if self._start_journey is not None:
            self._start_journey(application)  # never raises: an application with no journey is issued on payment
        return application

    def get(self, reference: str) -> Application | None:
        item = self.store.get_application(reference)
        return Application.from_item(item) if item else None

    def contact(self, reference: str) -> dict[str, Any] | None:
        """The `contact` answer (`Application.contact`), or None when there is no such application or it holds no
        email address."""
        found = self.get(reference)
        return found.contact() if found is not None and found.email else None

    def vehicle_of(self, vrm: Vrm, declared: DeclaredVehicle | None) -> tuple[Vehicle | None, DeclaredVehicle | None]:
        """The vehicle from DVLA, or the declaration while DVLA is down; raises VehicleNotKnown, DeclarationNeeded, or
        DvlaError when our key is refused (also used for a change of vehicle, permits.changes)."""
        try:
            return self._vehicles().vehicle(vrm), None
        except DvlaError as error:
            if error.declare_instead:
                if declared is None:
                    raise DeclarationNeeded(
                        "We cannot check your vehicle with DVLA just now. You can tell us its make, colour and "
                        "fuel instead, and the parking team will check them with DVLA later."
                    ) from None
                return None, declared
            if error.alarm:
                raise
            raise VehicleNotKnown(
                f"DVLA has no vehicle registered as {vrm.display}. Check the registration mark on the log book (V5C)."
            ) from None


CARER_REASON = (
    "A carer permit is not tied to one vehicle: once it is issued, you cover your carer's vehicle with a session from "
    "the permit's link, one vehicle at a time."
)


def _quoted(zone: Zone, tariff: Tariff, request: ApplicationRequest, counted: int, facts: VehicleFacts | None) -> Quote:
    try:
        return quote(
            zone, tariff, request.kind, request.months, request.start, household_permits=counted, vehicle=facts
        )
    except PriceError as error:
        raise InvalidApplication(f"months: {error}") from None


def vehicle_details(vehicle: Vehicle | None, declared: DeclaredVehicle | None) -> dict[str, Any]:
    if vehicle is not None:
        values = {
            "make": vehicle.make,
            "colour": vehicle.colour,
            "fuel": vehicle.fuel_type,
            "co2_g_km": vehicle.co2_emissions,
            "engine_cc": vehicle.engine_capacity,
        }
    else:
        assert declared is not None
        values = {
            "make": declared.make,
            "colour": declared.colour,
            "fuel": declared.fuel,
            "co2_g_km": declared.co2_g_km,
            "engine_cc": declared.engine_cc,
        }
    return {k: v for k, v in values.items() if v is not None}
