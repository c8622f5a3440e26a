"""Carer permits (`permits.application`'s carer path, `permits.carer_sessions`, `permits.carer_handler`), against
moto's DynamoDB: applied for with no vehicle and priced for the type alone, issued with no mark and no VRM guard;
sessions for a carer's mark one at a time, in the permit's zone, around controlled hours, while the permit is in
force; the enforcement look-up's `carer-session` answer and the feed's entries; each refusal writing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits import enforcement, feed
from permits.application import (
    CARER_REASON,
    ApplicationRequest,
    Applications,
    InvalidApplication,
)
from permits.carer_handler import carer_by_link
from permits.carer_sessions import (
    CarerSessions,
    InvalidCarerRequest,
    NoSuchCarerSession,
    OutsideControlledHours,
    PermitNotInForce,
    SessionNotRunning,
    SessionOutsideZone,
    SessionRunning,
)
from permits.changes import Changes, PermitNotChangeable
from permits.eligibility import Address, PermitTypeNotOffered
from permits.issuing import issue_paid
from permits.moving import Moves
from permits.renewal import renewal
from permits.store import PermitsStore, Status
from permits.vrm import InvalidVrm
from permits.zones import PermitType, ZonesError, load_zones, parse_zones
from shared.calendar import LONDON
from shared.events import EventEnvelope, EventType
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import NOW, Dvla

pytestmark = pytest.mark.unit

HOME = "100000000007"
TOWN = {"uprn": HOME, "postcode": "ME15 6JQ", "street": "COBNUT ROW"}  # zone A
STATION = {"uprn": HOME, "postcode": "ME15 6JQ", "street": "MILLPOND DRIVE"}  # zone D: no carer permits
TUESDAY_9 = datetime(2026, 6, 2, 9, 0, tzinfo=LONDON)  # zone A controlled (Mon-Sat 08:00-18:30)
CARER = "KX68 DSL"


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


def applications(table: Any, dvla: Dvla | None = None) -> Applications:
    return Applications(zones=load_zones(), store=PermitsStore(table), vehicles=lambda: dvla or Dvla(),
                        clock=lambda: NOW)  # fmt: skip


def carer_request(**changes: Any) -> ApplicationRequest:
    data: dict[str, Any] = {"address": TOWN, "kind": "carer", "months": 12, "contact": {"email": "r@example.org"}}
    data.update(changes)
    return ApplicationRequest.parse(data, today=NOW.date())


def items(table: Any) -> list[dict[str, Any]]:
    return table.scan()["Items"]  # the test's own view of the whole table


def issued(table: Any) -> tuple[Any, str]:
    """A carer permit in zone A applied for, paid and issued: (the application, the permit id)."""
    application = applications(table).apply(carer_request())
    paid = EventEnvelope(
        type=EventType.ORDER_PAID, id="e1", source="payments", correlation_id="c",
        data={"reference": application.reference, "service_id": "parking-permit", "attempt": "1",
              "payment_id": "pay1", "amount_pence": str(application.pence)},
    )  # fmt: skip
    outcome = issue_paid(PermitsStore(table), paid, now=NOW)
    assert outcome.outcome == "issued"
    return application, outcome.permit_id


def look_up(table: Any, moment: datetime, vrm: str = CARER, zone: str = "A") -> dict[str, Any]:
    return enforcement.check(PermitsStore(table), load_zones(), vrm, zone, moment).body()


# -- the zones file ----------------------------------------------------------------------------------------------


def test_a_zone_with_carer_permits_says_how_long_a_session_runs(zones_data):
    assert load_zones().zone("A").carer_session_hours == 24
    del zones_data["zones"][0]["carer_session_hours"]
    with pytest.raises(ZonesError, match="carer_session_hours"):
        parse_zones(zones_data)


def test_a_carer_permit_priced_by_vehicle_or_counted_in_the_household_is_refused(zones_data):
    zones_data["tariffs"][0]["types"]["carer"]["per_household"] = True
    with pytest.raises(ZonesError, match="not tied to a vehicle"):
        parse_zones(zones_data)


# -- applying and issuing ----------------------------------------------------------------------------------------


def test_a_carer_permit_is_applied_for_with_no_vehicle_and_priced_for_the_type(table):
    dvla = Dvla()
    made = applications(table, dvla).apply(carer_request())
    assert (made.kind, made.vrm, made.zone, made.status) == (PermitType.CARER, "", "A", "pending-payment")
    assert dvla.asked == 0  # no vehicle, so no DVLA enquiry
    assert made.valid_to == date(2027, 3, 31)  # zone A's common end date: 10 of the 12 months, pro rata
    assert made.pence == 2500
    assert CARER_REASON in made.reasons
    assert made.reasons[0].startswith("A carer permit in Town centre costs £30.00")
    (item,) = items(table)
    assert (item["mark"], item["counts_towards_limit"], item["vehicle"]) == ("", False, {})
    assert "vrm" not in item
    assert "household" not in item


@pytest.mark.parametrize(
    "changes", [{"vrm": "LB19PTR"}, {"declared_vehicle": {"make": "FORD"}}, {"renews": "ABCD-EFGH"}]
)
def test_a_carer_application_naming_a_vehicle_is_malformed(changes):
    with pytest.raises(InvalidApplication, match="not tied to one vehicle"):
        carer_request(**changes)


def test_a_carer_permit_in_a_zone_that_does_not_offer_it_is_refused_writing_nothing(table):
    with pytest.raises(PermitTypeNotOffered, match="Station does not have carer permits"):
        applications(table).apply(carer_request(address=STATION))
    assert items(table) == []


def test_a_free_carer_permit_is_issued_at_once_with_no_order_at_payments(table):
    hopfield = {"uprn": HOME, "postcode": "ME14 1HQ", "street": ""}  # zone B: carer permits priced at nothing
    orders: list[Any] = []
    service = Applications(zones=load_zones(), store=PermitsStore(table), vehicles=Dvla, clock=lambda: NOW,
                           register_payment=orders.append)  # fmt: skip
    made = service.apply(carer_request(address=hopfield))
    assert (made.zone, made.pence, made.status, orders) == ("B", 0, "issued", [])
    permit = PermitsStore(table).get(made.permit_id)
    assert permit is not None
    assert (permit.kind, permit.vrm, permit.status, permit.zone) == (PermitType.CARER, "", Status.ACTIVE, "B")
    stored = PermitsStore(table).get_application(made.reference)
    assert (stored["status"], stored["payment_id"], stored["permit_id"]) == ("issued", "", made.permit_id)
    assert "outbox" in stored  # the usual permit-issued event, published by the table's stream


def test_the_paid_carer_permit_is_issued_with_no_mark_no_guard_and_no_household_place(table):
    application, permit_id = issued(table)
    permit = PermitsStore(table).get(permit_id)
    assert permit is not None
    assert (permit.kind, permit.vrm, permit.status) == (PermitType.CARER, "", Status.ACTIVE)
    kinds = sorted(str(i["pk"]).split("#")[0] for i in items(table))
    assert kinds == ["APPLICATION", "PERMIT"]  # no ACTIVE# guard, no HOUSEHOLD# counter
    assert PermitsStore(table).get_application(application.reference)["status"] == "issued"


# -- sessions ----------------------------------------------------------------------------------------------------


def test_a_session_covers_the_carers_vehicle_in_the_zone_until_it_is_ended(table):
    _, permit_id = issued(table)
    sessions = CarerSessions(table, load_zones())
    started = sessions.start(permit_id, CARER, hours=3, now=TUESDAY_9, zone="A")
    assert (started.vrm, started.zone, started.end - started.start) == ("KX68DSL", "A", timedelta(hours=3))
    during = look_up(table, TUESDAY_9 + timedelta(hours=1))
    assert (during["answer"], during["permit_id"], during["session_id"]) == (
        "carer-session", permit_id, started.session_id,
    )  # fmt: skip
    assert during["session_ends"] == started.end.isoformat()
    assert look_up(table, TUESDAY_9 + timedelta(hours=1), zone="B")["answer"] == "no-permit"  # its zone only
    assert look_up(table, TUESDAY_9 + timedelta(hours=3))["answer"] == "no-permit"  # ended by its time
    ended = sessions.end(permit_id, started.session_id, now=TUESDAY_9 + timedelta(minutes=30))
    assert ended.end == TUESDAY_9 + timedelta(minutes=30)
    assert look_up(table, TUESDAY_9 + timedelta(minutes=31))["answer"] == "no-permit"
    with pytest.raises(SessionNotRunning):
        sessions.end(permit_id, started.session_id, now=TUESDAY_9 + timedelta(minutes=40))


def test_one_vehicle_at_a_time_and_the_next_once_the_first_has_ended(table):
    _, permit_id = issued(table)
    sessions = CarerSessions(table, load_zones())
    first = sessions.start(permit_id, CARER, hours=2, now=TUESDAY_9)
    before = items(table)
    with pytest.raises(SessionRunning, match="KX68DSL"):
        sessions.start(permit_id, "LB19PTR", hours=2, now=TUESDAY_9 + timedelta(hours=1))
    assert items(table) == before
    second = sessions.start(permit_id, "LB19PTR", hours=2, now=TUESDAY_9 + timedelta(hours=2))  # the first ran out
    assert look_up(table, TUESDAY_9 + timedelta(hours=2, minutes=1), vrm="LB19PTR")["session_id"] == second.session_id
    assert first.session_id != second.session_id


@pytest.mark.parametrize(
    ("asked", "refusal"),
    [
        ({"vrm": CARER, "hours": 2, "zone": "B"}, SessionOutsideZone),
        ({"vrm": "NOT A MARK!", "hours": 2}, InvalidVrm),
        ({"vrm": "", "hours": 2}, InvalidCarerRequest),
        ({"vrm": CARER, "hours": 25}, InvalidCarerRequest),
        ({"vrm": CARER, "hours": 1.5}, InvalidCarerRequest),
        ({"vrm": CARER, "hours": 2, "now": datetime(2026, 6, 7, 9, 0, tzinfo=LONDON)}, OutsideControlledHours),
        ({"vrm": CARER, "hours": 2, "now": datetime(2027, 4, 1, 9, 0, tzinfo=LONDON)}, PermitNotInForce),
    ],
)
def test_each_bad_session_is_refused_writing_nothing(table, asked, refusal):
    _, permit_id = issued(table)
    before = items(table)
    asked = {"now": TUESDAY_9, **asked}
    with pytest.raises(refusal):
        CarerSessions(table, load_zones()).start(permit_id, asked.pop("vrm"), **asked)
    assert items(table) == before


def test_a_session_never_runs_past_the_permits_last_day(table):
    _, permit_id = issued(table)
    late = datetime(2027, 3, 31, 18, 0, tzinfo=LONDON)  # its last day, a Wednesday
    session = CarerSessions(table, load_zones()).start(permit_id, CARER, hours=24, now=late)
    assert session.end == datetime(2027, 4, 1, 0, 0, tzinfo=LONDON)


def test_a_revoked_permit_ends_its_running_session_and_starts_no_more(table):
    _, permit_id = issued(table)
    sessions, store = CarerSessions(table, load_zones()), PermitsStore(table)
    started = sessions.start(permit_id, CARER, hours=8, now=TUESDAY_9)
    revoked_at = TUESDAY_9 + timedelta(hours=1)
    store.end(permit_id, Status.REVOKED, at=revoked_at)  # the session ends in the same transaction
    assert look_up(table, revoked_at + timedelta(seconds=1))["answer"] == "no-permit"
    item = table.get_item(Key={"pk": f"CARER_SESSION#{started.session_id}", "sk": "CARER_SESSION"})["Item"]
    assert datetime.fromisoformat(item["end"]) == revoked_at
    assert feed.entry(item)["end"] == item["end"]  # the feed carries the new end
    before = items(table)
    with pytest.raises(PermitNotInForce):
        sessions.start(permit_id, CARER, hours=2, now=revoked_at + timedelta(minutes=1))
    assert items(table) == before


def test_another_permits_session_cannot_be_ended(table):
    _, permit_id = issued(table)
    sessions = CarerSessions(table, load_zones())
    with pytest.raises(NoSuchCarerSession):
        sessions.end(permit_id, "f" * 32, now=TUESDAY_9)
    with pytest.raises(PermitNotInForce, match="not a carer permit"):
        sessions.start("0" * 32, CARER, hours=1, now=TUESDAY_9)


def test_the_feed_carries_the_carer_permit_without_a_mark_and_its_sessions(table):
    _, permit_id = issued(table)
    started = CarerSessions(table, load_zones()).start(permit_id, CARER, hours=2, now=TUESDAY_9)
    entries = {e["type"]: e for e in (feed.entry(i) for i in items(table) if "feed_at" in i)}
    assert set(entries) == {"carer-permit", "carer-session"}
    assert "vrm" not in entries["carer-permit"]
    assert entries["carer-permit"]["id"] == permit_id
    session = entries["carer-session"]
    assert (session["id"], session["permit_id"], session["vrm"], session["zone"]) == (
        started.session_id, permit_id, "KX68DSL", "A",
    )  # fmt: skip
    assert set(session) <= set(feed.FEED_ATTRIBUTES) | {"type", "id", "changed_at"}  # what the index projects


# -- by the manage link --------------------------------------------------------------------------------------------


def link_ask(table: Any, applications_by_ref: dict[str, Any], now: datetime = TUESDAY_9, **event: Any) -> Any:
    reference_of = {"good": "PP-C", "resident": "PP-R", "pending": "PP-P"}.get
    return carer_by_link(event, reference_of, applications_by_ref.get, CarerSessions(table, load_zones()),
                         clock=lambda: now)  # fmt: skip


def test_the_link_shows_the_permit_starts_and_ends_a_session(table):
    application, permit_id = issued(table)
    known = {
        "PP-C": SimpleNamespace(reference="PP-C", kind=PermitType.CARER, status="issued", permit_id=permit_id),
        "PP-R": SimpleNamespace(reference="PP-R", kind=PermitType.RESIDENT, status="issued", permit_id="x"),
        "PP-P": SimpleNamespace(reference="PP-P", kind=PermitType.CARER, status="pending-payment", permit_id=""),
    }
    shown = link_ask(table, known, action="carer-permit", token="good")
    assert shown["status"] == 200
    assert (shown["body"]["zone_name"], shown["body"]["in_force"], shown["body"]["max_hours"]) == (
        "Town centre",
        True,
        24,
    )
    assert shown["body"]["session"] is None
    started = link_ask(table, known, action="start-carer-session", token="good", vrm="kx68dsl", hours=2)
    assert started["status"] == 201
    session = started["body"]["session"]
    assert link_ask(table, known, action="carer-permit", token="good")["body"]["session"]["id"] == session["id"]
    ended = link_ask(table, known, now=TUESDAY_9 + timedelta(minutes=10), action="end-carer-session", token="good",
                     session_id=session["id"])  # fmt: skip
    assert ended["status"] == 200
    assert datetime.fromisoformat(ended["body"]["session"]["end"]) == TUESDAY_9 + timedelta(minutes=10)
    before = items(table)
    assert link_ask(table, known, action="start-carer-session", token="forged", vrm=CARER, hours=2)["status"] == 404
    refused = link_ask(table, known, action="start-carer-session", token="resident", vrm=CARER, hours=2)
    assert (refused["status"], refused["body"]["refusal"]) == (422, "NotACarerPermit")
    pending = link_ask(table, known, action="start-carer-session", token="pending", vrm=CARER, hours=2)
    assert (pending["status"], pending["body"]["refusal"]) == (422, "PermitNotInForce")
    outside = link_ask(table, known, action="start-carer-session", token="good", vrm=CARER, hours=2, zone="C")
    assert (outside["status"], outside["body"]["refusal"]) == (422, "SessionOutsideZone")
    bad = link_ask(table, known, action="start-carer-session", token="good", vrm="???", hours=2)
    assert bad["status"] == 400
    assert link_ask(table, known, action="end-carer-session", token="good", session_id="nope")["status"] == 404
    assert items(table) == before
    assert application.kind is PermitType.CARER


# -- what a carer permit is not ------------------------------------------------------------------------------------


def test_a_carer_permit_has_no_vehicle_to_change_is_not_renewed_in_place_or_moved_and_cancels_like_any(table):
    application, permit_id = issued(table)
    changes = Changes(applications=applications(table), refund=lambda ask: "success", clock=lambda: NOW)
    before = items(table)
    with pytest.raises(PermitNotChangeable, match="no vehicle to change"):
        changes.change_vehicle(application.reference, "LB19PTR")
    assert items(table) == before
    answer = renewal(PermitsStore(table), load_zones(), application.reference, NOW.date())
    assert (answer["status"], answer["body"]["reason"]) == (409, "carer")
    moves = Moves(applications=applications(table), refund=lambda ask: "success",
                  register_order=lambda *order: None, clock=lambda: NOW)  # fmt: skip
    hopfield = Address(uprn="100000000001", postcode="ME14 1HQ", street="HOPFIELD ROAD")
    with pytest.raises(PermitNotChangeable, match="carer permit is not moved"):
        moves.quote(application.reference, hopfield)
    assert items(table) == before
    changes.cancel(application.reference)
    assert PermitsStore(table).get_application(application.reference)["status"] == "cancelled"
    assert PermitsStore(table).get(permit_id).status is Status.CANCELLED
