"""Permits for staff (`permits.staff`, `permits.staff_handler.answer`): search by mark, reference and UPRN without a
Scan, the permit page's record and history, verifying declared details, and revoking (guard and counter released,
the outbox event in the same write, the look-up then `no-permit`). Against moto's DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits import enforcement
from permits.adapters.dvla_models import DvlaUnavailable
from permits.application import Application, Applications, InvalidApplication
from permits.issuing import issue_paid
from permits.staff import StaffPermits
from permits.staff_handler import answer as handler_answer
from permits.store import PermitsStore
from permits.zones import load_zones
from shared.events import EventEnvelope, EventType
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import HOME, NOW, Dvla, request
from tests.unit.staff_console.conftest import aws_calls

pytestmark = pytest.mark.unit
LATER = datetime(2026, 6, 3, 9, 30, tzinfo=UTC)
STAFF = {"subject": "staff-sub-1", "roles": ["caseworker"]}
MANAGE = frozenset({"caseworker", "team-lead"})


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


@pytest.fixture
def staff(table: Any) -> StaffPermits:
    return StaffPermits(table=table, zones=load_zones(), clock=lambda: LATER)


def applied(table: Any, dvla: Any = None, **changes: Any) -> Application:
    service = Applications(zones=load_zones(), store=PermitsStore(table), vehicles=lambda: dvla or Dvla(),
                           clock=lambda: NOW)  # fmt: skip
    return service.apply(request(**changes))


def issued(table: Any, application: Application) -> str:
    event = EventEnvelope(
        type=EventType.ORDER_PAID, id="e1", source="payments", correlation_id="c",
        data={"reference": application.reference, "service_id": "parking-permit", "attempt": "1",
              "payment_id": "pay1", "amount_pence": str(application.pence)},
    )  # fmt: skip
    return issue_paid(PermitsStore(table), event, now=NOW).permit_id


def answer(service: StaffPermits, event: dict[str, Any]) -> dict[str, Any]:
    """The handler's answer, the roles holding manage-permits as the stack sets them (roles.yaml)."""
    return handler_answer(service, event, manage_roles=MANAGE)


def look_up(table: Any, moment: datetime = LATER) -> str:
    return enforcement.check(PermitsStore(table), load_zones(), "LB19PTR", "B", moment).outcome


def test_a_permit_is_found_by_its_mark_its_reference_its_id_and_its_household_without_a_scan(table, staff):
    application = applied(table)
    permit_id = issued(table, application)
    with aws_calls() as calls:
        by_mark = staff.search("vrm", "lb19 ptr")
        by_reference = staff.search("reference", application.reference.lower())
        by_id = staff.search("reference", permit_id)
        by_uprn = staff.search("uprn", HOME)
    assert [s["permit_id"] for s in by_mark] == [permit_id]
    assert by_mark[0]["key"] == application.reference  # the page is the application's, reached by its reference
    assert by_reference == by_id == by_mark == by_uprn
    assert by_mark[0]["vrm_display"] == "LB19 PTR"
    assert by_mark[0]["status"] == "active"
    operations = {op for op, _ in calls}
    assert "Scan" not in operations
    assert {p.get("IndexName") for op, p in calls if op == "Query"} == {"by-vrm", "by-household"}
    assert staff.search("vrm", "KX68DSL") == []
    assert staff.search("uprn", "100000000009") == []


@pytest.mark.parametrize(
    ("by", "value", "field"),
    [
        ("vrm", "not a mark!", "vrm"),
        ("reference", "ABCD", "reference"),
        ("uprn", "12ab", "uprn"),
        ("postcode", "x", ""),
    ],
)
def test_a_search_that_cannot_match_is_a_clear_refusal_naming_its_field(table, staff, by, value, field):
    with aws_calls() as calls:
        result = answer(staff, {"action": "search", "by": by, "value": value})
    assert result["status"] == 400
    assert result["body"]["field"] == field
    assert result["body"]["detail"]
    assert calls == []  # nothing read


