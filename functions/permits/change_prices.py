"""What a change of vehicle costs: the price difference for the rest of the permit, in whole months, with reasons.

The permit keeps its dates. Both vehicles are priced for the permit's whole term by the same rules (`quotes.quote`:
the same type, months bought, start, and household position; only the vehicle differs), then each is taken pro rata
for the months left: from the day of the change (or the permit's first day, if it has not started) to its last day,
the month the change falls in counting as a whole one (the new vehicle is on the permit in it), and never more than
the months the permit was charged for. The difference is to pay (positive), to refund (negative) or nothing:

    months_left = min(months_started(max(changed_on, valid_from), valid_to), term_months)
    difference  = pro_rata(new_price, term_months, months_left) - pro_rata(current_price, term_months, months_left)

So a vehicle in the same band changes nothing, and a change on the permit's first day costs the whole difference.

A permit moved into another zone (`permits.moving`) runs from the move for the months left: both vehicles' prices
for it are then the zone's price for the months bought, pro rata for those months (`moved_term_price`), as the move
priced the permit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from permits.pricing import VehicleFacts, pounds, price
from permits.validity import months_started, pro_rata
from permits.zones import PermitType, ZonesFile


@dataclass(frozen=True)
class VehicleChangePrice:
    months_left: int
    current_left: int  # what the months left are worth at the current vehicle's price
    new_left: int  # ... and at the new vehicle's
    difference: int  # to pay when positive, to refund when negative
    reasons: tuple[str, ...]

    @property
    def to_pay(self) -> int:
        return max(0, self.difference)

    @property
    def to_refund(self) -> int:
        return max(0, -self.difference)


def months_left(valid_from: date, valid_to: date, term_months: int, changed_on: date) -> int:
    """Whole months from the change (or the permit's first day) to its last day, a part month counting as whole."""
    if changed_on > valid_to:
        raise ValueError("A permit past its last day cannot change vehicle.")
    if term_months < 1:
        raise ValueError("A permit is charged for at least one month.")
    return min(months_started(max(changed_on, valid_from), valid_to), term_months)


def vehicle_change_price(
    *,
    valid_from: date,
    valid_to: date,
    term_months: int,
    current_price: int,
    new_price: int,
    changed_on: date,
) -> VehicleChangePrice:
    """The difference for changing the vehicle on `changed_on`; prices are for the permit's whole term, in pence."""
    if current_price < 0 or new_price < 0:
        raise ValueError("Prices are never negative.")
    left = months_left(valid_from, valid_to, term_months, changed_on)
    current_left = pro_rata(current_price, term_months, left)
    new_left = pro_rata(new_price, term_months, left)
    difference = new_left - current_left
    reasons = [
        f"Your permit runs to {valid_to:%-d %B %Y}: {left} of its {term_months} months are left, counting this "
        "month as a whole one.",
        f"For its {term_months} months the permit costs {pounds(new_price)} for the new vehicle and "
        f"{pounds(current_price)} for the current one.",
        f"For the {left} months left that is {pounds(new_left)} against {pounds(current_left)}.",
    ]
    if difference > 0:
        reasons.append(f"To pay: {pounds(difference)}.")
    elif difference < 0:
        reasons.append(f"To refund: {pounds(-difference)}.")
    else:
        reasons.append("Nothing to pay or refund.")
    return VehicleChangePrice(left, current_left, new_left, difference, tuple(reasons))


def moved_term_price(zones: ZonesFile, item: dict[str, Any], application: Any, facts: VehicleFacts | None) -> int:
    """A moved permit's price for its term (the application's `months` from the move) with the vehicle `facts`:
    the zone's price for the months bought, at the household position the move was priced at, pro rata. Raises
    `PriceError` as pricing does."""
    zone = zones.zone(application.zone)
    bought = int(item.get("bought_months", application.months))
    kind = PermitType(str(application.kind))
    full = price(zone, zones.tariff_of(zone), kind, bought, household_permits=int(item.get("household_position", 0)),
                 vehicle=facts)  # fmt: skip
    return pro_rata(full.pence, bought, min(application.months, bought))
