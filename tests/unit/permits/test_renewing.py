"""Renewing a permit while it is still active (`renews`, permits.renewing and permits.store_renewal): the checks and
their refusals (each writing nothing), and at issue the renewal taking over the VRM guard and the household's place
in one transaction, so the old permit's expiry leaves both to it. Against moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits import enforcement
from permits.application import ISSUED, Application, ApplicationRequest, Applications, InvalidApplication
from permits.eligibility import HouseholdLimitReached, VrmAlreadyPermitted
from permits.issuing import issue_paid
from permits.renewing import RenewalNotAllowed
from permits.store import Permit, PermitsStore, Status
from permits.zones import load_zones
from shared.references import new_reference
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import NOW, Dvla
from tests.unit.permits.test_issuing import paid

pytestmark = pytest.mark.unit

HOME = "100000000001"  # Hopfield (zone B, at most 2 permits a household) by its postcode
LATER = datetime(2026, 8, 20, 10, 0, tzinfo=UTC)  # the first permit (1 June to 31 August) still active
FOLLOWS = "2026-09-01"  # the day after its last day


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


@pytest.fixture
def store(table: Any) -> PermitsStore:
    return PermitsStore(table)


def items(table: Any) -> list[dict[str, Any]]:
    return sorted(table.scan()["Items"], key=lambda i: (i["pk"], i["sk"]))  # the test reads the whole table


def guard(table: Any, vrm: str = "LB19PTR") -> str | None:
    found = table.get_item(Key={"pk": f"ACTIVE#B#{vrm}", "sk": "GUARD"}).get("Item")
    return str(found["permit_id"]) if found else None


def counter(table: Any) -> int:
    found = table.get_item(Key={"pk": f"HOUSEHOLD#{HOME}#B", "sk": "COUNT"}).get("Item")
    return int(found["active"]) if found else 0


def apply(store: PermitsStore, when: datetime, **changes: Any) -> Application:
    data: dict[str, Any] = {
        "address": {"uprn": HOME, "postcode": "ME14 1HQ", "street": "HOPFIELD ROAD"},
        "kind": "resident", "months": 3, "vrm": "lb19 ptr", "contact": {"email": "resident@example.org"},
    }  # fmt: skip
    data.update(changes)
    service = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: when)
    return service.apply(ApplicationRequest.parse(data, today=when.date()))


def issued(store: PermitsStore, application: Application, when: datetime = NOW) -> Permit:
    outcome = issue_paid(store, paid(application), now=when)
    assert outcome.outcome == ISSUED
    permit = store.get(outcome.permit_id)
    assert permit is not None
    return permit


@pytest.fixture
def current(store: PermitsStore) -> tuple[Application, Permit]:
    application = apply(store, NOW)
    permit = issued(store, application)
    assert (permit.valid_from, permit.valid_to) == (date(2026, 6, 1), date(2026, 8, 31))
    return application, permit


# -- applying -----------------------------------------------------------------------------------------------------
def test_without_renews_the_active_permit_refuses_its_own_renewal(store, current):
    with pytest.raises(VrmAlreadyPermitted):
        apply(store, LATER, start=FOLLOWS)


def test_with_renews_the_same_mark_zone_and_household_may_apply_and_the_application_keeps_what_it_renews(
    store, current
):
    old_application, old = current
    renewal = apply(store, LATER, start=FOLLOWS, renews=old_application.reference.lower())
    assert (renewal.valid_from, renewal.valid_to) == (date(2026, 9, 1), date(2026, 11, 30))
    assert renewal.pence == old_application.pence  # the household's 1st permit still: the renewed one is replaced
    item = store.get_application(renewal.reference)
    assert item is not None
    assert (item["renews"], item["renews_permit_id"]) == (old_application.reference, old.permit_id)


def test_the_renewed_permit_does_not_count_against_the_household_limit(store, table, current):
    old_application, _ = current
    issued(store, apply(store, NOW, vrm="KX68DSL"))  # the household's 2nd permit: at zone B's limit
    with pytest.raises(HouseholdLimitReached):
        apply(store, LATER, start=FOLLOWS, vrm="EV71ELC")
    renewal = apply(store, LATER, start=FOLLOWS, renews=old_application.reference)
    assert store.get_application(renewal.reference) is not None


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"start": "2026-09-02"}, "starts the day after"),
        ({"start": "2026-08-31"}, "starts the day after"),
        ({"vrm": "KX68DSL"}, "same address, zone, vehicle"),
        ({"kind": "business"}, "same address, zone, vehicle"),
        ({"address": {"uprn": "100000000002", "postcode": "ME14 1HQ", "street": "HOPFIELD ROAD"}}, "same address"),
    ],
)
def test_a_renewal_not_following_on_from_the_same_permit_is_refused_and_writes_nothing(
    store, table, current, changes, why
):
    old_application, _ = current
    before = items(table)
    with pytest.raises(RenewalNotAllowed, match=why):
        apply(store, LATER, **{"start": FOLLOWS, "renews": old_application.reference, **changes})
    assert items(table) == before


def test_renewing_a_permit_that_has_ended_or_was_not_issued_is_refused_and_writes_nothing(store, table, current):
    old_application, old = current
    pending = apply(store, NOW, vrm="KX68DSL")
    for reference, why in ((pending.reference, "no permit"), (new_reference(), "no application")):
        before = items(table)
        with pytest.raises(RenewalNotAllowed, match=why):
            apply(store, LATER, start=FOLLOWS, renews=reference)
        assert items(table) == before
    store.end(old.permit_id, Status.REVOKED)
    before = items(table)
    with pytest.raises(RenewalNotAllowed, match="no longer active"):
        apply(store, LATER, start=FOLLOWS, renews=old_application.reference)
    assert items(table) == before


def test_renews_must_be_a_reference(store, current):
    with pytest.raises(InvalidApplication, match="renews"):
        apply(store, LATER, start=FOLLOWS, renews="not a reference")


def test_a_permit_is_renewed_once(store, current):
    old_application, _ = current
    first = apply(store, LATER, start=FOLLOWS, renews=old_application.reference)
    issued(store, first, LATER)
    with pytest.raises(RenewalNotAllowed, match="renewed already"):
        apply(store, LATER, start=FOLLOWS, renews=old_application.reference)


# -- issuing and ending ---------------------------------------------------------------------------------------------
def test_the_renewal_takes_over_the_guard_and_the_households_place_in_one_transaction(store, table, current):
    old_application, old = current
    assert (guard(table), counter(table)) == (old.permit_id, 1)
    renewal = issued(store, apply(store, LATER, start=FOLLOWS, renews=old_application.reference), LATER)
    assert (guard(table), counter(table)) == (renewal.permit_id, 1)  # replaced, not added
    renewed = store.get(old.permit_id)
    assert renewed is not None
    assert (renewed.status, renewed.renewed_by) == (Status.ACTIVE, renewal.permit_id)
    assert {p.permit_id for p in store.by_vrm("LB19PTR")[0]} == {old.permit_id, renewal.permit_id}


def test_the_old_permits_expiry_leaves_the_guard_and_the_place_to_the_renewal(store, table, current):
    old_application, old = current
    renewal = issued(store, apply(store, LATER, start=FOLLOWS, renews=old_application.reference), LATER)
    last_day = enforcement.check(store, load_zones(), "LB19PTR", "B", datetime(2026, 8, 31, 22, 30, tzinfo=UTC))
    assert (str(last_day.outcome), last_day.permit_id) == ("valid", old.permit_id)  # 23:30 in London, 31 August
    store.end(old.permit_id, Status.EXPIRED)  # the daily job's expiry, the day after its last day
    assert (guard(table), counter(table)) == (renewal.permit_id, 1)
    next_day = enforcement.check(store, load_zones(), "LB19PTR", "B", datetime(2026, 8, 31, 23, 30, tzinfo=UTC))
    assert (str(next_day.outcome), next_day.permit_id) == ("valid", renewal.permit_id)  # 00:30, 1 September
    store.end(renewal.permit_id, Status.REVOKED)  # the renewal's own end releases both
    assert (guard(table), counter(table)) == (None, 0)


def test_a_second_renewal_of_the_same_permit_is_not_issued_and_writes_no_permit(store, table, current):
    old_application, _ = current
    first = apply(store, LATER, start=FOLLOWS, renews=old_application.reference)
    second = apply(store, LATER, start=FOLLOWS, renews=old_application.reference)  # both pending: allowed
    holder = issued(store, first, LATER)
    assert issue_paid(store, paid(second), now=LATER).outcome == "paid-not-issued"
    assert (guard(table), counter(table)) == (holder.permit_id, 1)
    assert len(store.by_vrm("LB19PTR")[0]) == 2


def test_a_renewal_whose_permit_ended_before_the_issue_is_issued_as_any_other(store, table, current):
    old_application, old = current
    renewal_application = apply(store, LATER, start=FOLLOWS, renews=old_application.reference)
    store.end(old.permit_id, Status.EXPIRED)
    assert (guard(table), counter(table)) == (None, 0)
    renewal = issued(store, renewal_application, LATER)
    assert (guard(table), counter(table)) == (renewal.permit_id, 1)  # its own guard and place
    ended = store.get(old.permit_id)
    assert ended is not None
    assert ended.renewed_by == ""


def test_a_renewal_racing_the_old_permits_end_falls_back_to_an_ordinary_issue(store, table, current, monkeypatch):
    old_application, old = current
    renewal_application = apply(store, LATER, start=FOLLOWS, renews=old_application.reference)
    store.end(old.permit_id, Status.EXPIRED)
    real_get = store.get
    monkeypatch.setattr(store, "get", lambda pid: old if pid == old.permit_id else real_get(pid))  # read before end
    renewal = issued(store, renewal_application, LATER)
    assert (guard(table), counter(table)) == (renewal.permit_id, 1)
    monkeypatch.undo()
    ended = store.get(old.permit_id)
    assert ended is not None
    assert (ended.status, ended.renewed_by) == (Status.EXPIRED, "")


def test_a_renewal_for_another_mark_than_the_renewed_permits_now_is_issued_as_any_other(store, table, current):
    _, old = current  # e.g. the old permit's vehicle changed after the renewal was applied for
    renewal = store.issue(
        vrm="KX68DSL", zone="B", kind=old.kind, valid_from=date(2026, 9, 1), valid_to=date(2026, 11, 30),
        household=HOME, household_limit=2, counts_towards_limit=True, renews=old.permit_id,
    )  # fmt: skip
    assert (guard(table), guard(table, "KX68DSL"), counter(table)) == (old.permit_id, renewal.permit_id, 2)
    unchanged = store.get(old.permit_id)
    assert unchanged is not None
    assert unchanged.renewed_by == ""
