"""Prices from the rule table, each with the reasons that made it; properties over vehicles and households."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permits.pricing import PriceError, VehicleFacts, pounds, price, round_pence
from permits.zones import PermitType, load_zones

pytestmark = pytest.mark.unit

ZONES = load_zones()
TOWN = ZONES.zone("A")
INNER = ZONES.tariff_of(TOWN)


def test_a_first_resident_permit_for_a_mid_band_car_costs_the_base_price():
    quote = price(TOWN, INNER, PermitType.RESIDENT, 12, vehicle=VehicleFacts(co2_g_km=140, fuel="PETROL"))
    assert quote.pence == INNER.types[PermitType.RESIDENT].price == 14000
    assert quote.reasons[0] == "A resident permit in Town centre costs £140.00 for 12 months."
    assert quote.reasons[-1] == "Total: £140.00."


def test_every_rule_that_applies_is_given_as_a_reason_and_multiplies():
    quote = price(
        TOWN, INNER, PermitType.RESIDENT, 6, household_permits=1, vehicle=VehicleFacts(co2_g_km=95, fuel="DIESEL")
    )
    # 140.00 x 55% (6 months) x 150% (2nd permit) x 60% (up to 100 g/km) + 30.00 x 55% (diesel, 6 months)
    assert (
        quote.pence == round_pence(Fraction(14000) * Fraction(55, 100) * Fraction(150, 100) * Fraction(60, 100)) + 1650
    )
    assert quote.pence == 8580
    text = " ".join(quote.reasons)
    for words in ("55% of that", "2nd permit", "95 g/km", "low emission", "surcharge of £16.50 for 6 months"):
        assert words in text


def test_the_engine_size_prices_a_vehicle_with_no_co2_figure():
    quote = price(TOWN, INNER, PermitType.RESIDENT, 12, vehicle=VehicleFacts(engine_cc=1199, fuel="PETROL"))
    assert quote.pence == 11200  # 80%
    assert "engine size of 1,199 cc" in quote.reasons[1]


def test_an_unknown_vehicle_pays_the_highest_band_until_confirmed():
    quote = price(TOWN, INNER, PermitType.RESIDENT, 12, vehicle=None)
    assert quote.pence == 14000 * 170 // 100
    assert "until they are confirmed" in quote.reasons[1]


def test_an_electric_car_in_the_outer_tariff_is_free():
    hopfield = ZONES.zone("B")
    quote = price(
        hopfield, ZONES.tariff_of(hopfield), PermitType.RESIDENT, 12, vehicle=VehicleFacts(0, None, "ELECTRICITY")
    )
    assert quote.pence == 0
    assert quote.reasons[-1] == "Total: free."


def test_a_carer_permit_ignores_the_vehicle_and_the_household():
    quote = price(TOWN, INNER, PermitType.CARER, 12, household_permits=2, vehicle=VehicleFacts(co2_g_km=300))
    assert (quote.pence, len(quote.reasons)) == (3000, 2)


def test_a_length_or_type_the_zone_does_not_sell_is_refused():
    with pytest.raises(PriceError, match="3 months only"):
        price(TOWN, INNER, PermitType.TEMPORARY, 12)
    with pytest.raises(PriceError, match="6 or 12 months only"):
        price(TOWN, INNER, PermitType.BUSINESS, 3)
    with pytest.raises(PriceError, match="does not offer visitor permits that are paid for"):
        price(TOWN, INNER, PermitType.VISITOR, 12)
    wealden = ZONES.zone("C")
    with pytest.raises(PriceError, match="does not offer temporary"):
        price(wealden, ZONES.tariff_of(wealden), PermitType.TEMPORARY, 3)


@pytest.mark.parametrize(("pence", "shown"), [(0, "£0.00"), (5, "£0.05"), (123456, "£1,234.56")])
def test_pounds(pence, shown):
    assert pounds(pence) == shown


vehicles = st.builds(
    VehicleFacts,
    co2_g_km=st.none() | st.integers(0, 500),
    engine_cc=st.none() | st.integers(50, 8000),
    fuel=st.sampled_from([None, "PETROL", "DIESEL", "ELECTRICITY", "HYBRID ELECTRIC"]),
)


@given(vehicles, st.integers(0, 500), st.sampled_from([3, 6, 12]), st.integers(0, 5))
def test_more_co2_never_costs_less(vehicle, extra, months, held):
    if vehicle.co2_g_km is None:
        return
    dirtier = VehicleFacts(vehicle.co2_g_km + extra, vehicle.engine_cc, vehicle.fuel)
    cheaper = price(TOWN, INNER, PermitType.RESIDENT, months, household_permits=held, vehicle=vehicle)
    dearer = price(TOWN, INNER, PermitType.RESIDENT, months, household_permits=held, vehicle=dirtier)
    assert dearer.pence >= cheaper.pence


@given(vehicles, st.sampled_from([3, 6, 12]), st.integers(0, 5))
def test_each_further_household_permit_never_costs_less_and_a_longer_one_never_less(vehicle, months, held):
    this = price(TOWN, INNER, PermitType.RESIDENT, months, household_permits=held, vehicle=vehicle)
    following = price(TOWN, INNER, PermitType.RESIDENT, months, household_permits=held + 1, vehicle=vehicle)
    assert following.pence >= this.pence
    if months < 12:
        longer = price(TOWN, INNER, PermitType.RESIDENT, 12, household_permits=held, vehicle=vehicle)
        assert longer.pence > this.pence


@given(vehicles, st.sampled_from([3, 6, 12]), st.integers(0, 5))
def test_the_total_shown_is_the_amount_charged(vehicle, months, held):
    quote = price(TOWN, INNER, PermitType.RESIDENT, months, household_permits=held, vehicle=vehicle)
    assert quote.pence >= 0
    assert quote.reasons[-1] == (f"Total: {pounds(quote.pence)}." if quote.pence else "Total: free.")
    assert ("surcharge" in " ".join(quote.reasons)) == (vehicle.fuel == "DIESEL")
