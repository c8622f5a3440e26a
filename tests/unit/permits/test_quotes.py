"""Quotes: validity and price together, a permit shortened by its zone's end date paying pro rata."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permits.pricing import VehicleFacts, price
from permits.quotes import quote
from permits.validity import Term, term_end
from permits.zones import PermitType, load_zones

pytestmark = pytest.mark.unit

ZONES = load_zones()
TOWN, HOPFIELD = ZONES.zone("A"), ZONES.zone("B")
CAR = VehicleFacts(co2_g_km=140, fuel="PETROL")


def test_a_year_bought_in_october_in_a_zone_ending_in_march_pays_six_twelfths():
    offer = quote(TOWN, ZONES.tariff_of(TOWN), PermitType.RESIDENT, 12, date(2025, 10, 15), vehicle=CAR)
    assert offer.permit == Term(date(2025, 10, 15), date(2026, 3, 31), 6)
    assert offer.price.pence == 7000  # 6/12 of £140.00
    assert "ends on 31 March, so this one runs 6 of the 12 months" in offer.price.reasons[-2]
    assert offer.price.reasons[-1] == "Total: £70.00."


def test_without_an_end_date_the_quote_is_the_full_price_for_the_full_length():
    tariff = ZONES.tariff_of(HOPFIELD)
    offer = quote(HOPFIELD, tariff, PermitType.RESIDENT, 6, date(2026, 1, 31), vehicle=CAR)
    assert offer.permit == Term(date(2026, 1, 31), date(2026, 7, 30), 6)
    assert offer.price == price(HOPFIELD, tariff, PermitType.RESIDENT, 6, vehicle=CAR)


@given(st.dates(date(2024, 1, 1), date(2035, 12, 31)), st.sampled_from([3, 6, 12]), st.integers(0, 3))
def test_a_quote_never_costs_more_than_the_full_price_nor_runs_past_a_few_free_days(start, months, held):
    tariff = ZONES.tariff_of(TOWN)
    kind = PermitType.TEMPORARY if months == 3 and held == 3 else PermitType.RESIDENT
    offer = quote(TOWN, tariff, kind, months, start, household_permits=held, vehicle=CAR)
    full = price(TOWN, tariff, kind, months, household_permits=held, vehicle=CAR)
    assert 0 <= offer.price.pence <= full.pence
    assert offer.price.reasons[-1].startswith("Total:")
    assert (offer.permit.valid_to - term_end(start, months)).days < 28