def test_the_record_has_the_permit_vehicle_price_reasons_and_history(table, staff):
    application = applied(table)
    permit_id = issued(table, application)
    record = answer(staff, {"action": "get", "key": application.reference})["body"]["record"]
    assert (record["permit_id"], record["zone"], record["zone_name"], record["kind"]) == (permit_id, "B", "Hopfield",
                                                                                         "resident")  # fmt: skip
    assert record["vehicle"] == {"make": "FORD", "colour": "BLUE", "fuel": "PETROL", "co2_g_km": 128,
                                 "engine_cc": 1498}  # fmt: skip
    assert record["amount_pence"] == application.pence
    assert record["reasons"] == list(application.reasons)
    assert [h["what"] for h in record["history"]] == ["Applied", "Paid", "Issued"]
    assert record["household"] == HOME
    json.dumps(record)  # the console receives it as JSON
    assert answer(staff, {"action": "get", "key": "ABCD-EFGH"})["status"] == 404


def test_revoking_releases_the_mark_writes_the_event_in_the_same_item_and_the_look_up_says_no_permit(table, staff):
    application = applied(table)
    permit_id = issued(table, application)
    assert look_up(table) == "valid"
    result = answer(staff, {"action": "revoke", "key": application.reference, "reason": "Sold the car",
                            "staff": STAFF, "correlation_id": "corr-1"})  # fmt: skip
    assert result["status"] == 200
    record = result["body"]["record"]
    assert record["status"] == "revoked"
    assert record["end_reason"] == "Sold the car"
    assert [h["what"] for h in record["history"]][-1] == "Revoked"
    assert look_up(table) == "no-permit"
    item = table.get_item(Key={"pk": f"PERMIT#{permit_id}", "sk": "PERMIT"})["Item"]
    event = EventEnvelope.model_validate_json(item["outbox"])
    assert event.type is EventType.PERMIT_ENDED
    assert event.correlation_id == "corr-1"
    assert event.data == {"reference": application.reference, "permit_id": permit_id, "ended_on": "2026-06-03",
                          "refund_pence": 0}  # fmt: skip
    assert "Sold the car" not in item["outbox"]
    assert item["ended_by"] == "staff-sub-1"
    assert "Item" not in table.get_item(Key={"pk": f"ACTIVE#B#{application.vrm}", "sk": "GUARD"})
    counter = table.get_item(Key={"pk": f"HOUSEHOLD#{HOME}#B", "sk": "COUNT"})["Item"]
    assert counter["active"] == 0
    again = answer(staff, {"action": "revoke", "key": permit_id, "reason": "again", "staff": STAFF})
    assert again["status"] == 409


@pytest.mark.parametrize(("reason", "status"), [("", 400), ("x" * 501, 400)])
def test_a_revocation_without_a_good_reason_writes_nothing(table, staff, reason, status):
    application = applied(table)
    issued(table, application)
    before = table.scan()["Items"]  # the test looks at the whole table; the service never scans
    result = answer(staff, {"action": "revoke", "key": application.reference, "reason": reason, "staff": STAFF})
    assert result["status"] == status
    assert result["body"]["field"] == "reason"
    assert table.scan()["Items"] == before
    assert answer(staff, {"action": "revoke", "key": application.reference, "reason": "x"})["status"] == 400  # no one
    assert look_up(table) == "valid"


def declared(table: Any) -> Application:
    vehicle = {"make": "Ford", "colour": "Blue", "fuel": "petrol"}
    return applied(table, Dvla(DvlaUnavailable("503", "down", status=503)), declared_vehicle=vehicle)


def test_declared_details_are_confirmed_with_a_note_once(table, staff):
    application = declared(table)
    assert answer(staff, {"action": "get", "key": application.reference})["body"]["record"]["needs_verification"]
    result = answer(staff, {"action": "verify", "reference": application.reference, "outcome": "confirmed",
                            "note": "Checked with DVLA by phone", "staff": STAFF})  # fmt: skip
    record = result["body"]["record"]
    assert result["status"] == 200
    assert not record["needs_verification"]
    assert record["verification"]["note"] == "Checked with DVLA by phone"
    assert record["verification"]["by"] == "staff-sub-1"
    assert "Vehicle details confirmed" in [h["what"] for h in record["history"]]
    again = answer(staff, {"action": "verify", "reference": application.reference, "outcome": "confirmed",
                           "note": "again", "staff": STAFF})  # fmt: skip
    assert again["status"] == 409


RED = {"make": "Ford", "colour": "Red", "fuel": "DIESEL", "co2_g_km": 140}


