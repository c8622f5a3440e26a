"""What a permit costs, in pence, and why: the zone's tariff applied to the permit type, its length, the
household's nth permit and the vehicle (CO2 band, or engine-size band where DVLA has no CO2 figure; diesel surcharge).

Every step that changed the price is given in words a resident understands, in the order applied:

    price(zone, tariff, PermitType.RESIDENT, 6, household_permits=1, vehicle=VehicleFacts(co2_g_km=95, fuel="PETROL"))
    -> Price(pence=11550, reasons=("A resident permit in Town centre costs £140.00 for 12 months.", ...))

Percentages multiply; the total is rounded to the nearest penny once, at the end (half a penny up).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from permits.zones import Band, PermitType, Tariff, Zone

DIESEL = frozenset({"DIESEL", "HEAVY OIL"})  # DVLA's fuelType for diesel vehicles


class PriceError(ValueError):
    """The permit cannot be priced as asked (a type or length the zone does not offer)."""


@dataclass(frozen=True)
class VehicleFacts:
    """What pricing needs to know about a vehicle (from DVLA, or declared by the resident)."""

    co2_g_km: int | None = None
    engine_cc: int | None = None
    fuel: str | None = None  # DVLA's fuelType, e.g. PETROL, DIESEL, ELECTRICITY, HYBRID ELECTRIC


@dataclass(frozen=True)
class Price:
    pence: int
    reasons: tuple[str, ...]


def pounds(pence: int | Fraction) -> str:
    whole = round_pence(Fraction(pence))
    return f"£{whole // 100:,}.{whole % 100:02d}"


def round_pence(amount: Fraction) -> int:
    """To the nearest penny, half a penny up (amounts are never negative)."""
    return int(amount + Fraction(1, 2))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def band_for(bands: tuple[Band, ...], value: int) -> Band:
    return next(b for b in bands if b.up_to is None or value <= b.up_to)


def _vehicle_percent(tariff: Tariff, vehicle: VehicleFacts | None) -> tuple[int, str]:
    if vehicle is not None and vehicle.co2_g_km is not None:
        band = band_for(tariff.co2_bands, vehicle.co2_g_km)
        co2 = vehicle.co2_g_km
        return band.percent, f"Its CO2 emissions of {co2} g/km put it in {band.name}: {band.percent}% of the price"
    if vehicle is not None and vehicle.engine_cc is not None:
        band = band_for(tariff.engine_bands, vehicle.engine_cc)
        return band.percent, (
            f"There is no CO2 figure for this vehicle, so its engine size of {vehicle.engine_cc:,} cc sets the price: "
            f"{band.name}, {band.percent}% of the price"
        )
    band = tariff.co2_bands[-1]
    return band.percent, (
        f"We do not know the vehicle's CO2 emissions or engine size, so the highest band applies ({band.name}: "
        f"{band.percent}% of the price) until they are confirmed"
    )


def price(
    zone: Zone,
    tariff: Tariff,
    kind: PermitType,
    months: int,
    *,
    household_permits: int = 0,
    vehicle: VehicleFacts | None = None,
) -> Price:
    """The price of one permit of `kind` for `months` in `zone`; `household_permits` is how many permits of a
    per-household type the household already holds in the zone (this one is the next)."""
    rule = tariff.types.get(kind)
    if not zone.offers(kind) or rule is None:
        raise PriceError(f"{zone.name} does not offer {kind.value} permits that are paid for")
    if months not in rule.lengths:
        raise PriceError(f"A {kind.value} permit in {zone.name} can be bought for {_months(rule.lengths)} only")
    reasons = [f"A {kind.value} permit in {zone.name} costs {pounds(rule.price)} for 12 months."]
    amount = Fraction(rule.price)
    length = Fraction(tariff.length_percent[months], 100)
    if months != 12:
        amount *= length
        reasons.append(f"For {months} months you pay {tariff.length_percent[months]}% of that.")
    if rule.per_household:
        nth = household_permits + 1
        percent = tariff.nth_permit_percent[min(nth, len(tariff.nth_permit_percent)) - 1]
        if percent != 100:
            amount *= Fraction(percent, 100)
            reasons.append(f"This is your household's {_ordinal(nth)} permit in the zone: {percent}% of the price.")
    if rule.by_vehicle:
        percent, why = _vehicle_percent(tariff, vehicle)
        amount *= Fraction(percent, 100)
        reasons.append(f"{why}.")
        fuel = (vehicle.fuel or "").upper() if vehicle else ""
        if tariff.diesel_surcharge and fuel in DIESEL:
            surcharge = Fraction(tariff.diesel_surcharge) * (length if months != 12 else 1)
            amount += surcharge
            reasons.append(f"Diesel vehicles pay a surcharge of {pounds(surcharge)} for {months} months.")
    total = round_pence(amount)
    reasons.append(f"Total: {pounds(total)}." if total else "Total: free.")
    return Price(total, tuple(reasons))


def _months(lengths: tuple[int, ...]) -> str:
    words = [str(n) for n in lengths]
    return (", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]) + " months"
