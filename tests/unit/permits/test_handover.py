"""The hand-over between a permit and its renewal when either is changed or ended before the old one's last day
(permits.handover, permits.store_handover, permits.changes): the renewal following the current permit's new vehicle
(at once with both refunds, or paid first with the payment split between the two), the renewal's own change refused
while it waits, the current permit cancelled or revoked (the renewal kept, still starting on its day), the renewal
cancelled or revoked before it starts (the guard and the household's place back to the current permit), and a
renewal pending payment when the current permit is cancelled or its vehicle changed. Every refusal writes nothing;
the enforcement look-up is checked on each side of each London midnight (Hypothesis). Against moto's DynamoDB.

Zone B (Hopfield, outer tariff): a 3-month resident permit for the petrol LB19PTR is £24.00, for the diesel KX68DSL
£30.00, for the electric EV71ELC £0.00; the admin fee is £15.00. The current permit runs 1 June to 31 August 2026,
its renewal 1 September to 30 November 2026, each paid £24.00; the changes are made on 20 August (1 month left of
the current permit, August counted whole; all 3 of the renewal's).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from permits import enforcement
from permits.application import ISSUED, PAID_NOT_ISSUED, Application, ApplicationRequest, Applications
from permits.changes import Changes, PermitNotChangeable
from permits.changes_store import APPLIED, PENDING_PAYMENT
from permits.handover import shares
from permits.issuing import issue_paid
from permits.staff import StaffPermits, StaffRef
from permits.store import Permit, PermitsStore, Status
from permits.zones import load_zones
from shared.calendar import LONDON
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_changes import Clock, Dvla, Payments
from tests.unit.permits.test_issuing import paid
from tests.unit.permits.test_renewing import FOLLOWS, LATER, NOW, counter, guard, issued

pytestmark = pytest.mark.unit

LAST_DAY, FIRST_DAY, RENEWAL_LAST = date(2026, 8, 31), date(2026, 9, 1), date(2026, 11, 30)


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


@pytest.fixture
def store(table: Any) -> PermitsStore:
    return PermitsStore(table)


@pytest.fixture
def payments() -> Payments:
    return Payments()


@pytest.fixture
def changes(store: PermitsStore, payments: Payments) -> Changes:
    applications = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW)
    return Changes(applications=applications, refund=payments.refund, register_order=payments.register,
                   clock=Clock(LATER))  # fmt: skip


@pytest.fixture
def pair(store: PermitsStore) -> tuple[Application, Permit, Application, Permit]:
    """The current permit and its renewal, issued on 20 August."""
    current_application = apply(store, NOW)
    current = issued(store, current_application)
    renewal_application = apply(store, LATER, start=FOLLOWS, renews=current_application.reference)
    renewal = issued(store, renewal_application, LATER)
    assert (current.valid_to, renewal.valid_from, renewal.valid_to) == (LAST_DAY, FIRST_DAY, RENEWAL_LAST)
    return current_application, current, renewal_application, renewal


def apply(store: PermitsStore, when: datetime, **changes: Any) -> Application:
    """An application as test_renewing's, with test_changes' vehicles (the electric EV71ELC among them)."""
    data: dict[str, Any] = {
        "address": {"uprn": "100000000001", "postcode": "ME14 1HQ", "street": "HOPFIELD ROAD"},
        "kind": "resident", "months": 3, "vrm": "lb19 ptr", "contact": {"email": "resident@example.org"}, **changes,
    }  # fmt: skip
    service = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: when)
    return service.apply(ApplicationRequest.parse(data, today=when.date()))


def snapshot(table: Any) -> list[dict[str, Any]]:
    return sorted(table.scan()["Items"], key=lambda i: (i["pk"], i["sk"]))  # the test reads the whole table


def look_up(store: PermitsStore, vrm: str, day: date, hour: int = 12) -> tuple[str, str]:
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)
    answer = enforcement.check(store, load_zones(), vrm, "B", moment)
    return str(answer.outcome), answer.permit_id or ""


def application_item(store: PermitsStore, reference: str) -> dict[str, Any]:
    found = store.get_application(reference)
    assert found is not None
    return found


# -- the current permit's vehicle changed: the renewal follows -------------------------------------------------------
def test_a_cheaper_vehicle_moves_the_permit_and_its_renewal_at_once_each_refunded_from_its_own_payment(
    store, table, changes, payments, pair
):
    current_application, current, renewal_application, renewal = pair
    made = changes.change_vehicle(current_application.reference, "EV71ELC")
    assert (made.status, made.difference) == (APPLIED, -3200)  # £8.00 of the current permit, all £24.00 of the renewal
    assert made.reasons[-1] == "For the permit and its renewal together, to refund: £32.00."
    assert made.public()["renewal_note"] == "Your renewal from 1 September 2026 is for EV71 ELC too."
    assert sorted((a.reference, a.amount) for a in payments.refunds) == sorted(
        [(current_application.reference, 800), (renewal_application.reference, 2400)]
    )
    for permit in (current, renewal):
        moved = store.get(permit.permit_id)
        assert moved is not None
        assert (moved.vrm, moved.status) == ("EV71ELC", Status.ACTIVE)
    assert (guard(table, "EV71ELC"), guard(table, "LB19PTR"), counter(table)) == (renewal.permit_id, None, 1)
    renewal_item = application_item(store, renewal_application.reference)
    assert (renewal_item["mark"], int(renewal_item["price_now_pence"])) == ("EV71ELC", 0)
    assert [int(e["pence"]) for e in renewal_item["ledger"]] == [2400, -2400]
    assert look_up(store, "EV71ELC", date(2026, 8, 20)) == ("valid", current.permit_id)
    assert look_up(store, "EV71ELC", FIRST_DAY) == ("valid", renewal.permit_id)
    assert look_up(store, "LB19PTR", date(2026, 8, 20))[0] == "no-permit"
    assert look_up(store, "LB19PTR", FIRST_DAY)[0] == "no-permit"
    store.end(current.permit_id, Status.EXPIRED)  # the daily job, 1 September: both left to the renewal
    assert (guard(table, "EV71ELC"), counter(table)) == (renewal.permit_id, 1)


def test_a_dearer_vehicle_is_one_order_for_both_applied_to_both_when_paid_and_split_between_their_ledgers(
    store, table, changes, payments, pair
):
    current_application, current, renewal_application, renewal = pair
    made = changes.change_vehicle(current_application.reference, "KX68DSL")
    assert (made.status, made.difference) == (PENDING_PAYMENT, 800)  # £2.00 for August, £6.00 for the renewal
    assert made.renewal_note == "When you have paid, your renewal from 1 September 2026 changes to KX68 DSL too."
    assert payments.orders == [(made.change_reference, "parking-permit-change", "Parking permit: change of vehicle",
                                800)]  # fmt: skip
    assert look_up(store, "LB19PTR", FIRST_DAY) == ("valid", renewal.permit_id)  # nothing moves until it is paid
    assert changes.apply_paid_change(made.change_reference, 800, "pay-2") == APPLIED
    for permit in (current, renewal):
        moved = store.get(permit.permit_id)
        assert moved is not None
        assert moved.vrm == "KX68DSL"
    assert (guard(table, "KX68DSL"), guard(table, "LB19PTR"), counter(table)) == (renewal.permit_id, None, 1)
    current_ledger = application_item(store, current_application.reference)["ledger"]
    renewal_ledger = application_item(store, renewal_application.reference)["ledger"]
    assert [(e["order"], int(e["pence"])) for e in current_ledger][-1] == (made.change_reference, 200)
    assert [(e["order"], int(e["pence"])) for e in renewal_ledger][-1] == (made.change_reference, 600)
    assert look_up(store, "KX68DSL", FIRST_DAY) == ("valid", renewal.permit_id)


def test_a_paid_change_whose_renewal_was_cancelled_meanwhile_is_not_applied_and_refunded_in_full(
    store, table, changes, payments, pair
):
    current_application, current, renewal_application, _ = pair
    made = changes.change_vehicle(current_application.reference, "KX68DSL")
    changes.cancel(renewal_application.reference)  # the renewal hands the mark back to the current permit
    assert changes.apply_paid_change(made.change_reference, 800, "pay-2") == "paid-not-applied"
    assert [(a.reference, a.amount) for a in payments.refunds][-1] == (made.change_reference, 800)
    assert (guard(table, "LB19PTR"), guard(table, "KX68DSL")) == (current.permit_id, None)


def test_the_renewals_own_vehicle_cannot_change_while_it_waits_and_nothing_is_written(store, table, changes, pair):
    _, _, renewal_application, _ = pair
    before = snapshot(table)
    with pytest.raises(PermitNotChangeable, match="Change the vehicle on your current permit"):
        changes.change_vehicle(renewal_application.reference, "EV71ELC")
    assert snapshot(table) == before


def test_a_permit_whose_renewal_has_ended_changes_vehicle_alone(store, table, changes, pair):
    current_application, current, renewal_application, renewal = pair
    changes.cancel(renewal_application.reference)
    made = changes.change_vehicle(current_application.reference, "EV71ELC")
    assert (made.difference, made.renewal_note) == (-800, "")
    ended = store.get(renewal.permit_id)
    assert ended is not None
    assert (ended.vrm, ended.status) == ("LB19PTR", Status.CANCELLED)
    assert (guard(table, "EV71ELC"), counter(table)) == (current.permit_id, 1)


# -- the current permit cancelled or revoked: the renewal kept --------------------------------------------------------
def test_cancelling_the_current_permit_keeps_the_renewal_which_still_starts_on_its_day(
    store, table, changes, payments, pair
):
    current_application, _, _, renewal = pair
    cancelled = changes.cancel(current_application.reference)
    assert cancelled.refund_pence == 0  # no whole month of August unused: nothing to refund after the £15.00 fee
    assert "starts on 1 September 2026" in cancelled.renewal_note
    assert "less the admin fee of £15.00" in cancelled.renewal_note
    assert cancelled.public()["renewal_note"] == cancelled.renewal_note
    kept = store.get(renewal.permit_id)
    assert kept is not None
    assert kept.status is Status.ACTIVE
    assert (guard(table), counter(table)) == (renewal.permit_id, 1)
    assert look_up(store, "LB19PTR", date(2026, 8, 21))[0] == "no-permit"
    assert look_up(store, "LB19PTR", FIRST_DAY) == ("valid", renewal.permit_id)


def test_revoking_the_current_permit_keeps_the_renewal(store, table, pair):
    _, current, _, renewal = pair
    staff = StaffPermits(table=table, zones=load_zones(), clock=lambda: LATER)
    staff.revoke(current.permit_id, staff=StaffRef("sub-1"), reason="Not resident at the address")
    assert (guard(table), counter(table)) == (renewal.permit_id, 1)
    assert look_up(store, "LB19PTR", FIRST_DAY) == ("valid", renewal.permit_id)


# -- the renewal cancelled or revoked before it starts: both back to the current permit -----------------------------
def test_cancelling_the_renewal_before_it_starts_hands_the_mark_and_the_place_back_and_refunds_by_the_zones_rule(
    store, table, changes, payments, pair
):
    current_application, current, renewal_application, _ = pair
    cancelled = changes.cancel(renewal_application.reference)
    assert cancelled.refund_pence == 900  # all 3 months (£24.00) less the £15.00 fee
    assert cancelled.reasons[0] == "The permit had not started, so all its months are unused."
    assert "valid to its last day, 31 August 2026" in cancelled.renewal_note
    assert [(a.reference, a.amount) for a in payments.refunds] == [(renewal_application.reference, 900)]
    back = store.get(current.permit_id)
    assert back is not None
    assert (back.status, back.renewed_by) == (Status.ACTIVE, "")
    assert (guard(table), counter(table)) == (current.permit_id, 1)
    assert look_up(store, "LB19PTR", LAST_DAY) == ("valid", current.permit_id)
    assert look_up(store, "LB19PTR", FIRST_DAY)[0] == "expired"  # the current permit's last day passed
    again = apply(store, LATER, start=FOLLOWS, renews=current_application.reference)  # renewable again
    assert again.valid_from == FIRST_DAY
    store.end(current.permit_id, Status.EXPIRED)  # its expiry now releases both, as any permit's
    assert (guard(table), counter(table)) == (None, 0)


def test_revoking_the_renewal_before_it_starts_hands_back_too(store, table, pair):
    _, current, _, renewal = pair
    store.end(renewal.permit_id, Status.REVOKED)
    assert (guard(table), counter(table)) == (current.permit_id, 1)
    assert look_up(store, "LB19PTR", LAST_DAY) == ("valid", current.permit_id)


def test_a_renewal_ended_after_the_current_permit_ended_releases_both(store, table, changes, pair):
    current_application, _, renewal_application, _ = pair
    changes.cancel(current_application.reference)
    changes.cancel(renewal_application.reference)
    assert (guard(table), counter(table)) == (None, 0)


def test_a_permit_and_its_renewal_hold_one_place_when_the_household_applies_for_another(store, table, pair):
    another = apply(store, LATER, vrm="KX68DSL")  # zone B allows 2: the pair is one of them
    assert another.status == "pending-payment"
    issued(store, another, LATER)
    assert counter(table) == 2


# -- a renewal pending payment ----------------------------------------------------------------------------------------
def test_a_pending_renewal_paid_after_the_current_permit_was_cancelled_is_issued_from_its_day(store, table, changes):
    current_application = apply(store, NOW, vrm="KX68DSL")
    current = issued(store, current_application)
    pending = apply(store, LATER, start=FOLLOWS, vrm="KX68DSL", renews=current_application.reference)
    changes.cancel(current_application.reference)
    assert guard(table, "KX68DSL") is None
    renewal = issued(store, pending, LATER)
    assert renewal.valid_from == FIRST_DAY
    assert guard(table, "KX68DSL") == renewal.permit_id
    assert look_up(store, "KX68DSL", FIRST_DAY) == ("valid", renewal.permit_id)
    ended = store.get(current.permit_id)
    assert ended is not None
    assert ended.renewed_by == ""  # not taken over: it had ended


def test_a_pending_renewal_paid_after_the_current_permits_vehicle_changed_is_not_issued_and_refunded(
    store, table, changes, payments
):
    current_application = apply(store, NOW)
    issued(store, current_application)
    pending = apply(store, LATER, start=FOLLOWS, renews=current_application.reference)
    changes.change_vehicle(current_application.reference, "EV71ELC")
    refunds = []
    outcome = issue_paid(store, paid(pending), now=LATER, refund=lambda ask: refunds.append(ask) or "submitted")
    assert outcome.outcome == PAID_NOT_ISSUED
    item = application_item(store, pending.reference)
    assert (item["status"], item["reason"]) == (PAID_NOT_ISSUED, "RenewedVehicleChanged")
    assert [(a.reference, a.amount) for a in refunds] == [(pending.reference, 2400)]
    assert guard(table, "LB19PTR") is None
    assert look_up(store, "LB19PTR", FIRST_DAY)[0] == "no-permit"


# -- properties -------------------------------------------------------------------------------------------------------
@given(total=st.integers(-100_000, 100_000), renewal=st.integers(-100_000, 100_000))
def test_the_two_shares_add_up_and_the_renewals_never_passes_its_own_difference(total, renewal):
    own, theirs = shares(total, renewal)
    assert own + theirs == total
    assert abs(theirs) <= abs(renewal)
    assert abs(theirs) <= abs(total)
    assert theirs == 0 or (theirs > 0) == (total > 0) == (renewal > 0)
    assert own == 0 or (own > 0) == (total > 0)


MOMENTS = st.datetimes(
    min_value=datetime(2026, 8, 19), max_value=datetime(2026, 12, 12), timezones=st.just(UTC)
)  # across the current permit's last midnight (BST) and the renewal's (GMT)


def _expected(moment: datetime, valid: list[tuple[date, date, str]], grace_from: date) -> tuple[str, str]:
    day = moment.astimezone(LONDON).date()
    for first, last, permit_id in valid:
        if first <= day <= last:
            return "valid", permit_id
    return ("expired", "") if day > grace_from else ("no-permit", "")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=MOMENTS)
def test_after_the_current_permit_is_cancelled_the_look_up_is_the_renewals_on_its_days_alone(
    store, changes, pair, moment
):
    current_application, _, _, renewal = pair
    if application_item(store, current_application.reference).get("status") == ISSUED:
        changes.cancel(current_application.reference)
    answer = enforcement.check(store, load_zones(), "LB19PTR", "B", moment)
    got = (str(answer.outcome), (answer.permit_id or "") if str(answer.outcome) == "valid" else "")
    assert got == _expected(moment, [(FIRST_DAY, RENEWAL_LAST, renewal.permit_id)], RENEWAL_LAST)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=MOMENTS)
def test_after_the_renewal_is_cancelled_the_look_up_is_the_current_permits_to_its_last_day_alone(
    store, changes, pair, moment
):
    _, current, renewal_application, _ = pair
    if application_item(store, renewal_application.reference).get("status") == ISSUED:
        changes.cancel(renewal_application.reference)
    answer = enforcement.check(store, load_zones(), "LB19PTR", "B", moment)
    got = (str(answer.outcome), (answer.permit_id or "") if str(answer.outcome) == "valid" else "")
    assert got == _expected(moment, [(date(2026, 6, 1), LAST_DAY, current.permit_id)], LAST_DAY)


def test_the_guard_changes_hands_at_no_moment_in_between(store, table, changes, pair):
    """Each step is one transaction: after each, exactly one holder, and it is a permit that is active."""
    current_application, current, renewal_application, renewal = pair
    changes.change_vehicle(current_application.reference, "EV71ELC")
    assert guard(table, "EV71ELC") == renewal.permit_id
    changes.cancel(renewal_application.reference)
    assert guard(table, "EV71ELC") == current.permit_id
    # the electric car's renewal is free in zone B: issued at once, with no payment (permits.issuing.issue_free)
    renewed = apply(store, LATER, start=FOLLOWS, vrm="EV71ELC", renews=current_application.reference)
    assert (renewed.pence, renewed.status) == (0, ISSUED)
    again = store.get(renewed.permit_id)
    assert again is not None
    assert (guard(table, "EV71ELC"), counter(table)) == (again.permit_id, 1)
    assert look_up(store, "EV71ELC", FIRST_DAY + timedelta(days=1)) == ("valid", again.permit_id)


@settings(max_examples=15, deadline=None)
@given(day=st.dates(min_value=date(2026, 6, 1), max_value=LAST_DAY), hour=st.sampled_from([0, 9, 23]))
def test_a_change_on_any_day_of_the_current_permit_charges_its_months_left_and_all_the_renewals(day, hour):
    """Priced independently here: zone B's 3-month resident permit is £24.00 petrol, £0.00 electric; the current
    permit's months left count the month of the change whole (June 3, July 2, August 1)."""
    with mock_aws():
        store = PermitsStore(create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits"))
        current_application = apply(store, NOW)
        current = issued(store, current_application)
        renewal = issued(store, apply(store, LATER, start=FOLLOWS, renews=current_application.reference), LATER)
        payments = Payments()
        when = datetime(day.year, day.month, day.day, hour, 30, tzinfo=LONDON).astimezone(UTC)
        applications = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW)
        changes = Changes(applications=applications, refund=payments.refund, register_order=payments.register,
                          clock=Clock(when))  # fmt: skip
        made = changes.change_vehicle(current_application.reference, "EV71ELC")
        months_left = {6: 3, 7: 2, 8: 1}[day.month]  # the London day's month, whatever the UTC date
        assert made.difference == -(800 * months_left + 2400)
        assert sorted(a.amount for a in payments.refunds) == sorted([800 * months_left, 2400])
        assert look_up(store, "EV71ELC", LAST_DAY) == ("valid", current.permit_id)
        assert look_up(store, "EV71ELC", FIRST_DAY, hour=0) == ("valid", renewal.permit_id)
