"""The console's permits search by postcode (console/permit_pages.py): the postcode looked up in the address lookup
(OS Places' port, shared/addresses.py; here a fake at that port), the addresses listed to choose one, and the chosen
one's permits searched by its UPRN through the permits service. Audited without the postcode; no lookup, or the
lookup down, says to search by UPRN and asks the permits service nothing."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from console.permit_pages import PermitPages
from shared.addresses import Address, AddressLookupFailed
from shared.references import new_reference
from tests.unit.staff_console.conftest import Console

pytestmark = pytest.mark.unit
HOPFIELD = [
    Address(uprn="100000000001", line1="1 Hopfield Road", line2="", town="Maidstone", postcode="ME14 1HQ"),
    Address(uprn="100000000002", line1="3 Hopfield Road", line2="", town="Maidstone", postcode="ME14 1HQ"),
]


class Lookup:
    """The address lookup's port: the addresses at each postcode, or a failure."""

    def __init__(self, failure: AddressLookupFailed | None = None, *, configured: bool = True) -> None:
        self.failure, self.configured = failure, configured
        self.asked: list[str] = []

    def available(self) -> bool:
        return self.configured

    def by_postcode(self, postcode: str) -> list[Address]:
        self.asked.append(postcode)
        if self.failure is not None:
            raise self.failure
        return HOPFIELD if postcode == "ME14 1HQ" else []


def with_lookup(console: Console, lookup: Lookup | None) -> None:
    pages = PermitPages(console.pages, console.permit_pages.audit, console.permits, lookup)
    console.with_section(console.permit_pages, pages)
    console.permit_pages = pages


def trail(console: Console, record: str) -> list[dict[str, Any]]:
    return list(console.audit.query(KeyConditionExpression=Key("record").eq(record))["Items"])


@pytest.fixture
def caseworker(console: Console) -> dict[str, str]:
    return console.staff("casey", roles=("caseworker",))


def post(console: Console, tokens: dict[str, str], form: dict[str, str]) -> dict[str, Any]:
    return console.post("/staff/permits", tokens, {"csrf_token": console.csrf(tokens), **form})


def test_a_postcode_lists_its_addresses_and_the_chosen_one_finds_its_permits(console, caseworker):
    reference = new_reference()
    console.add_permit(reference)  # household 100000000001
    lookup = Lookup()
    with_lookup(console, lookup)
    listed = post(console, caseworker, {"by": "postcode", "postcode": "me141hq"})
    assert listed["statusCode"] == 200
    assert lookup.asked == ["ME14 1HQ"]  # normalised before it is looked up
    body = listed["body"]
    assert "Addresses at ME14 1HQ" in body
    assert 'id="address-choice"' in body
    for address in HOPFIELD:
        assert f'value="{address.uprn}"' in body
        assert address.line1 in body
    assert 'name="by" value="uprn"' in body  # the choice is the UPRN search
    assert console.permits.events == []  # the permits service keeps UPRNs: nothing asked of it yet
    [entry] = trail(console, "permit-search")
    assert (entry["action"], entry["details"]) == ("search-permits", {"kind": "postcode", "addresses": 2})
    assert "ME14" not in str(entry)
    assert "Hopfield" not in str(entry)
    found = post(console, caseworker, {"by": "uprn", "uprn": "100000000001"})
    assert found["statusCode"] == 200
    assert f'href="/staff/permits/{reference}"' in found["body"]
    assert console.permits.events[-1] == {"action": "search", "by": "uprn", "value": "100000000001"}
    neighbour = post(console, caseworker, {"by": "uprn", "uprn": "100000000002"})
    assert f'href="/staff/permits/{reference}"' not in neighbour["body"]


def test_a_postcode_with_no_addresses_says_so(console, caseworker):
    with_lookup(console, Lookup())
    answer = post(console, caseworker, {"by": "postcode", "postcode": "ME1 9ZZ"})
    assert answer["statusCode"] == 200
    assert 'id="no-addresses"' in answer["body"]
    assert trail(console, "permit-search")[0]["details"] == {"kind": "postcode", "addresses": 0}


@pytest.mark.parametrize(
    "lookup",
    [
        None,
        Lookup(configured=False),
        Lookup(AddressLookupFailed("timeout")),
        Lookup(AddressLookupFailed("throttled", 429)),
    ],
)
def test_without_a_working_lookup_staff_are_told_to_search_by_uprn_and_nothing_is_asked(console, caseworker, lookup):
    with_lookup(console, lookup)
    answer = post(console, caseworker, {"by": "postcode", "postcode": "ME14 1HQ"})
    assert answer["statusCode"] == 503
    assert "Search by the address&#39;s UPRN instead" in answer["body"]
    assert 'value="ME14 1HQ"' in answer["body"]  # what was typed is kept
    assert console.permits.events == []
    assert trail(console, "permit-search") == []  # nothing was found, so nothing was shown


def test_a_postcode_that_is_not_one_is_refused_before_the_lookup_is_asked(console, caseworker):
    lookup = Lookup()
    with_lookup(console, lookup)
    answer = post(console, caseworker, {"by": "postcode", "postcode": "ME14 XX1"})
    assert answer["statusCode"] == 400
    assert 'href="#postcode"' in answer["body"]
    assert lookup.asked == []


def test_staff_without_view_permits_may_not_search_by_postcode(console):
    lookup = Lookup()
    with_lookup(console, lookup)
    outsider = console.staff("olly", roles=())
    answer = post(console, outsider, {"by": "postcode", "postcode": "ME14 1HQ"})
    assert answer["statusCode"] == 403
    assert lookup.asked == []
