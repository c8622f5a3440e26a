"""Whether a household may have a permit: the address in a zone, the zone offering the type, the household under its
limit, the vehicle not already on an active permit in the zone and not marked for export. Each refusal is its own
exception whose message a resident can act on; `check` raises the first that applies, in that order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from permits.vrm import Vrm
from permits.zones import PermitType, Zone, ZonesFile


class NotEligible(ValueError):
    """The permit cannot be issued; the message says why, for the resident."""


class AddressOutsideZones(NotEligible):
    pass


class PermitTypeNotOffered(NotEligible):
    pass


class HouseholdLimitReached(NotEligible):
    pass


class VrmAlreadyPermitted(NotEligible):
    pass


class VehicleMarkedForExport(NotEligible):
    pass


@dataclass(frozen=True)
class Address:
    """An address as the address lookup gives it (OS Places: UPRN, POSTCODE, THOROUGHFARE_NAME)."""

    uprn: str
    postcode: str
    street: str


@dataclass(frozen=True)
class ActivePermit:
    """A permit that is in force now (issued, not expired past its grace period, cancelled or revoked)."""

    zone: str
    kind: PermitType
    vrm: str | None  # None for a carer permit, which is not tied to one vehicle


def zone_for(zones: ZonesFile, address: Address) -> Zone:
    """The zone the address is in: by its UPRN, else its postcode, else its street (the most precise match wins)."""
    compact = "".join(address.postcode.upper().split())
    postcode = f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact  # the zones file's form: ME14 1HQ
    street = " ".join(address.street.upper().split())
    for level, value in (("uprns", address.uprn.strip()), ("postcodes", postcode), ("streets", street)):
        for zone in zones.zones:
            if value and value in getattr(zone.addresses, level):
                return zone
    raise AddressOutsideZones(
        "This address is not in a permit parking zone, so it cannot have a permit. "
        "If you think it should be, contact the parking team."
    )


def check(
    zones: ZonesFile,
    address: Address,
    kind: PermitType,
    *,
    household: Iterable[ActivePermit],
    vrm: Vrm | None = None,
    vrm_permits: Iterable[ActivePermit] = (),
    marked_for_export: bool | None = None,
) -> Zone:
    """The zone of a permit that may be issued, or the first reason it may not.

    `household`: the household's active permits; `vrm_permits`: every active permit for `vrm` (any household);
    `marked_for_export`: DVLA's answer (None when not known, e.g. DVLA is down and the resident declared details)."""
    zone = zone_for(zones, address)
    if not zone.offers(kind):
        offered = ", ".join(k.value for k in zone.permit_types)
        raise PermitTypeNotOffered(f"{zone.name} does not have {kind.value} permits (it has: {offered})")
    tariff = zones.tariff_of(zone)
    rule = tariff.types.get(kind)
    if rule is not None and rule.per_household:
        counted = sum(1 for p in household if p.zone == zone.code and _per_household(zones, zone, p.kind))
        if counted >= zone.max_permits_per_household:
            raise HouseholdLimitReached(
                f"Your household already has {counted} permits in {zone.name}, the most it can have "
                f"({zone.max_permits_per_household}). Cancel one before applying for another."
            )
    if vrm is not None:
        if any(p.zone == zone.code and p.vrm == vrm.value for p in vrm_permits):
            raise VrmAlreadyPermitted(
                f"{vrm.display} already has a permit in {zone.name}. If you have bought this vehicle, "
                "contact the parking team with its log book (V5C)."
            )
        if marked_for_export:
            raise VehicleMarkedForExport(
                f"DVLA records show {vrm.display} as marked for export, so it cannot have a permit. "
                "If it is staying in the UK, DVLA can correct its record."
            )
    return zone


def _per_household(zones: ZonesFile, zone: Zone, kind: PermitType) -> bool:
    rule = zones.tariff_of(zone).types.get(kind)
    return rule is not None and rule.per_household
