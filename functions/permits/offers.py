"""What the resident web shows before an application is made, from the zones file (which only permits reads): each
zone's permit types applied for (with a vehicle, and carer permits, which have none: a free one is listed at £0
and issued at once, with no payment), their lengths and prices before the vehicle's band, the zone an
address found by the address lookup is in, and whether a registration mark is a UK one.

`offers(zones)` lists every zone; `zone_offer(zones, address)` gives the address's zone or raises
`AddressOutsideZones`; `checked_mark(text)` gives the normalised mark and how a plate prints it, or raises
`InvalidVrm`. Nothing here reads or writes a table or calls DVLA: the application (`permits.application`) checks
everything again when it is made.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from permits.application import APPLIED_TYPES
from permits.eligibility import Address, zone_for
from permits.evidence import describe
from permits.pricing import pounds, round_pence
from permits.vrm import parse_vrm
from permits.zones import PermitType, Zone, ZonesFile

TYPE_NAMES = {
    PermitType.RESIDENT: "Resident permit",
    PermitType.BUSINESS: "Business permit",
    PermitType.TEMPORARY: "Temporary vehicle permit (a courtesy car)",
    PermitType.CARER: "Carer permit (covers your carer's vehicle while they visit, one vehicle at a time)",
}


def zone_summary(zones: ZonesFile, zone: Zone) -> dict[str, Any]:
    """A zone as the resident is shown it: its types applied for with a vehicle, each length's price before the
    vehicle's band and the household's nth permit, and whether those apply."""
    tariff = zones.tariff_of(zone)
    types = []
    for kind in zone.permit_types:
        if kind not in APPLIED_TYPES or kind not in tariff.types:
            continue
        rule = tariff.types[kind]
        lengths = [
            {
                "months": months,
                "amount_pence": (pence := round_pence(Fraction(rule.price * tariff.length_percent[months], 100))),
                "amount": pounds(pence),
            }
            for months in sorted(rule.lengths)
        ]
        types.append(
            {
                "kind": str(kind),
                "name": TYPE_NAMES[kind],
                "lengths": lengths,
                "by_vehicle": rule.by_vehicle,
                "per_household": rule.per_household,
            }
        )
    end = zone.common_end_date
    return {
        "code": zone.code,
        "name": zone.name,
        "types": types,
        "max_permits_per_household": zone.max_permits_per_household,
        "common_end_date": f"{end.day} {_MONTHS[end.month - 1]}" if end else "",
        "diesel_surcharge": pounds(tariff.diesel_surcharge) if tariff.diesel_surcharge else "",
        "second_permit_percent": tariff.nth_permit_percent[1] if len(tariff.nth_permit_percent) > 1 else 0,
        "evidence": describe(zone),  # per type: the declarations and uploads asked for (permits.evidence)
    }


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


def offers(zones: ZonesFile) -> list[dict[str, Any]]:
    return [zone_summary(zones, zone) for zone in zones.zones]


def zone_offer(zones: ZonesFile, address: Address) -> dict[str, Any]:
    """The address's zone (raises AddressOutsideZones)."""
    return zone_summary(zones, zone_for(zones, address))


def checked_mark(text: str) -> dict[str, str]:
    """The mark normalised and as printed (raises InvalidVrm, whose message says why for the resident)."""
    vrm = parse_vrm(text)
    return {"vrm": vrm.value, "display": vrm.display}
