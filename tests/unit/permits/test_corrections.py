"""Declaring a new vehicle's details on a change of vehicle while DVLA is down (`permits.changes`: priced from the
declaration, the permit flagged for staff), and repricing a permit whose declared details staff corrected
(`permits.corrections`, through `StaffPermits.verify` and the staff function's answer): a refund at once, an order
to pay that the issuer applies when paid (or refunds in full when the permit changed meanwhile), the same price,
payments not taking the order (nothing written), the resident's `permit-repriced` event, and the manage link's
`correction_due`. Against moto's DynamoDB, with stand-ins for DVLA and payments (tests/unit/permits/test_changes.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits import changes_handler
from permits.adapters.dvla_models import DvlaUnavailable
from permits.application import Applications, DeclarationNeeded, DeclaredVehicle
from permits.application_handler import PaymentsUnavailable
from permits.changes import Changes
from permits.changes_store import APPLIED, PAID_NOT_APPLIED, PENDING_PAYMENT
from permits.corrections import due_correction
from permits.manage_links import manage_path, open_manage
from permits.staff import StaffPermits
from permits.staff_handler import answer as staff_answer
from permits.store import PermitsStore
from permits.zones import load_zones
from shared import outbox
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import NOW
from tests.unit.permits.test_application import Dvla as FailingDvla
from tests.unit.permits.test_changes import SEPTEMBER, Clock, Dvla, Payments, issued, look_up, snapshot

pytestmark = pytest.mark.unit
STAFF = {"subject": "staff-sub-1", "roles": ["caseworker"]}
MANAGE = frozenset({"caseworker", "team-lead"})
KEY = b"k" * 32
DOWN = DvlaUnavailable("503", "Service Unavailable", status=503)


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
def changes(store: PermitsStore, payments: Payments, clock: Clock) -> Changes:
    """Changes while DVLA answers."""
    applications = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW)
    return Changes(applications=applications, refund=payments.refund, register_order=payments.register, clock=clock)


@pytest.fixture
def down(store: PermitsStore, payments: Payments, clock: Clock) -> Changes:
    """Changes while DVLA is down."""
    applications = Applications(zones=load_zones(), store=store, vehicles=lambda: FailingDvla(DOWN), clock=lambda: NOW)
    return Changes(applications=applications, refund=payments.refund, register_order=payments.register, clock=clock)


@pytest.fixture
def staff(store: PermitsStore, payments: Payments, clock: Clock) -> StaffPermits:
    return StaffPermits(table=store._table, zones=load_zones(), clock=clock, register_order=payments.register,
                        refund=payments.refund)  # fmt: skip


def application_item(store: PermitsStore, reference: str) -> dict[str, Any]:
    found = store.get_application(reference)
    assert found is not None
    return found


def verify(staff: StaffPermits, reference: str, vehicle: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"action": "verify", "reference": reference, "note": "Checked with DVLA", "staff": STAFF,
                             "outcome": "corrected" if vehicle else "confirmed"}  # fmt: skip
    if vehicle:
        event["vehicle"] = vehicle
    return json.loads(json.dumps(staff_answer(staff, event, manage_roles=MANAGE), default=str))


def repriced_event(item: dict[str, Any]) -> dict[str, Any]:
    envelope = json.loads(item[outbox.ATTRIBUTE])
    assert envelope["type"] == "permit-repriced"
    return dict(envelope["data"])


def declare(**fields: Any) -> DeclaredVehicle:
    return DeclaredVehicle.parse({"make": "Ford", "colour": "Red", **fields})


# -- declaring on a change of vehicle ------------------------------------------------------------------------------
def test_dvla_down_on_a_change_asks_for_a_declaration_and_writes_nothing(store, down, payments):
    application = issued(store)
    before = snapshot(store)
    with pytest.raises(DeclarationNeeded):
        down.change_vehicle(application.reference, "PT18SME")
    assert snapshot(store) == before
    assert (payments.orders, payments.refunds) == ([], [])


def test_a_declared_cheaper_vehicle_is_changed_at_once_priced_from_the_declaration_and_flagged(store, down, payments):
    application = issued(store)  # LB19PTR, petrol 128 g/km: £80.00 for 12 months
    made = down.change_vehicle(application.reference, "PT18SME", declare(fuel="PETROL", co2_g_km=95))  # £64.00
    assert made.status == APPLIED
    assert made.difference == -1200  # 9 of 12 months of the £16.00 between them
    assert made.reasons[0].startswith("DVLA could not be reached, so this uses the details you declared")
    assert [a.amount for a in payments.refunds] == [1200]
    item = application_item(store, application.reference)
    assert (item["needs_verification"], item["vehicle_source"]) == (True, "declared")
    assert item["vehicle"] == {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 95}
    change = store._table.get_item(Key={"pk": f"CHANGE#{made.change_reference}", "sk": "CHANGE"})["Item"]
    assert (change["needs_verification"], change["vehicle_source"]) == (True, "declared")
    assert look_up(store, "PT18SME") == "valid"
    assert look_up(store, "LB19PTR") == "no-permit"


def test_a_declared_dearer_vehicle_is_flagged_once_its_difference_is_paid(store, down, payments):
    application = issued(store)
    made = down.change_vehicle(application.reference, "PT18SME", declare(fuel="PETROL"))  # no CO2: the top band
    assert (made.status, made.difference) == (PENDING_PAYMENT, 2400)  # £112.00 against £80.00, 9 of 12 months
    assert not application_item(store, application.reference).get("needs_verification")  # not changed yet
    assert down.apply_paid_change(made.change_reference, 2400, "pay-2") == APPLIED
    item = application_item(store, application.reference)
    assert (item["needs_verification"], item["vehicle_source"], item["mark"]) == (True, "declared", "PT18SME")


def test_the_change_action_passes_the_declaration_and_answers_declare_when_it_is_missing(store, down, monkeypatch):
    application = issued(store)
    monkeypatch.setattr(changes_handler, "_changes", lambda applications, register: down)
    event = {"action": "change-vehicle", "reference": application.reference, "vrm": "PT18SME"}
    refused = changes_handler.handle_change(event, down.applications, lambda *order: None)
    assert (refused["status"], refused["body"]["refusal"], refused["body"]["declare"]) == (
        422, "DeclarationNeeded", True,
    )  # fmt: skip
    bad = changes_handler.handle_change({**event, "declared_vehicle": {"make": "Ford"}}, down.applications,
                                        lambda *order: None)  # fmt: skip
    assert bad["status"] == 400
    assert "declared_vehicle.colour" in bad["body"]["detail"]
    declared = {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 95}
    answer = changes_handler.handle_change({**event, "declared_vehicle": declared}, down.applications,
                                           lambda *order: None)  # fmt: skip
    assert answer["status"] == 200
    assert application_item(store, application.reference)["needs_verification"] is True


# -- repricing on correction ---------------------------------------------------------------------------------------
def test_a_correction_to_a_cheaper_vehicle_refunds_the_difference_newest_payment_first(store, down, staff, payments):
    application = issued(store)
    made = down.change_vehicle(application.reference, "PT18SME", declare(fuel="PETROL"))  # declared: the top band
    assert down.apply_paid_change(made.change_reference, 2400, "pay-2") == APPLIED
    result = verify(staff, application.reference, {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 95})
    assert result["status"] == 200, result
    record = result["body"]["record"]
    assert not record["needs_verification"]
    assert record["vehicle"]["co2_g_km"] == 95
    repricing = record["verification"]["repricing"]
    assert repricing["amount_pence"] == -3600  # £64.00 against £112.00, 9 of 12 months
    # the change's £24.00 first, then £12.00 of the application's £80.00
    assert [(a.reference, a.amount) for a in payments.refunds] == [(made.change_reference, 2400),
                                                                   (application.reference, 1200)]  # fmt: skip
    assert {a.key for a in payments.refunds} == {f"correction:{repricing['change_reference']}:{o}"
                                                 for o in (made.change_reference, application.reference)}  # fmt: skip
    item = application_item(store, application.reference)
    assert item["price_now_pence"] == 6400
    assert sum(int(e["pence"]) for e in item["ledger"]) == 8000 + 2400 - 3600
    correction = store._table.get_item(Key={"pk": f"CHANGE#{repricing['change_reference']}", "sk": "CHANGE"})["Item"]
    assert (correction["kind"], correction["status"], correction["refund_status"]) == ("correction", APPLIED,
                                                                                       "submitted")  # fmt: skip
    assert repriced_event(correction)["amount_pence"] == -3600
    assert "repriced: £36.00 refunded" in " ".join(h["detail"] for h in record["history"])
    assert look_up(store, "PT18SME") == "valid"


def test_a_correction_to_a_dearer_vehicle_is_an_order_paid_from_the_manage_link(store, down, staff, payments):
    application = issued(store)
    down.change_vehicle(application.reference, "PT18SME", declare(fuel="PETROL", co2_g_km=95))  # £64.00, refunded
    result = verify(staff, application.reference, {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 130})
    assert result["status"] == 200, result
    repricing = result["body"]["record"]["verification"]["repricing"]
    correction_reference = repricing["change_reference"]
    assert repricing["amount_pence"] == 1200
    assert payments.orders[-1] == (correction_reference, "parking-permit-change",
                                   "Parking permit: corrected vehicle details", 1200)  # fmt: skip
    item = application_item(store, application.reference)
    assert item["price_now_pence"] == 6400  # unchanged until paid
    assert item["pending_correction"] == correction_reference
    due = due_correction(store._table, item)
    assert due is not None
    assert (due["to_pay_pence"], due["change_reference"]) == (1200, correction_reference)
    token = manage_path(application.reference, application.valid_to, KEY).rsplit("/", 1)[1]
    opened = open_manage(token, lambda r: down.applications.get(r), KEY, now=SEPTEMBER.timestamp(),
                         due=lambda r: due_correction(store._table, application_item(store, r)))  # fmt: skip
    assert opened["body"]["correction_due"]["to_pay_pence"] == 1200
    assert down.apply_paid_change(correction_reference, 1200, "pay-3") == APPLIED
    assert down.apply_paid_change(correction_reference, 1200, "pay-3") == APPLIED  # a repeat: nothing again
    item = application_item(store, application.reference)
    assert item["price_now_pence"] == 8000
    assert "pending_correction" not in item
    assert item["ledger"][-1] == {"order": correction_reference, "pence": 1200}
    assert len([e for e in item["ledger"] if e["order"] == correction_reference]) == 1
    assert due_correction(store._table, item) is None
    assert look_up(store, "PT18SME") == "valid"


def test_a_correction_still_unpaid_when_the_vehicle_changes_again_is_void_and_refunded_if_paid(
    store, down, changes, staff, payments
):
    application = issued(store)
    down.change_vehicle(application.reference, "PT18SME", declare(fuel="PETROL", co2_g_km=95))
    result = verify(staff, application.reference, {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 130})
    correction_reference = result["body"]["record"]["verification"]["repricing"]["change_reference"]
    changes.change_vehicle(application.reference, "EV71ELC")  # DVLA answers: an electric car, refunded
    assert "pending_correction" not in application_item(store, application.reference)
    refunds_before = len(payments.refunds)
    assert changes.apply_paid_change(correction_reference, 1200, "pay-3") == PAID_NOT_APPLIED
    assert [(a.reference, a.amount) for a in payments.refunds[refunds_before:]] == [(correction_reference, 1200)]
    assert application_item(store, application.reference)["mark"] == "EV71ELC"


def test_a_correction_in_the_same_band_changes_no_price_and_says_so(store, down, staff, payments):
    application = issued(store)
    down.change_vehicle(application.reference, "PT18SME", declare(fuel="PETROL", co2_g_km=130))  # £80.00: nothing
    result = verify(staff, application.reference, {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 128})
    assert result["status"] == 200
    repricing = result["body"]["record"]["verification"]["repricing"]
    assert repricing["amount_pence"] == 0
    assert repricing["reasons"][-1] == "Nothing to pay or refund."
    assert (payments.orders, payments.refunds) == ([], [])
    correction = store._table.get_item(Key={"pk": f"CHANGE#{repricing['change_reference']}", "sk": "CHANGE"})["Item"]
    assert correction["status"] == APPLIED
    assert repriced_event(correction)["amount_pence"] == 0


def test_payments_not_taking_a_corrections_order_refuses_it_and_writes_nothing(store, down, staff, payments):
    application = issued(store)
    down.change_vehicle(application.reference, "PT18SME", declare(fuel="PETROL", co2_g_km=95))
    before = snapshot(store)

    def refuse(*order: Any) -> None:
        raise PaymentsUnavailable("503")

    staff.corrections._register = refuse
    result = verify(staff, application.reference, {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 130})
    assert result["status"] == 503
    assert "nothing was changed" in result["body"]["detail"]
    assert snapshot(store) == before
    assert application_item(store, application.reference)["needs_verification"] is True  # still to verify


def test_a_correction_verified_meanwhile_is_409_and_writes_nothing(store, down, staff, payments):
    application = issued(store)
    down.change_vehicle(application.reference, "PT18SME", declare(fuel="PETROL", co2_g_km=95))
    stale = application_item(store, application.reference)
    assert verify(staff, application.reference)["status"] == 200  # confirmed by someone else first
    before = snapshot(store)
    update = {"Key": {"pk": f"APPLICATION#{application.reference}", "sk": "APPLICATION"},
              "UpdateExpression": "SET needs_verification = :no, verification = :check",
              "ConditionExpression": "needs_verification = :yes",
              "ExpressionAttributeValues": {":no": False, ":yes": True,
                                            ":check": {"outcome": "corrected"}}}  # fmt: skip
    vehicle = {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 130}
    assert staff.corrections.correct(stale, vehicle, update) is None
    assert snapshot(store) == before
    assert payments.orders[-1][3] == 1200  # the order registered first stays unpaid at payments: never offered


def test_a_correction_of_an_application_not_yet_issued_keeps_its_price(store, staff, payments):
    applications = Applications(zones=load_zones(), store=store, vehicles=lambda: FailingDvla(DOWN), clock=lambda: NOW)
    from tests.unit.permits.test_application import request

    application = applications.apply(request(declared_vehicle={"make": "Ford", "colour": "Red", "fuel": "PETROL"}))
    result = verify(staff, application.reference, {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 95})
    assert result["status"] == 200
    assert "repricing" not in result["body"]["record"]["verification"]
    assert application_item(store, application.reference)["amount_pence"] == application.pence
    assert (payments.orders, payments.refunds) == ([], [])
