"""Applying for a permit (`permits.application`): each refusal before anything is written, the vehicle from DVLA or
declared while DVLA is down (then marked for staff to verify), the price computed here with its reasons, and the
application stored pending payment under a condition. Against moto's DynamoDB and a stand-in vehicle source."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits.adapters.dvla_models import DvlaAuthenticationFailed, DvlaUnavailable, Vehicle, VehicleNotFound
from permits.application import (
    PENDING_PAYMENT,
    ApplicationRequest,
    Applications,
    DeclarationNeeded,
    InvalidApplication,
    VehicleNotKnown,
)
from permits.eligibility import (
    AddressOutsideZones,
    HouseholdLimitReached,
    PermitTypeNotOffered,
    VehicleMarkedForExport,
    VrmAlreadyPermitted,
)
from permits.store import PermitsStore
from permits.vrm import InvalidVrm
from permits.zones import PermitType, load_zones
from tests.unit.permits.permits_support import create_permits_table

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
HOME = "100000000001"  # Hopfield (zone B) by its postcode
VEHICLES = {
    "LB19PTR": {"registrationNumber": "LB19PTR", "make": "FORD", "colour": "BLUE", "fuelType": "PETROL",
                "co2Emissions": 128, "engineCapacity": 1498, "markedForExport": False},
    "KX68DSL": {"registrationNumber": "KX68DSL", "make": "VW", "colour": "GREY", "fuelType": "DIESEL",
                "co2Emissions": 142, "markedForExport": False},
    "MX20EXP": {"registrationNumber": "MX20EXP", "make": "TOYOTA", "colour": "WHITE", "fuelType": "HYBRID ELECTRIC",
                "co2Emissions": 90, "markedForExport": True},
}  # fmt: skip


class Dvla:
    def __init__(self, failure: Exception | None = None) -> None:
        self.failure, self.asked = failure, 0

    def vehicle(self, vrm: Any) -> Vehicle:
        self.asked += 1
        if self.failure is not None:
            raise self.failure
        mark = vrm.value if hasattr(vrm, "value") else str(vrm)
        if mark not in VEHICLES:
            raise VehicleNotFound("404", "Vehicle Not Found", status=404)
        return Vehicle.model_validate(VEHICLES[mark])


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


@pytest.fixture
def dvla() -> Dvla:
    return Dvla()


def service(table: Any, dvla: Dvla) -> Applications:
    return Applications(zones=load_zones(), store=PermitsStore(table), vehicles=lambda: dvla, clock=lambda: NOW)


def request(**changes: Any) -> ApplicationRequest:
    data: dict[str, Any] = {
        "address": {"uprn": HOME, "postcode": "ME14 1HQ", "street": "HOPFIELD ROAD"},
        "kind": "resident",
        "months": 12,
        "vrm": "lb19 ptr",
        "contact": {"email": "Resident@Example.ORG"},
    }
    data.update(changes)
    return ApplicationRequest.parse(data, today=NOW.date())


def items(table: Any) -> list[dict[str, Any]]:
    return list(table.scan()["Items"])  # the test reads the whole table; the code never scans


def issue(table: Any, vrm: str, zone: str = "B", household: str = HOME) -> None:
    PermitsStore(table).issue(
        vrm=vrm, zone=zone, kind=PermitType.RESIDENT, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31),
        household=household, household_limit=2, counts_towards_limit=True,
    )  # fmt: skip


def test_an_application_is_priced_with_its_reasons_and_stored_pending_payment(table, dvla):
    application = service(table, dvla).apply(request())
    assert application.status == PENDING_PAYMENT
    assert (application.vrm, application.zone, application.kind) == ("LB19PTR", "B", PermitType.RESIDENT)
    assert application.pence == 8000  # outer tariff £80, 128 g/km is the 100% band, 1st permit
    assert application.reasons[-1] == "Total: £80.00."
    assert (application.valid_from, application.valid_to) == (date(2026, 6, 1), date(2027, 5, 31))
    assert not application.needs_verification
    [stored] = items(table)
    assert stored["status"] == PENDING_PAYMENT
    assert stored["mark"] == "LB19PTR"
    assert stored["uprn"] == HOME
    assert "vrm" not in stored
    assert "household" not in stored
    assert stored["vehicle"]["make"] == "FORD"
    assert service(table, dvla).get(application.reference) == application


def test_a_diesel_second_permit_pays_the_surcharge_and_the_nth_permit_price(table, dvla):
    issue(table, "AB51CDE")
    application = service(table, dvla).apply(request(vrm="KX68DSL"))
    # £80 x 125% (2nd permit) x 100% (142 g/km) + £20 diesel surcharge
    assert application.pence == 12000
    assert any("2nd permit" in r for r in application.reasons)
    assert any("diesel" in r.lower() for r in application.reasons)


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"address": {"uprn": "100000000009", "postcode": "ZZ1 1ZZ", "street": "NOWHERE LANE"}}, AddressOutsideZones),
        ({"vrm": "not a mark!"}, InvalidVrm),
        ({"vrm": "MX20EXP"}, VehicleMarkedForExport),
        ({"vrm": "AB12CDE"}, VehicleNotKnown),
        ({"kind": "business"}, PermitTypeNotOffered),  # Hopfield has no business permits
        ({"kind": "visitor"}, PermitTypeNotOffered),  # visitors use the wallet
        ({"months": 6, "kind": "temporary"}, InvalidApplication),  # a courtesy car: 3 months only
    ],
)
def test_each_refusal_writes_nothing(table, dvla, changes, refusal):
    with pytest.raises(refusal) as refused:
        service(table, dvla).apply(request(**changes))
    assert str(refused.value)
    assert items(table) == []


def test_a_household_at_its_limit_is_refused_before_dvla_is_asked(table, dvla):
    issue(table, "AB51CDE")
    issue(table, "CD51EFG")
    before = items(table)
    with pytest.raises(HouseholdLimitReached, match="most it can have"):
        service(table, dvla).apply(request())
    assert dvla.asked == 0
    assert items(table) == before


def test_a_mark_on_an_active_permit_in_the_zone_is_refused_whoever_holds_it(table, dvla):
    issue(table, "LB19PTR", household="100000000002")
    before = items(table)
    with pytest.raises(VrmAlreadyPermitted, match="LB19 PTR already has a permit in Hopfield"):
        service(table, dvla).apply(request())
    assert dvla.asked == 0
    assert items(table) == before


def test_a_permit_past_its_last_day_does_not_count(table, dvla):
    PermitsStore(table).issue(
        vrm="LB19PTR", zone="B", kind=PermitType.RESIDENT, valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31),
        household=HOME, household_limit=2, counts_towards_limit=True,
    )  # fmt: skip
    assert service(table, dvla).apply(request()).status == PENDING_PAYMENT


def test_dvla_down_asks_for_a_declaration_and_writes_nothing(table):
    down = Dvla(DvlaUnavailable("503", "Service Unavailable", status=503))
    with pytest.raises(DeclarationNeeded, match="tell us its make, colour and fuel"):
        service(table, down).apply(request())
    assert items(table) == []


def test_dvla_down_with_a_declaration_is_stored_for_staff_to_verify(table):
    down = Dvla(DvlaUnavailable("timeout", "DVLA did not answer in time"))
    declared = {"make": "Ford", "colour": "Blue", "fuel": "petrol", "co2_g_km": 128}
    application = service(table, down).apply(request(declared_vehicle=declared))
    assert application.needs_verification
    assert application.vehicle_source == "declared"
    assert application.pence == 8000
    assert application.reasons[0].startswith("DVLA could not be reached")
    [stored] = items(table)
    assert stored["needs_verification"] is True
    assert stored["vehicle"]["fuel"] == "PETROL"


def test_a_declaration_without_emissions_pays_the_highest_band_until_confirmed(table):
    down = Dvla(DvlaUnavailable("503"))
    application = service(table, down).apply(
        request(declared_vehicle={"make": "Ford", "colour": "Blue", "fuel": "PETROL"})
    )
    assert application.pence == 11200  # over 180 g/km: 140%
    assert application.needs_verification


def test_a_declaration_is_not_used_when_dvla_answers(table, dvla):
    declared = {"make": "Other", "colour": "Red", "fuel": "ELECTRICITY", "co2_g_km": 0}
    application = service(table, dvla).apply(request(declared_vehicle=declared))
    assert application.vehicle_source == "dvla"
    assert not application.needs_verification
    assert application.pence == 8000  # DVLA's 128 g/km, not the declared 0
    with pytest.raises(VehicleMarkedForExport):
        service(table, dvla).apply(request(vrm="MX20EXP", declared_vehicle=declared))


def test_dvla_refusing_our_key_is_raised_for_the_alarm_and_writes_nothing(table):
    refused = Dvla(DvlaAuthenticationFailed("403", "Forbidden", status=403))
    with pytest.raises(DvlaAuthenticationFailed):
        service(table, refused).apply(request())
    assert items(table) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"address": {"uprn": "abc", "postcode": "ME14 1HQ"}}, "address.uprn"),
        ({"address": "somewhere"}, "address"),
        ({"kind": "boat"}, "kind"),
        ({"months": "12"}, "months"),
        ({"vrm": ""}, "vrm"),
        ({"start": "2026-05-31"}, "start"),  # in the past
        ({"start": "2027-01-01"}, "start"),  # too far ahead
        ({"declared_vehicle": {"make": "Ford", "colour": "Blue", "fuel": "steam"}}, "declared_vehicle.fuel"),
        ({"declared_vehicle": {"make": "", "colour": "Blue", "fuel": "PETROL"}}, "declared_vehicle.make"),
        ({"declared_vehicle": {"make": "F", "colour": "B", "fuel": "PETROL", "co2_g_km": -1}}, "declared_vehicle.co2"),
        ({"contact": None}, "contact.email"),
        ({"contact": {}}, "contact.email"),
        ({"contact": {"email": "  "}}, "contact.email"),
        ({"contact": {"email": "not an address"}}, "contact.email"),
        ({"contact": {"email": "resident@example"}}, "contact.email"),
        ({"contact": "resident@example.org"}, "contact.email"),
    ],
)
def test_malformed_applications_name_the_field(changes, field):
    with pytest.raises(InvalidApplication, match=field.replace(".", r"\.")):
        request(**changes)


def test_the_same_reference_twice_is_not_overwritten(table, dvla):
    applications = Applications(
        zones=load_zones(),
        store=PermitsStore(table),
        vehicles=lambda: dvla,
        clock=lambda: NOW,
        new_id=lambda: "7KXM-3RAH",
    )
    applications.apply(request())
    with pytest.raises(InvalidApplication, match="exists already"):
        applications.apply(request(vrm="KX68DSL"))
    [stored] = items(table)
    assert stored["mark"] == "LB19PTR"


def test_the_email_is_stored_normalised_as_contact_and_only_the_contact_answer_gives_it(table, dvla):
    applications = service(table, dvla)
    application = applications.apply(request())
    [stored] = items(table)
    assert stored["contact"] == {"email": "Resident@example.org"}  # the domain lower-cased, nothing else kept
    assert "email" not in application.public()
    assert "Resident@example.org" not in str(application.public())
    assert applications.contact(application.reference) == {
        "email": "Resident@example.org",
        "reference": application.reference,
        "vrm": "LB19PTR",
        "zone": "B",
        "kind": "resident",
        "valid_from": "2026-06-01",
        "valid_to": "2027-05-31",
        "permit_id": "",
        "status": PENDING_PAYMENT,
    }
    assert applications.contact("7KXM-3RAH") is None


def test_an_application_with_a_bad_email_is_refused_before_anything_is_asked_or_written(table, dvla):
    with pytest.raises(InvalidApplication, match=r"contact\.email"):
        service(table, dvla).apply(request(contact={"email": "resident@"}))
    assert items(table) == []
    assert dvla.asked == 0
