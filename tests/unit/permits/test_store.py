"""The Permits table through `permits.store`: issue under the VRM guard and the household counter, end, sessions,
the two indexes. Against moto's DynamoDB (transactions and their cancellation reasons as AWS gives them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits.eligibility import HouseholdLimitReached, VrmAlreadyPermitted
from permits.store import PermitNotActive, PermitsStore, Status
from permits.vrm import InvalidVrm
from permits.zones import PermitType
from tests.unit.permits.permits_support import create_permits_table

HOME = "100000000001"
NEXT_DOOR = "100000000002"


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


@pytest.fixture
def store(table: Any) -> PermitsStore:
    return PermitsStore(table)


def issue(store: PermitsStore, vrm: str = "lb19 ptr", zone: str = "A", household: str = HOME, **kw: Any) -> Any:
    return store.issue(
        vrm=vrm,
        zone=zone,
        kind=kw.pop("kind", PermitType.RESIDENT),
        valid_from=date(2026, 4, 1),
        valid_to=date(2027, 3, 31),
        household=household,
        household_limit=kw.pop("household_limit", 2),
        counts_towards_limit=kw.pop("counts_towards_limit", True),
        **kw,
    )


def items(table: Any) -> list[dict[str, Any]]:
    return list(table.scan()["Items"])  # the test looks at the whole table; the service never scans


def test_an_issued_permit_is_stored_normalised_and_found_by_id_mark_and_household(store: PermitsStore) -> None:
    permit = issue(store)
    assert permit.vrm == "LB19PTR"
    assert permit.status is Status.ACTIVE
    assert store.get(permit.permit_id) == permit
    assert store.by_vrm("LB19 PTR") == ([permit], [])
    assert store.household_permits(HOME) == [permit]
    assert store.household_permits(HOME, "A") == [permit]
    assert store.household_permits(HOME, "B") == []


def test_a_second_active_permit_for_the_mark_in_the_zone_is_refused_and_writes_nothing(
    store: PermitsStore, table: Any
) -> None:
    issue(store)
    before = items(table)
    with pytest.raises(VrmAlreadyPermitted, match="LB19PTR"):
        issue(store, vrm="LB19PTR", household=NEXT_DOOR)
    assert items(table) == before


def test_the_same_mark_may_hold_a_permit_in_another_zone(store: PermitsStore) -> None:
    issue(store, zone="A")
    issue(store, zone="B")
    assert {p.zone for p in store.by_vrm("LB19PTR")[0]} == {"A", "B"}


def test_a_household_over_its_zones_limit_is_refused_and_writes_nothing(store: PermitsStore, table: Any) -> None:
    issue(store, vrm="LB19PTR", household_limit=2)
    issue(store, vrm="KX68DSL", household_limit=2)
    before = items(table)
    with pytest.raises(HouseholdLimitReached, match="2 permit"):
        issue(store, vrm="EV71ELC", household_limit=2)
    assert items(table) == before
    issue(store, vrm="EV71ELC", household=NEXT_DOOR, household_limit=2)  # another household is not affected


def test_types_outside_the_limit_do_not_count(store: PermitsStore) -> None:
    issue(store, vrm="LB19PTR", household_limit=1)
    issue(store, vrm="", household_limit=1, kind=PermitType.CARER, counts_towards_limit=False)  # no mark
    with pytest.raises(HouseholdLimitReached):
        issue(store, vrm="EV71ELC", household_limit=1)


def test_ending_a_permit_frees_its_mark_and_its_place_in_the_limit(store: PermitsStore) -> None:
    permit = issue(store, household_limit=1)
    ended = store.end(permit.permit_id, Status.REVOKED)
    assert ended.status is Status.REVOKED
    assert store.get(permit.permit_id) == ended
    again = issue(store, household_limit=1)  # the mark and the household's one place are free again
    assert again.permit_id != permit.permit_id


def test_a_permit_ends_once(store: PermitsStore) -> None:
    permit = issue(store)
    store.end(permit.permit_id, Status.EXPIRED)
    with pytest.raises(PermitNotActive):
        store.end(permit.permit_id, Status.REVOKED)
    with pytest.raises(PermitNotActive):
        store.end("no-such-permit", Status.REVOKED)
    with pytest.raises(ValueError, match="revoked, expired or cancelled"):
        store.end(permit.permit_id, Status.ACTIVE)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"vrm": "QQ00QQQ"}, InvalidVrm),
        ({"household": "Flat 1, 2 High Street"}, ValueError),
        ({"household_limit": 0}, ValueError),
    ],
)
def test_bad_input_writes_nothing(store: PermitsStore, table: Any, changes: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        issue(store, **changes)
    assert items(table) == []


def test_a_permit_that_ends_before_it_starts_is_refused(store: PermitsStore, table: Any) -> None:
    with pytest.raises(ValueError, match="end before"):
        store.issue(
            vrm="LB19PTR",
            zone="A",
            kind=PermitType.RESIDENT,
            valid_from=date(2026, 4, 1),
            valid_to=date(2026, 3, 31),
            household=HOME,
            household_limit=2,
            counts_towards_limit=True,
        )
    assert items(table) == []


def test_visitor_sessions_are_stored_and_found_by_mark(store: PermitsStore) -> None:
    start = datetime(2026, 12, 2, 9, tzinfo=UTC)
    session = store.start_session(vrm="kx68 dsl", zone="A", start=start, end=start.replace(hour=11), household=HOME)
    permits, sessions = store.by_vrm("KX68DSL")
    assert (permits, sessions) == ([], [session])
    assert store.household_permits(HOME) == []  # sessions are not permits
    with pytest.raises(ValueError, match="after it starts"):
        store.start_session(vrm="KX68DSL", zone="A", start=start, end=start, household=HOME)
    with pytest.raises(ValueError, match="timezone"):
        store.start_session(
            vrm="KX68DSL", zone="A", start=datetime(2026, 12, 2, 9), end=datetime(2026, 12, 2, 10), household=HOME
        )
