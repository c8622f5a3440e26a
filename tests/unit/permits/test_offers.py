"""What the resident web's permit pages ask the applications function before an application (`permits.offers`):
each zone's permits and prices from the zones file, an address's zone, a mark's format; and the handler's answers."""

from __future__ import annotations

import pytest

from permits.application_handler import _before_applying
from permits.eligibility import Address, AddressOutsideZones
from permits.offers import checked_mark, offers, zone_offer
from permits.vrm import InvalidVrm
from permits.zones import PermitType, load_zones

pytestmark = pytest.mark.unit


def test_every_zone_lists_the_types_applied_for_and_each_lengths_price():
    zones = load_zones()
    listed = {z["code"]: z for z in offers(zones)}
    assert set(listed) == {z.code for z in zones.zones}
    for zone in zones.zones:
        tariff = zones.tariff_of(zone)
        kinds = [t["kind"] for t in listed[zone.code]["types"]]
        assert PermitType.VISITOR.value not in kinds
        carer_rule = tariff.types.get(PermitType.CARER)
        offered = zone.offers(PermitType.CARER) and carer_rule is not None
        assert (PermitType.CARER.value in kinds) == offered  # a free carer permit is listed too (issued at once)
        for offered in listed[zone.code]["types"]:
            rule = tariff.types[PermitType(offered["kind"])]
            assert [length["months"] for length in offered["lengths"]] == sorted(rule.lengths)
            twelve = [length for length in offered["lengths"] if length["months"] == 12]
            if twelve:
                assert twelve[0]["amount_pence"] == rule.price
    a = listed["A"]
    assert a["common_end_date"] == "31 March"
    resident = next(t for t in a["types"] if t["kind"] == "resident")
    assert [(x["months"], x["amount"]) for x in resident["lengths"]] == [(3, "£42.00"), (6, "£77.00"), (12, "£140.00")]


def test_an_address_is_matched_to_its_zone_as_the_application_matches_it():
    zones = load_zones()
    assert zone_offer(zones, Address("1", "ME14 1HQ", ""))["code"] == "B"  # by postcode
    assert zone_offer(zones, Address("1", "ME15 6JQ", "COBNUT ROW"))["code"] == "A"  # by street
    with pytest.raises(AddressOutsideZones):
        zone_offer(zones, Address("1", "ME17 1AB", "CHURCH GREEN"))


def test_a_mark_is_normalised_or_refused():
    assert checked_mark(" lb19 ptr ") == {"vrm": "LB19PTR", "display": "LB19 PTR"}
    with pytest.raises(InvalidVrm):
        checked_mark("QQ12 QQQ")


def test_the_handlers_answers_for_the_pages():
    assert _before_applying({"action": "check-vrm", "vrm": "AB1234567"})["status"] == 400
    assert _before_applying({"action": "check-vrm", "vrm": "KX68 DSL"})["body"]["vrm"] == "KX68DSL"
    assert len(_before_applying({"action": "offers"})["body"]["zones"]) == len(load_zones().zones)
    outside = _before_applying({"action": "offers", "address": {"uprn": "1", "postcode": "ME17 1AB"}})
    assert (outside["status"], outside["body"]["refusal"]) == (422, "AddressOutsideZones")
    inside = _before_applying({"action": "offers", "address": {"uprn": "1", "postcode": "ME14 1XX", "street": ""}})
    assert inside["body"]["zone"]["name"] == "Hopfield"
    assert _before_applying({"action": "offers", "address": "ME14 1XX"})["status"] == 400
