"""Who may have a permit: the address in a zone (most precise match first), the type offered, the household limit,
the vehicle not already permitted in the zone and not marked for export."""

from __future__ import annotations

import pytest

from permits.eligibility import (
    ActivePermit,
    Address,
    AddressOutsideZones,
    HouseholdLimitReached,
    PermitTypeNotOffered,
    VehicleMarkedForExport,
    VrmAlreadyPermitted,
    check,
    zone_for,
)
from permits.vrm import parse_vrm
from permits.zones import PermitType

pytestmark = pytest.mark.unit

COBNUT = Address("999000010001", "ME15 6JQ", "COBNUT ROW")
HOPFIELD = Address("999000020001", "me14  1hq", "Hopfield Lane")
HOPFIELD_UNSPACED = Address("", "me141hq", "")
BELLFLOWER_IN = Address("999000050001", "ME14 5DE", "BELLFLOWER CLOSE")
BELLFLOWER_OUT = Address("999000050002", "ME14 5DE", "BELLFLOWER CLOSE")
VRM = parse_vrm("ab51 cde")


@pytest.mark.parametrize(
    ("address", "code"),
    [
        (COBNUT, "A"),
        (HOPFIELD, "B"),
        (HOPFIELD_UNSPACED, "B"),
        (BELLFLOWER_IN, "C"),
        (Address("1", "ME16 8PQ", "MILLPOND DRIVE"), "D"),
    ],
)
def test_an_address_is_found_by_uprn_postcode_or_street(zones, address, code):
    assert zone_for(zones, address).code == code


def test_an_address_outside_every_zone_is_refused(zones):
    with pytest.raises(AddressOutsideZones, match="not in a permit parking zone"):
        zone_for(zones, BELLFLOWER_OUT)
    with pytest.raises(AddressOutsideZones):
        check(zones, Address("", "", ""), PermitType.RESIDENT, household=[])


def test_a_type_the_zone_does_not_have_is_refused(zones):
    with pytest.raises(PermitTypeNotOffered, match="Hopfield does not have business permits"):
        check(zones, HOPFIELD, PermitType.BUSINESS, household=[])


def test_the_household_limit_counts_only_its_resident_permits_in_the_zone(zones):
    held = [ActivePermit("B", PermitType.RESIDENT, f"AB5{i}CDE") for i in range(2)]
    with pytest.raises(HouseholdLimitReached, match=r"already has 2 permits in Hopfield, the most it can have \(2\)"):
        check(zones, HOPFIELD, PermitType.RESIDENT, household=held, vrm=VRM)
    elsewhere = [ActivePermit("A", PermitType.RESIDENT, "X1"), ActivePermit("B", PermitType.CARER, None)]
    assert check(zones, HOPFIELD, PermitType.RESIDENT, household=[held[0], *elsewhere], vrm=VRM).code == "B"
    assert check(zones, HOPFIELD, PermitType.CARER, household=held).code == "B"  # a carer permit is not limited


def test_a_vrm_already_on_a_permit_in_the_zone_is_refused(zones):
    others = [ActivePermit("A", PermitType.RESIDENT, VRM.value)]
    with pytest.raises(VrmAlreadyPermitted, match="AB51 CDE already has a permit in Town centre"):
        check(zones, COBNUT, PermitType.RESIDENT, household=[], vrm=VRM, vrm_permits=others)
    assert check(zones, HOPFIELD, PermitType.RESIDENT, household=[], vrm=VRM, vrm_permits=others).code == "B"


def test_a_vehicle_marked_for_export_is_refused_and_unknown_is_not(zones):
    with pytest.raises(VehicleMarkedForExport, match="marked for export"):
        check(zones, COBNUT, PermitType.RESIDENT, household=[], vrm=VRM, marked_for_export=True)
    assert check(zones, COBNUT, PermitType.RESIDENT, household=[], vrm=VRM, marked_for_export=None).code == "A"
