"""A permit's renewal, pre-filled (`permits.renewal`): the current permit's address, kind, months and mark with the
renewal's start (the day after its last day) and price; what cannot be renewed, and when it is too early. Against
moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits.application import Application, Applications
from permits.issuing import issue_paid, permit_id_for
from permits.renewal import renewal
from permits.store import PermitsStore, Status
from permits.zones import PermitType, load_zones
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import HOME, NOW, Dvla, request
from tests.unit.permits.test_issuing import paid

pytestmark = pytest.mark.unit

TOWN = {"uprn": "100000000077", "postcode": "ME15 6AA", "street": "COBNUT ROW"}  # zone A: ends every 31 March


@pytest.fixture
def store() -> Iterator[PermitsStore]:
    with mock_aws():
        yield PermitsStore(create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits"))


def issued(store: PermitsStore, **changes: Any) -> str:

    service = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW)
    made = service.apply(request(**changes))
    assert issue_paid(store, paid(made), now=NOW).outcome == "issued"
    return made.reference


def renew(store: PermitsStore, reference: str, today: date) -> dict[str, Any]:
    return renewal(store, load_zones(), reference, today)


def test_the_renewal_is_the_same_permit_from_the_day_after_its_last_day(store):
    reference = issued(store)
    answer = renew(store, reference, date(2027, 5, 3))  # the day of the first reminder
    assert answer["status"] == 200, answer
    body = answer["body"]
    assert body["renews"] == reference
    assert body["permit_id"] == permit_id_for(reference)
    assert body["address"] == {"uprn": HOME}
    assert (body["zone"], body["kind"], body["months"], body["vrm"]) == ("B", "resident", 12, "LB19PTR")
    assert (body["start"], body["valid_from"], body["valid_to"]) == ("2027-06-01", "2027-06-01", "2028-05-31")
    assert (body["amount_pence"], body["amount"]) == (8000, "£80.00")  # the first permit: itself is not counted
    assert body["reasons"][-1] == "Total: £80.00."


def test_the_households_other_permits_in_force_then_set_the_nth_permit_price(store):
    reference = issued(store)
    store.issue(
        vrm="KX68DSL", zone="B", kind=PermitType.RESIDENT, valid_from=date(2026, 6, 1), valid_to=date(2027, 12, 31),
        household=HOME, household_limit=2, counts_towards_limit=True,
    )  # fmt: skip
    body = renew(store, reference, date(2027, 5, 3))["body"]
    assert any("2nd permit" in reason for reason in body["reasons"]), body["reasons"]
    assert body["amount_pence"] != 8000


def test_a_lapsed_permit_renews_from_today(store):
    reference = issued(store)
    store.end(permit_id_for(reference), Status.EXPIRED)
    body = renew(store, reference, date(2027, 6, 10))["body"]
    assert (body["start"], body["valid_to"]) == ("2027-06-10", "2028-06-09")


def test_in_a_zone_with_one_end_date_the_renewal_is_the_whole_next_year(store):
    reference = issued(store, address=TOWN)  # bought on 1 June: runs to 31 March, 10 months charged
    body = renew(store, reference, date(2027, 3, 3))["body"]
    assert (body["zone"], body["months"]) == ("A", 12)
    assert (body["start"], body["valid_to"]) == ("2027-04-01", "2028-03-31")


def test_too_early_says_from_when(store):
    reference = issued(store)
    answer = renew(store, reference, date(2026, 6, 2))
    assert answer["status"] == 409
    assert answer["body"]["reason"] == "too-early"
    assert answer["body"]["renewable_from"] == "2027-03-03"  # 90 days before 1 June 2027
    assert renew(store, reference, date(2027, 3, 3))["status"] == 200


def test_what_cannot_be_renewed(store):
    assert renew(store, "NOSUCHREF", date(2027, 5, 3))["status"] == 404

    unpaid = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW).apply(request())
    answer = renew(store, unpaid.reference, date(2027, 5, 3))
    assert (answer["status"], answer["body"]["reason"]) == (409, "not-issued")
    reference = issued(store, vrm="KX68DSL")
    store.end(permit_id_for(reference), Status.REVOKED)
    answer = renew(store, reference, date(2027, 5, 3))
    assert (answer["status"], answer["body"]["reason"]) == (409, "revoked")


def test_nothing_is_written(store):
    reference = issued(store)
    table = store._table
    before = table.scan()["Items"]  # the test reads the whole table; the code never scans
    renew(store, reference, date(2027, 5, 3))
    assert table.scan()["Items"] == before
    assert Application.from_item(store.get_application(reference) or {}).status == "issued"
