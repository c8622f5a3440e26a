"""A permit's quote: when it would be valid and what it costs, with the reasons, joining `validity.term` (a zone's
common end date can shorten a permit) to `pricing.price` (a shortened permit pays pro rata for the months it runs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from permits.pricing import Price, VehicleFacts, pounds, price
from permits.validity import Term, pro_rata, term
from permits.zones import PermitType, Tariff, Zone


@dataclass(frozen=True)
class Quote:
    permit: Term
    price: Price


def quote(
    zone: Zone,
    tariff: Tariff,
    kind: PermitType,
    months: int,
    start: date,
    *,
    household_permits: int = 0,
    vehicle: VehicleFacts | None = None,
) -> Quote:
    """The validity and price of a permit of `kind` for `months` from `start` in `zone`."""
    full = price(zone, tariff, kind, months, household_permits=household_permits, vehicle=vehicle)
    permit = term(start, months, zone.common_end_date)
    if permit.months >= months:
        return Quote(permit, full)
    pence = pro_rata(full.pence, months, permit.months)
    shortened = (
        f"Every permit in {zone.name} ends on {permit.valid_to:%-d %B}, so this one runs {permit.months} of the "
        f"{months} months (a part month counts as a whole one): {permit.months}/{months} of {pounds(full.pence)}."
    )
    total = f"Total: {pounds(pence)}." if pence else "Total: free."
    return Quote(permit, Price(pence, (*full.reasons[:-1], shortened, total)))