def test_declared_details_are_corrected_keeping_what_was_declared(table, staff):
    application = declared(table)
    result = answer(staff, {"action": "verify", "reference": application.reference, "outcome": "corrected",
                            "note": "V5C seen", "staff": STAFF, "vehicle": RED})  # fmt: skip
    record = result["body"]["record"]
    assert record["vehicle"] == {"make": "Ford", "colour": "Red", "fuel": "DIESEL", "co2_g_km": 140}
    assert record["verification"]["declared"] == {"make": "Ford", "colour": "Blue", "fuel": "PETROL"}


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"outcome": "confirmed", "note": ""}, "note"),
        ({"outcome": "maybe", "note": "n"}, "outcome"),
        ({"outcome": "corrected", "note": "n", "vehicle": {"make": "", "colour": "Red", "fuel": "DIESEL"}}, "make"),
        ({"outcome": "corrected", "note": "n", "vehicle": {"make": "Ford", "colour": "Red", "fuel": "COAL"}}, "fuel"),
        ({"outcome": "corrected", "note": "n",
          "vehicle": {"make": "Ford", "colour": "Red", "fuel": "DIESEL", "co2_g_km": -1}}, "co2_g_km"),
    ],
)  # fmt: skip
def test_a_bad_verification_names_its_field_and_writes_nothing(table, staff, form, field):
    application = declared(table)
    before = table.get_item(Key={"pk": f"APPLICATION#{application.reference}", "sk": "APPLICATION"})["Item"]
    result = answer(staff, {"action": "verify", "reference": application.reference, "staff": STAFF, **form})
    assert result["status"] == 400, result
    assert result["body"]["field"] == field
    after = table.get_item(Key={"pk": f"APPLICATION#{application.reference}", "sk": "APPLICATION"})["Item"]
    assert after == before


def test_details_from_dvla_need_no_verification(table, staff):
    application = applied(table)
    result = answer(staff, {"action": "verify", "reference": application.reference, "outcome": "confirmed",
                            "note": "n", "staff": STAFF})  # fmt: skip
    assert result["status"] == 409


@pytest.mark.parametrize("roles", [[], ["finance"], ["admin", "finance"]])
def test_only_staff_holding_a_role_with_manage_permits_may_verify_or_revoke(table, staff, roles):
    application = declared(table)
    issued(table, application)
    before = table.scan()["Items"]  # the test looks at the whole table; the service never scans
    who = {"subject": "staff-sub-2", "roles": roles}
    revoke = answer(staff, {"action": "revoke", "key": application.reference, "reason": "x", "staff": who})
    verify = answer(staff, {"action": "verify", "reference": application.reference, "outcome": "confirmed",
                            "note": "n", "staff": who})  # fmt: skip
    assert (revoke["status"], verify["status"]) == (403, 403)
    assert table.scan()["Items"] == before
    assert look_up(table) == "valid"


ASSISTED = {"channel": "phone", "reason": "No internet at home", "staff": "staff-sub-1"}


def test_an_application_staff_made_for_a_resident_keeps_the_channel_reason_and_staff_member(table, staff):
    application = applied(table, assisted=ASSISTED)
    issued(table, application)
    stored = table.get_item(Key={"pk": f"APPLICATION#{application.reference}", "sk": "APPLICATION"})["Item"]
    assert stored["assisted"] == ASSISTED
    record = answer(staff, {"action": "get", "key": application.reference})["body"]["record"]
    [applied_entry] = [h for h in record["history"] if h["what"] == "Applied"]
    assert applied_entry["by"] == "staff-sub-1"
    assert applied_entry["detail"].startswith("made by staff for the resident, by phone: No internet at home")


@pytest.mark.parametrize(
    ("assisted", "field"),
    [
        ({**ASSISTED, "channel": "online"}, "assisted.channel"),
        ({**ASSISTED, "reason": "  "}, "assisted.reason"),
        ({**ASSISTED, "staff": ""}, "assisted.staff"),
        ("phone", "assisted:"),
    ],
)
def test_a_malformed_assisted_part_is_refused_naming_its_field_and_nothing_is_written(table, assisted, field):
    with pytest.raises(InvalidApplication, match=field):
        applied(table, assisted=assisted)
    assert table.scan()["Items"] == []
