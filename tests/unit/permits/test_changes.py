"""The resident's changes to an issued permit (`permits.changes`): a change of vehicle (at once when nothing is to
pay, a refund for a cheaper vehicle, an order to pay first for a dearer one, applied by the issuer when paid), a
cancellation with the zone's refund, the paid-not-issued refund, and every refusal writing nothing; the function's
two actions and their answers. Against moto's DynamoDB, a stand-in DVLA, and stand-ins for payments' register-order
and refund-order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits import changes_handler, enforcement
from permits.adapters.dvla_models import Vehicle, VehicleNotFound
from permits.application import ISSUED, PAID_NOT_ISSUED, Application, Applications, VehicleNotKnown
from permits.application_handler import PaymentsUnavailable
from permits.changes import CHANGE_SERVICE_ID, Changes, PermitNotChangeable, SameVehicle
from permits.changes_store import APPLIED, PAID_NOT_APPLIED, PENDING_PAYMENT
from permits.eligibility import VehicleMarkedForExport, VrmAlreadyPermitted
from permits.issuing import issue_paid
from permits.refund_client import RefundAsk, RefundNotMade
from permits.store import PermitsStore, Status
from permits.vrm import InvalidVrm
from permits.zones import load_zones
from shared.references import new_reference
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import NOW, VEHICLES, request
from tests.unit.permits.test_issuing import paid

pytestmark = pytest.mark.unit

MORE = {
    "EV71ELC": {"registrationNumber": "EV71ELC", "make": "NISSAN", "colour": "WHITE", "fuelType": "ELECTRICITY",
                "co2Emissions": 0, "markedForExport": False},
    "PT18SME": {"registrationNumber": "PT18SME", "make": "FORD", "colour": "RED", "fuelType": "PETROL",
                "co2Emissions": 130, "markedForExport": False},
}  # fmt: skip
SEPTEMBER = datetime(2026, 9, 15, 9, tzinfo=UTC)  # 9 of the 12 months left (September counted whole), 8 unused


class Dvla:
    def vehicle(self, vrm: Any) -> Vehicle:
        mark = vrm.value if hasattr(vrm, "value") else str(vrm)
        found = {**VEHICLES, **MORE}.get(mark)
        if found is None:
            raise VehicleNotFound("404", "Vehicle Not Found", status=404)
        return Vehicle.model_validate(found)


class Payments:
    """register-order and refund-order as the permits functions see them."""

    def __init__(self) -> None:
        self.orders: list[tuple[str, str, str, int]] = []
        self.refunds: list[RefundAsk] = []
        self.refuse: str = ""

    def register(self, reference: str, service_id: str, title: str, amount: int) -> None:
        self.orders.append((reference, service_id, title, amount))

    def refund(self, ask: RefundAsk) -> str:
        if self.refuse:
            raise RefundNotMade(self.refuse)
        self.refunds.append(ask)
        return "submitted"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store() -> Iterator[PermitsStore]:
    with mock_aws():
        yield PermitsStore(create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits"))


@pytest.fixture
def payments() -> Payments:
    return Payments()


@pytest.fixture
def clock() -> Clock:
    return Clock(SEPTEMBER)


@pytest.fixture
def changes(store, payments, clock) -> Changes:
    applications = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW)
    return Changes(applications=applications, refund=payments.refund, register_order=payments.register, clock=clock)


def issued(store: PermitsStore, **changes: Any) -> Application:
    application = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW).apply(
        request(**changes)
    )
    assert issue_paid(store, paid(application), now=NOW).outcome == ISSUED
    return application


def look_up(store: PermitsStore, vrm: str, zone: str = "B") -> str:
    return str(enforcement.check(store, load_zones(), vrm, zone, SEPTEMBER).outcome)


def snapshot(store: PermitsStore) -> list[dict[str, Any]]:
    return sorted(store._table.scan()["Items"], key=lambda i: (i["pk"], i["sk"]))  # the test reads it all


def permit_item(store: PermitsStore, permit_id: str) -> dict[str, Any]:
    return dict(store._table.get_item(Key={"pk": f"PERMIT#{permit_id}", "sk": "PERMIT"})["Item"])


def test_a_cheaper_vehicle_is_changed_at_once_and_the_difference_refunded(store, changes, payments):
    application = issued(store)  # LB19PTR, 128 g/km: £80.00 for 12 months from 1 June 2026
    assert look_up(store, "LB19PTR") == "valid"
    made = changes.change_vehicle(application.reference, "EV71 ELC")  # zero emission: £0.00
    assert (made.status, made.vrm, made.old_vrm, made.difference) == (APPLIED, "EV71ELC", "LB19PTR", -6000)
    assert made.reasons[0].startswith("Your permit runs to 31 May 2027: 9 of its 12 months are left")
    assert made.reasons[-1] == "To refund: £60.00."
    assert (look_up(store, "LB19PTR"), look_up(store, "EV71ELC")) == ("no-permit", "valid")
    assert payments.orders == []
    assert payments.refunds == [
        RefundAsk(
            application.reference,
            6000,
            "Parking permit: change of vehicle",
            f"change:{made.change_reference}:{application.reference}",
        )
    ]
    assert made.refund_status == "submitted"
    event = json.loads(permit_item(store, made.permit_id)["outbox"])
    assert (event["type"], event["data"]) == (
        "permit-vehicle-changed",
        {"reference": application.reference, "permit_id": made.permit_id, "amount_pence": -6000},
    )
    after = store.get_application(application.reference)
    assert after is not None
    assert (after["mark"], after["price_now_pence"]) == ("EV71ELC", 0)
    change = changes.changes.get_change(made.change_reference)
    assert change is not None
    assert (change["status"], change["refund_pence"], change["refund_status"]) == (APPLIED, 6000, "submitted")


def test_a_vehicle_in_the_same_band_changes_with_nothing_to_pay_or_refund(store, changes, payments):
    application = issued(store)
    made = changes.change_vehicle(application.reference, "PT18SME")
    assert (made.status, made.difference, made.reasons[-1]) == (APPLIED, 0, "Nothing to pay or refund.")
    assert (payments.orders, payments.refunds) == ([], [])
    assert (look_up(store, "LB19PTR"), look_up(store, "PT18SME")) == ("no-permit", "valid")


def test_a_dearer_vehicle_waits_on_its_order_and_is_applied_once_when_paid(store, changes, payments):
    application = issued(store)
    made = changes.change_vehicle(application.reference, "KX68DSL")  # diesel: £80 + £20 surcharge
    assert (made.status, made.difference) == (PENDING_PAYMENT, 1500)  # 9/12 of £100 less 9/12 of £80
    assert payments.orders == [(made.change_reference, CHANGE_SERVICE_ID, "Parking permit: change of vehicle", 1500)]
    assert (look_up(store, "LB19PTR"), look_up(store, "KX68DSL")) == ("valid", "no-permit")  # until it is paid
    assert changes.apply_paid_change(made.change_reference, 1500, "pay2") == APPLIED
    assert (look_up(store, "LB19PTR"), look_up(store, "KX68DSL")) == ("no-permit", "valid")
    assert changes.apply_paid_change(made.change_reference, 1500, "pay2") == APPLIED  # a redelivery: nothing more
    item = store.get_application(application.reference)
    assert item is not None
    assert (item["mark"], item["price_now_pence"]) == ("KX68DSL", 10000)
    assert payments.refunds == []


def test_a_cancellation_after_a_paid_change_is_refunded_from_the_newest_payment_first(store, changes, payments):
    application = issued(store)  # £80.00 paid
    dearer = changes.change_vehicle(application.reference, "KX68DSL")
    assert changes.apply_paid_change(dearer.change_reference, 1500, "pay2") == APPLIED  # £15.00 more paid
    cancelled = changes.cancel(application.reference)  # 8/12 of £100.00 = £66.67, less £15.00
    assert cancelled.refund_pence == 5167
    assert [(a.reference, a.amount) for a in payments.refunds] == [
        (dearer.change_reference, 1500),
        (application.reference, 3667),
    ]
    assert len({a.key for a in payments.refunds}) == 2
    item = store.get_application(application.reference)
    assert item is not None
    assert [(e["order"], e["pence"]) for e in item["ledger"]] == [
        (application.reference, 8000),
        (dearer.change_reference, 1500),
        (dearer.change_reference, -1500),
        (application.reference, -3667),
    ]
    assert [p["status"] for p in item["refund_parts"]] == ["submitted", "submitted"]


def test_a_paid_change_that_can_no_longer_be_applied_is_refunded_in_full(store, changes, payments):
    application = issued(store)
    made = changes.change_vehicle(application.reference, "KX68DSL")
    issued(store, vrm="KX68DSL", address={"uprn": "100000000002", "postcode": "ME14 1XX", "street": ""})
    assert changes.apply_paid_change(made.change_reference, 1500, "pay2") == PAID_NOT_APPLIED
    assert look_up(store, "LB19PTR") == "valid"  # the permit kept its vehicle
    assert payments.refunds == [
        RefundAsk(
            made.change_reference, 1500, "Parking permit: change of vehicle not applied",
            f"not-applied:{made.change_reference}",
        )
    ]  # fmt: skip


def test_a_paid_change_of_another_amount_is_not_applied_and_refunded(store, changes, payments):
    application = issued(store)
    made = changes.change_vehicle(application.reference, "KX68DSL")
    assert changes.apply_paid_change(made.change_reference, 1400, "pay2") == PAID_NOT_APPLIED
    assert [(a.reference, a.amount) for a in payments.refunds] == [(made.change_reference, 1400)]
    change = changes.changes.get_change(made.change_reference)
    assert change is not None
    assert (change["reason"], change["refund_status"]) == ("amount", "submitted")


@pytest.mark.parametrize(
    ("vrm", "error"),
    [
        ("LB19PTR", SameVehicle),
        ("MX20EXP", VehicleMarkedForExport),
        ("AB12CDE", VehicleNotKnown),
        ("AB1234567", InvalidVrm),
        ("KX68DSL", VrmAlreadyPermitted),  # on another household's permit in the zone
    ],
)
def test_a_refused_change_writes_nothing(store, changes, payments, vrm, error):
    application = issued(store)
    issued(store, vrm="KX68DSL", address={"uprn": "100000000002", "postcode": "ME14 1XX", "street": ""})
    before = snapshot(store)
    with pytest.raises(error):
        changes.change_vehicle(application.reference, vrm)
    assert snapshot(store) == before
    assert (payments.orders, payments.refunds) == ([], [])


def test_an_application_not_yet_issued_an_expired_or_a_cancelled_permit_cannot_change(store, changes, clock):
    pending = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW).apply(request())
    before = snapshot(store)
    with pytest.raises(PermitNotChangeable, match="pending-payment"):
        changes.change_vehicle(pending.reference, "EV71ELC")
    with pytest.raises(PermitNotChangeable):
        changes.cancel(pending.reference)
    assert snapshot(store) == before
    application = issued(store, vrm="PT18SME")
    clock.now = datetime(2027, 6, 1, 9, tzinfo=UTC)  # the day after its last
    before = snapshot(store)
    for attempt in (lambda: changes.change_vehicle(application.reference, "EV71ELC"),
                    lambda: changes.cancel(application.reference)):  # fmt: skip
        with pytest.raises(PermitNotChangeable, match="ended"):
            attempt()
    assert snapshot(store) == before
    clock.now = SEPTEMBER
    changes.cancel(application.reference)
    before = snapshot(store)
    with pytest.raises(PermitNotChangeable, match="cancelled"):
        changes.change_vehicle(application.reference, "EV71ELC")
    assert snapshot(store) == before


def test_cancelling_ends_the_permit_and_refunds_the_whole_months_left_less_the_fee(store, changes, payments):
    application = issued(store)
    cancelled = changes.cancel(application.reference)
    # 8 whole months unused from 15 September: 8/12 of £80.00 = £53.33, less Hopfield's £15.00 fee
    assert (cancelled.refund_pence, cancelled.ended_on, cancelled.refund_status) == (
        3833,
        date(2026, 9, 15),
        "submitted",
    )
    assert cancelled.reasons[-1] == "Refund: £38.33."
    permit = store.get(cancelled.permit_id)
    assert permit is not None
    assert permit.status is Status.CANCELLED
    assert look_up(store, "LB19PTR") == "no-permit"
    assert store._table.get_item(Key={"pk": "ACTIVE#B#LB19PTR", "sk": "GUARD"}).get("Item") is None
    counter = store._table.get_item(Key={"pk": f"HOUSEHOLD#{application.uprn}#B", "sk": "COUNT"})["Item"]
    assert counter["active"] == 0
    assert payments.refunds == [
        RefundAsk(
            application.reference,
            3833,
            "Parking permit cancelled",
            f"cancel:{application.reference}:{application.reference}",
        )
    ]
    event = json.loads(permit_item(store, cancelled.permit_id)["outbox"])
    assert (event["type"], event["data"]["ended_on"], event["data"]["refund_pence"]) == (
        "permit-ended",
        "2026-09-15",
        3833,
    )
    item = store.get_application(application.reference)
    assert item is not None
    assert (item["status"], item["refund_status"]) == ("cancelled", "submitted")
    again = changes.cancel(application.reference)  # asked again: the same answer, no second refund
    assert (again.refund_pence, again.refund_status) == (3833, "submitted")
    assert len(payments.refunds) == 1


def test_a_refund_payments_did_not_make_is_kept_and_retried_with_the_same_key(store, changes, payments):
    application = issued(store)
    payments.refuse = "not-refundable"
    assert changes.cancel(application.reference).refund_status == "not-made"
    item = store.get_application(application.reference)
    assert item is not None
    assert (item["refund_status"], item["refund_problem"]) == ("not-made", "not-refundable")
    payments.refuse = ""
    assert changes.cancel(application.reference).refund_status == "submitted"
    assert [a.key for a in payments.refunds] == [f"cancel:{application.reference}:{application.reference}"]


def test_no_refund_where_the_zone_refunds_none_nor_with_less_than_a_month_left(store, changes, payments, clock):
    wealden = issued(store, address={"uprn": "100000000009", "postcode": "ME15 6JQ", "street": "WEALDEN WAY"})
    assert changes.cancel(wealden.reference).refund_pence == 0
    late = issued(store, vrm="PT18SME")
    clock.now = datetime(2027, 5, 20, 9, tzinfo=UTC)
    cancelled = changes.cancel(late.reference)
    assert (cancelled.refund_pence, cancelled.reasons[-1]) == (0, "No refund is due.")
    assert payments.refunds == []


def test_paid_not_issued_is_refunded_in_full_once(store, payments):
    applications = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW)
    first, second = applications.apply(request()), applications.apply(request())
    assert issue_paid(store, paid(first), now=NOW, refund=payments.refund).outcome == ISSUED
    payments.refuse = "unavailable"
    with pytest.raises(RefundNotMade):  # the queue delivers it again
        issue_paid(store, paid(second), now=NOW, refund=payments.refund)
    payments.refuse = ""
    assert issue_paid(store, paid(second), now=NOW, refund=payments.refund).outcome == PAID_NOT_ISSUED
    assert issue_paid(store, paid(second), now=NOW, refund=payments.refund).outcome == PAID_NOT_ISSUED
    assert payments.refunds == [
        RefundAsk(second.reference, 8000, "Parking permit paid for but not issued", f"not-issued:{second.reference}")
    ]
    item = store.get_application(second.reference)
    assert item is not None
    assert (item["status"], item["refund_status"], item["refund_pence"]) == (PAID_NOT_ISSUED, "submitted", 8000)


# -- the function's actions (permits.changes_handler) -------------------------------------------------------------
UNKNOWN = new_reference()


@pytest.fixture
def wired(store, payments, clock, monkeypatch) -> Applications:
    applications = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW)
    changes = Changes(applications=applications, refund=payments.refund, register_order=payments.register, clock=clock)
    monkeypatch.setattr(changes_handler, "_changes", lambda applications, register: changes)
    return applications


def call(applications: Applications, **event: Any) -> dict[str, Any]:
    return changes_handler.handle_change(event, applications, lambda *order: None)


@pytest.mark.parametrize(
    ("event", "status", "field"),
    [
        ({"action": "change-vehicle", "reference": "", "vrm": "EV71ELC"}, 400, "reference"),
        ({"action": "change-vehicle", "reference": UNKNOWN}, 400, "vrm"),
        ({"action": "change-vehicle", "reference": UNKNOWN, "vrm": "EV71ELC"}, 404, "no permit"),
        ({"action": "cancel", "reference": UNKNOWN}, 404, "no permit"),
    ],
)
def test_malformed_or_unknown_is_answered_and_writes_nothing(wired, store, event, status, field):
    issued(store)
    before = snapshot(store)
    answer = call(wired, **event)
    assert answer["status"] == status
    assert field in answer["body"]["detail"]
    assert snapshot(store) == before


def test_a_refusal_is_422_with_its_name(wired, store):
    application = issued(store)
    before = snapshot(store)
    answer = call(wired, action="change-vehicle", reference=application.reference, vrm="MX20EXP")
    assert (answer["status"], answer["body"]["refusal"]) == (422, "VehicleMarkedForExport")
    answer = call(wired, action="change-vehicle", reference=application.reference, vrm="AB1234567")
    assert answer["status"] == 400
    assert snapshot(store) == before


def test_applied_is_200_pending_payment_202_and_cancelled_200(wired, store, payments):
    application = issued(store)
    pending = call(wired, action="change-vehicle", reference=application.reference, vrm="KX68DSL")
    assert (pending["status"], pending["body"]["status"], pending["body"]["to_pay_pence"]) == (
        202,
        "pending-payment",
        1500,
    )
    applied = call(wired, action="change-vehicle", reference=application.reference, vrm="EV71ELC")
    assert (applied["status"], applied["body"]["status"], applied["body"]["to_refund_pence"]) == (200, "applied", 6000)
    cancelled = call(wired, action="cancel", reference=application.reference.lower())
    assert (cancelled["status"], cancelled["body"]["status"], cancelled["body"]["refund_pence"]) == (
        200,
        "cancelled",
        0,
    )  # the zero-emission vehicle's permit costs nothing: nothing left to refund


def test_payments_not_taking_the_changes_order_is_503_and_writes_nothing(wired, store):
    application = issued(store)

    def refuse(*order: Any) -> None:
        raise PaymentsUnavailable("503")

    changes_handler._changes(wired, refuse)._register = refuse
    before = snapshot(store)
    answer = call(wired, action="change-vehicle", reference=application.reference, vrm="KX68DSL")
    assert answer["status"] == 503
    assert snapshot(store) == before


def test_a_cancelled_permit_is_never_expired_at_the_look_up(store, changes):
    application = issued(store)
    changes.cancel(application.reference)
    for moment in (SEPTEMBER, datetime(2027, 6, 3, 12, tzinfo=UTC)):  # before its last day, and in its grace
        answer = enforcement.check(store, load_zones(), "LB19PTR", "B", moment)
        assert str(answer.outcome) == "no-permit"
