"""Moving a permit into another zone (`permits.moving`): the move's price (whole unused months credited, the new
permit pro rata to the old one's last day, the old zone's refund rule), the move made at once or paid for first,
the old permit surrendered and the new one issued in one transaction, every refusal writing nothing; the
function's two actions. Against moto's DynamoDB, a stand-in DVLA and stand-ins for payments."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permits.application import Applications
from permits.changes import PermitNotChangeable
from permits.changes_store import APPLIED, PAID_NOT_APPLIED, PENDING_PAYMENT
from permits.eligibility import (
    Address,
    AddressOutsideZones,
    HouseholdLimitReached,
    PermitTypeNotOffered,
    VrmAlreadyPermitted,
)
from permits.moves_handler import move_answer
from permits.moving import MOVE_SERVICE_ID, Moves, SameZone, move_price
from permits.refund_client import RefundAsk
from permits.store import PermitsStore, Status
from permits.validity import Term, months_started, term, whole_months
from permits.zones import load_zones
from shared.references import new_reference
from tests.unit.permits.test_application import NOW
from tests.unit.permits.test_changes import (  # noqa: F401 (fixtures)
    SEPTEMBER,
    Dvla,
    clock,
    issued,
    look_up,
    payments,
    permit_item,
    snapshot,
    store,
)

pytestmark = pytest.mark.unit

ZONES = load_zones()
TOWN = {"uprn": "100000000101", "postcode": "ME15 6AA", "street": "COBNUT ROW"}  # zone A
TOWN_NEXT_DOOR = {"uprn": "100000000102", "postcode": "ME15 6AA", "street": "COBNUT ROW"}
WEALDEN = {"uprn": "100000000201", "postcode": "ME16 7BB", "street": "WEALDEN WAY"}  # zone C
STATION = {"uprn": "100000000301", "postcode": "ME17 8CC", "street": "MILLPOND DRIVE"}  # zone D: one per household
HOPFIELD = {"uprn": "100000000001", "postcode": "ME14 1HQ", "street": "HOPFIELD ROAD"}  # zone B
HOPFIELD_NEXT_DOOR = {"uprn": "100000000002", "postcode": "ME14 1XX", "street": ""}
NOWHERE = {"uprn": "100000000901", "postcode": "ME99 9ZZ", "street": "NOWHERE LANE"}


@pytest.fixture
def moves(store, payments, clock) -> Moves:  # noqa: F811
    applications = Applications(zones=ZONES, store=store, vehicles=Dvla, clock=lambda: NOW)
    return Moves(applications=applications, refund=payments.refund, register_order=payments.register, clock=clock)


def at(address: dict[str, str]) -> Address:
    return Address(**address)


# -- the price -------------------------------------------------------------------------------------------------------
def test_a_move_credits_whole_unused_months_and_prices_the_new_permit_for_the_months_left():
    old = Term(date(2026, 6, 1), date(2027, 5, 31), 12)
    priced = move_price(paid=8000, old=old, moving_on=date(2026, 9, 15), full_price=14000, of_months=12,
                        old_zone=ZONES.zone("B"), new_zone=ZONES.zone("A"))  # fmt: skip
    assert (priced.credit, priced.new_price, priced.to_pay, priced.to_refund) == (5333, 10500, 5167, 0)
    assert priced.term == Term(date(2026, 9, 15), date(2027, 5, 31), 9)
    assert priced.reasons[1] == (
        "8 whole months of the 12 you paid £80.00 for are unused: a credit of £53.33 "
        "(there is no admin fee for a move)."
    )
    assert priced.reasons[-1] == "To pay: £51.67."


def test_moving_out_of_a_zone_that_refunds_nothing_credits_but_does_not_refund_the_rest():
    old = Term(date(2026, 6, 1), date(2027, 5, 31), 12)
    from_wealden = move_price(paid=10000, old=old, moving_on=date(2026, 9, 15), full_price=8000, of_months=12,
                              old_zone=ZONES.zone("C"), new_zone=ZONES.zone("B"))  # fmt: skip
    assert (from_wealden.credit, from_wealden.new_price, from_wealden.difference) == (6667, 6000, -667)
    assert (from_wealden.to_pay, from_wealden.to_refund) == (0, 0)
    assert "Permits in Wealden are not refunded, so the £6.67" in from_wealden.reasons[-1]
    from_hopfield = move_price(paid=10000, old=old, moving_on=date(2026, 9, 15), full_price=8000, of_months=12,
                               old_zone=ZONES.zone("B"), new_zone=ZONES.zone("C"))  # fmt: skip
    assert (from_hopfield.to_pay, from_hopfield.to_refund, from_hopfield.reasons[-1]) == (0, 667, "To refund: £6.67.")


def test_a_move_outside_the_permit_is_refused():
    old = Term(date(2026, 6, 1), date(2027, 5, 31), 12)
    for day in (date(2026, 5, 31), date(2027, 6, 1)):
        with pytest.raises(ValueError, match="while it is valid"):
            move_price(paid=8000, old=old, moving_on=day, full_price=8000, of_months=12, old_zone=ZONES.zone("B"),
                       new_zone=ZONES.zone("A"))  # fmt: skip


days = st.dates(date(2020, 1, 1), date(2040, 12, 31))  # leap years, month ends and clock-change days among them
zone_pairs = st.sampled_from([("A", "B"), ("B", "A"), ("C", "B"), ("B", "C"), ("D", "C")])


@given(days, st.sampled_from([3, 6, 12]), st.integers(0, 400), st.integers(0, 50_000), st.integers(0, 50_000),
       zone_pairs)  # fmt: skip
def test_a_moves_price_holds_on_every_day_of_the_permit(start, months, offset, paid, full, zones):
    old = term(start, months)
    moving_on = min(start + timedelta(days=offset), old.valid_to)  # up to and including its last day
    old_zone, new_zone = ZONES.zone(zones[0]), ZONES.zone(zones[1])
    priced = move_price(paid=paid, old=old, moving_on=moving_on, full_price=full, of_months=months,
                        old_zone=old_zone, new_zone=new_zone)  # fmt: skip
    assert priced.term.valid_from == moving_on
    assert priced.term.valid_to == old.valid_to
    assert 1 <= priced.term.months <= months == old.months
    assert priced.term.months == months_started(moving_on, old.valid_to)
    assert whole_months(moving_on, old.valid_to) <= priced.term.months  # the part month is charged, not credited
    assert 0 <= priced.credit <= paid
    assert 0 <= priced.new_price <= full
    assert priced.to_pay == max(0, priced.difference)
    assert priced.to_pay * priced.to_refund == 0
    if old_zone.cancellation.refund == "none":
        assert priced.to_refund == 0
    else:
        assert priced.to_pay - priced.to_refund == priced.difference == priced.new_price - priced.credit
    if moving_on == old.valid_to:  # the last day: nothing unused, one month charged
        assert priced.credit == 0
        assert priced.term.months == 1


# -- making the move -------------------------------------------------------------------------------------------------
def test_a_dearer_move_waits_on_its_order_and_is_made_once_when_paid(store, moves, payments):  # noqa: F811
    application = issued(store)  # LB19PTR in Hopfield: £80.00 for 12 months from 1 June 2026
    old_id = permit_of(store, application.reference)
    quoted = moves.quote(application.reference, at(TOWN))
    assert (quoted.price.to_pay, quoted.zone.code) == (5167, "A")
    made = moves.move(application.reference, at(TOWN))
    assert (made.status, made.public()["to_pay_pence"]) == (PENDING_PAYMENT, 5167)
    assert payments.orders == [(made.move_reference, MOVE_SERVICE_ID, "Parking permit: moving zone", 5167)]
    assert (look_up(store, "LB19PTR", "B"), look_up(store, "LB19PTR", "A")) == ("valid", "valid-in-another-zone")
    assert moves.apply_paid_move(made.move_reference, 5167, "pay2") == APPLIED
    assert (look_up(store, "LB19PTR", "B"), look_up(store, "LB19PTR", "A")) == ("valid-in-another-zone", "valid")
    assert moves.apply_paid_move(made.move_reference, 5167, "pay2") == APPLIED  # a redelivery: nothing more
    old = store.get(old_id)
    assert old is not None
    assert old.status is Status.SURRENDERED
    item = store.get_application(application.reference)
    assert item is not None
    new = store.get(str(item["permit_id"]))
    assert new is not None
    assert (new.zone, new.household, new.valid_from, new.valid_to) == ("A", TOWN["uprn"], date(2026, 9, 15),
                                                                       date(2027, 5, 31))  # fmt: skip
    assert (item["permit_zone"], item["uprn"], item["price_now_pence"], item["months"]) == ("A", TOWN["uprn"], 10500, 9)
    assert [(e["order"], e["pence"]) for e in item["ledger"]] == [(application.reference, 8000),
                                                                   (made.move_reference, 5167)]  # fmt: skip
    event = json.loads(permit_item(store, new.permit_id)["outbox"])
    assert (event["type"], event["data"]["zone"], event["data"]["permit_id"]) == ("permit-issued", "A", new.permit_id)
    assert [p.permit_id for p in store.household_permits(HOPFIELD["uprn"], "B") if p.status is Status.ACTIVE] == []
    assert payments.refunds == []


def permit_of(permits: PermitsStore, reference: str) -> str:
    item = permits.get_application(reference)
    assert item is not None
    return str(item["permit_id"])


def test_a_cheaper_move_is_made_at_once_and_the_difference_refunded(store, moves, payments):  # noqa: F811
    application = issued(store, address=TOWN)  # Town centre: ends 31 March 2027, 10 months, £116.67
    old_id = permit_of(store, application.reference)
    made = moves.move(application.reference, at(HOPFIELD))
    assert (made.status, made.quote.price.credit, made.quote.price.new_price) == (APPLIED, 7000, 4667)
    assert payments.orders == []
    assert payments.refunds == [
        RefundAsk(application.reference, 2333, "Parking permit: moved zone",
                  f"move:{made.move_reference}:{application.reference}")
    ]  # fmt: skip
    assert made.refund_status == "submitted"
    assert (look_up(store, "LB19PTR", "A"), look_up(store, "LB19PTR", "B")) == ("valid-in-another-zone", "valid")
    old = store.get(old_id)
    assert old is not None
    assert old.status is Status.SURRENDERED
    record = moves.moves.get_move(made.move_reference)
    assert record is not None
    assert (record["status"], record["refund_pence"], record["refund_status"]) == (APPLIED, 2333, "submitted")


def test_moving_out_of_wealden_with_credit_left_over_refunds_nothing(store, moves, payments):  # noqa: F811
    issued(store, vrm="KX68DSL", address=WEALDEN)  # the household's 1st permit there
    application = issued(store, address=WEALDEN)  # its 2nd: 125%, £100.00
    made = moves.move(application.reference, at(HOPFIELD))
    assert (made.status, made.quote.price.difference, made.quote.price.to_refund) == (APPLIED, -667, 0)
    assert (payments.orders, payments.refunds) == ([], [])
    assert look_up(store, "LB19PTR", "B") == "valid"


@pytest.mark.parametrize(
    ("address", "error"),
    [
        (NOWHERE, AddressOutsideZones),
        (HOPFIELD_NEXT_DOOR, SameZone),
        (STATION, HouseholdLimitReached),  # Station: one permit per household, and it has one
        (TOWN_NEXT_DOOR, VrmAlreadyPermitted),  # LB19PTR already has a permit in Town centre
    ],
)
def test_a_refused_move_writes_nothing(store, moves, payments, address, error):  # noqa: F811
    application = issued(store)
    issued(store, vrm="PT18SME", address=STATION)
    issued(store, vrm="LB19PTR", address=TOWN)
    before = snapshot(store)
    orders = list(payments.orders)
    with pytest.raises(error):
        moves.move(application.reference, at(address))
    assert snapshot(store) == before
    assert (payments.orders, payments.refunds) == (orders, [])


def test_a_type_the_new_zone_does_not_offer_is_refused(store, moves):  # noqa: F811
    application = issued(store, kind="business", address=TOWN)
    before = snapshot(store)
    with pytest.raises(PermitTypeNotOffered, match="Hopfield does not have business permits"):
        moves.move(application.reference, at(HOPFIELD))
    assert snapshot(store) == before


def test_a_cancelled_or_ended_permit_cannot_move(store, moves, clock):  # noqa: F811
    application = issued(store)
    clock.now = datetime(2027, 6, 1, 9, tzinfo=UTC)
    with pytest.raises(PermitNotChangeable, match="ended"):
        moves.quote(application.reference, at(TOWN))


def test_a_paid_move_that_can_no_longer_be_made_is_refunded_in_full(store, moves, payments):  # noqa: F811
    application = issued(store)
    made = moves.move(application.reference, at(STATION))  # Station: one permit per household
    issued(store, vrm="PT18SME", address=STATION)  # ... taken meanwhile
    assert moves.apply_paid_move(made.move_reference, made.quote.price.to_pay, "pay2") == PAID_NOT_APPLIED
    assert look_up(store, "LB19PTR", "B") == "valid"  # the old permit kept
    assert payments.refunds == [
        RefundAsk(made.move_reference, made.quote.price.to_pay, "Parking permit: move not made",
                  f"not-applied:{made.move_reference}")
    ]  # fmt: skip
    record = moves.moves.get_move(made.move_reference)
    assert record is not None
    assert record["reason"] == "HouseholdLimitReached"


def test_a_paid_move_of_another_amount_is_not_made_and_refunded(store, moves, payments):  # noqa: F811
    application = issued(store)
    made = moves.move(application.reference, at(TOWN))
    assert moves.apply_paid_move(made.move_reference, 100, "pay2") == PAID_NOT_APPLIED
    assert look_up(store, "LB19PTR", "B") == "valid"
    assert [(a.reference, a.amount) for a in payments.refunds] == [(made.move_reference, 100)]


# -- the actions -----------------------------------------------------------------------------------------------------
def test_the_actions_answer_a_quote_a_move_and_each_refusal(store, moves):  # noqa: F811
    application = issued(store)
    ask: dict[str, Any] = {"reference": application.reference, "address": TOWN}
    quoted = move_answer({"action": "move-quote", **ask}, moves)
    assert quoted["status"] == 200
    assert (quoted["body"]["zone_name"], quoted["body"]["to_pay_pence"]) == ("Town centre", 5167)
    assert quoted["body"]["reasons"][-1] == "To pay: £51.67."
    made = move_answer({"action": "move", **ask}, moves)
    assert (made["status"], made["body"]["status"]) == (202, PENDING_PAYMENT)
    outside = move_answer({"action": "move", "reference": application.reference, "address": NOWHERE}, moves)
    assert (outside["status"], outside["body"]["refusal"]) == (422, "AddressOutsideZones")
    assert outside["body"]["detail"].startswith("This address is not in a permit parking zone")
    assert move_answer({"action": "move", "reference": "", "address": TOWN}, moves)["status"] == 400
    assert (
        move_answer({"action": "move", "reference": application.reference, "address": {"uprn": ""}}, moves)["status"]
        == 400
    )
    unknown = new_reference()  # a well-formed reference with no application
    assert move_answer({"action": "move", "reference": unknown, "address": TOWN}, moves)["status"] == 404


def test_a_moved_permits_vehicle_change_is_priced_as_the_move_priced_it(store, moves, payments, clock):  # noqa: F811
    from permits.changes import Changes

    application = issued(store)
    made = moves.move(application.reference, at(TOWN))
    assert moves.apply_paid_move(made.move_reference, 5167, "pay2") == APPLIED  # £105.00 for 9 months in A
    changes = Changes(applications=moves.applications, refund=payments.refund, clock=clock)
    changed = changes.change_vehicle(application.reference, "EV71ELC")  # zero emission in A: 25%, £35.00 a year
    assert changed.difference == 2625 - 10500  # 9/12 of £35.00 against the £105.00 the move charged for 9 months
    assert [(a.reference, a.amount) for a in payments.refunds] == [(made.move_reference, 5167),
                                                                    (application.reference, 2708)]  # fmt: skip
    assert (look_up(store, "LB19PTR", "A"), look_up(store, "EV71ELC", "A")) == ("no-permit", "valid")


def test_staff_see_the_move_in_the_permits_history(store, moves):  # noqa: F811
    from permits.staff import _history

    application = issued(store)
    made = moves.move(application.reference, at(TOWN))
    item = store.get_application(application.reference)
    assert item is not None
    assert "Moved" not in {e["what"][:5] for e in _history(item, None)}
    assert moves.apply_paid_move(made.move_reference, 5167, "pay2") == APPLIED
    moved = store.get_application(application.reference)
    assert moved is not None
    assert [e["what"] for e in _history(moved, None)][-1] == "Moved into zone A"
