"""The enforcement look-up: each answer from `permits.enforcement.check`, then the function (`permits.check`):
the scope checked again, bad input refused with nothing audited, every answer audited with the device's id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits.enforcement import Outcome, UnknownZone, check
from permits.store import PermitsStore, Status
from permits.vrm import InvalidVrm
from permits.zones import PermitType, ZonesFile
from shared import aws, settings
from tests.helpers import FakeContext, http_event
from tests.unit.permits.permits_support import create_lookups_table, create_permits_table

HOME = "100000000001"
NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def tables() -> Iterator[tuple[Any, Any]]:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="eu-west-2")
        yield create_permits_table(dynamodb, "Permits"), create_lookups_table(dynamodb, "PermitLookups")


@pytest.fixture
def store(tables: tuple[Any, Any]) -> PermitsStore:
    return PermitsStore(tables[0])


def permit(store: PermitsStore, zone: str = "A", valid_to: date = date(2027, 3, 31), **kw: Any) -> Any:
    return store.issue(
        vrm=kw.pop("vrm", "LB19PTR"),
        zone=zone,
        kind=PermitType.RESIDENT,
        valid_from=kw.pop("valid_from", date(2026, 4, 1)),
        valid_to=valid_to,
        household=HOME,
        household_limit=3,
        counts_towards_limit=True,
    )


def test_valid_names_the_permit_and_nothing_personal(store: PermitsStore, zones: ZonesFile) -> None:
    issued = permit(store)
    answer = check(store, zones, "lb19 ptr", "A", NOW)
    assert answer.outcome is Outcome.VALID
    assert answer.body() == {
        "vrm": "LB19PTR",
        "zone": "A",
        "answer": "valid",
        "checked_at": NOW.isoformat(),
        "permit_id": issued.permit_id,
        "valid_to": "2027-03-31",
    }


def test_valid_on_its_last_london_day_only(store: PermitsStore, zones: ZonesFile) -> None:
    permit(store, valid_to=date(2026, 12, 2))
    assert check(store, zones, "LB19PTR", "A", datetime(2026, 12, 2, 23, 59, tzinfo=UTC)).outcome is Outcome.VALID
    assert check(store, zones, "LB19PTR", "A", datetime(2026, 12, 3, 0, 1, tzinfo=UTC)).outcome is Outcome.EXPIRED


def test_valid_in_another_zone(store: PermitsStore, zones: ZonesFile) -> None:
    issued = permit(store, zone="B")
    answer = check(store, zones, "LB19PTR", "A", NOW)
    assert (answer.outcome, answer.other_zone, answer.permit_id) == (
        Outcome.VALID_IN_ANOTHER_ZONE,
        "B",
        issued.permit_id,
    )


def test_expired_says_when_and_whether_inside_the_zones_grace(store: PermitsStore, zones: ZonesFile) -> None:
    last_day = NOW.date() - timedelta(days=14)  # zone A: 14 days' grace
    issued = permit(store, valid_from=date(2026, 1, 1), valid_to=last_day)
    answer = check(store, zones, "LB19PTR", "A", NOW)
    assert answer.body()["answer"] == "expired"
    assert (answer.permit_id, answer.expired_on, answer.in_grace) == (issued.permit_id, last_day, True)
    later = check(store, zones, "LB19PTR", "A", NOW + timedelta(days=1))
    assert (later.outcome, later.in_grace) == (Outcome.EXPIRED, False)


def test_an_expired_permit_is_still_reported_after_the_store_marks_it_expired(
    store: PermitsStore, zones: ZonesFile
) -> None:
    issued = permit(store, valid_from=date(2026, 1, 1), valid_to=date(2026, 11, 30))
    store.end(issued.permit_id, Status.EXPIRED)
    assert check(store, zones, "LB19PTR", "A", NOW).outcome is Outcome.EXPIRED


def test_a_visitor_session_running_now(store: PermitsStore, zones: ZonesFile) -> None:
    session = store.start_session(
        vrm="KX68DSL", zone="A", start=NOW - timedelta(hours=1), end=NOW + timedelta(hours=1), household=HOME
    )
    answer = check(store, zones, "KX68DSL", "A", NOW)
    assert (answer.outcome, answer.session_id) == (Outcome.VISITOR_SESSION, session.session_id)
    assert "household" not in json.dumps(answer.body())
    assert check(store, zones, "KX68DSL", "A", NOW + timedelta(hours=1)).outcome is Outcome.NO_PERMIT
    assert check(store, zones, "KX68DSL", "B", NOW).outcome is Outcome.NO_PERMIT


def test_no_permit_for_a_revoked_one_one_not_yet_valid_or_none(store: PermitsStore, zones: ZonesFile) -> None:
    assert check(store, zones, "LB19PTR", "A", NOW).outcome is Outcome.NO_PERMIT
    revoked = permit(store)
    store.end(revoked.permit_id, Status.REVOKED)
    assert check(store, zones, "LB19PTR", "A", NOW).outcome is Outcome.NO_PERMIT
    permit(store, vrm="KX68DSL", valid_from=date(2027, 1, 1))
    assert check(store, zones, "KX68DSL", "A", NOW).outcome is Outcome.NO_PERMIT


def test_bad_marks_and_zones_are_refused(store: PermitsStore, zones: ZonesFile) -> None:
    with pytest.raises(InvalidVrm):
        check(store, zones, "QQ00QQQ", "A", NOW)
    with pytest.raises(UnknownZone, match="'Z'"):
        check(store, zones, "LB19PTR", "Z", NOW)


# -- the function -------------------------------------------------------------------------------------------------
DEVICE = {"client_id": "device-client-1", "scope": "permits/check", "token_use": "access"}


@pytest.fixture
def function(tables: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Any]]:
    monkeypatch.setenv("PERMITS_TABLE", "Permits")
    monkeypatch.setenv("LOOKUPS_TABLE", "PermitLookups")
    aws.reset()
    settings.reset()
    yield tables
    aws.reset()
    settings.reset()


def call(method: str, *, query: dict[str, str] | None = None, body: Any = None, claims: Any = DEVICE) -> Any:
    from permits import check as function

    event = http_event(
        method, "/api/v1/permits/check", body=body, route_key=f"{method} /api/v1/permits/check", claims=claims
    )
    if query is not None:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    result = function.handler(event, FakeContext())
    return result["statusCode"], json.loads(result["body"])


def audited(lookups: Any) -> list[dict[str, Any]]:
    return list(lookups.scan()["Items"])  # the test reads the whole audit; no function may


def test_get_and_post_answer_and_each_is_audited_with_the_device(function: tuple[Any, Any]) -> None:
    permits, lookups = function
    issued = permit(PermitsStore(permits))
    status, answer = call("GET", query={"vrm": "LB19 PTR", "zone": "A"})
    assert (status, answer["answer"], answer["permit_id"]) == (200, "valid", issued.permit_id)
    status, answer = call("POST", body={"vrm": "KX68DSL", "zone": "A"})
    assert (status, answer["answer"]) == (200, "no-permit")
    records = sorted(audited(lookups), key=lambda r: r["vrm"])
    assert [(r["device"], r["vrm"], r["zone"], r["answer"]) for r in records] == [
        ("device-client-1", "KX68DSL", "A", "no-permit"),
        ("device-client-1", "LB19PTR", "A", "valid"),
    ]
    assert records[1]["permit_id"] == issued.permit_id
    assert {r["lookup_id"] for r in records} >= {answer["lookup_id"]}


@pytest.mark.parametrize(
    "claims",
    [
        None,  # no authorizer context at all
        {"client_id": "device-client-1", "scope": "openid email"},  # a token without the scope
        {"client_id": "device-client-1", "scope": "permits/check-all"},  # not the scope, only like it
        {"scope": "permits/check"},  # no client
    ],
)
def test_a_token_without_the_scope_or_a_client_is_refused_and_audits_nothing(function, claims) -> None:
    status, problem = call("POST", body={"vrm": "LB19PTR", "zone": "A"}, claims=claims)
    assert status == 403, problem
    assert audited(function[1]) == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"zone": "A"}, "registration mark"),
        ({"vrm": "", "zone": "A"}, "registration mark"),
        ({"vrm": 123, "zone": "A"}, "registration mark"),
        ({"vrm": "QQ00QQQ", "zone": "A"}, "not a UK registration mark"),
        ({"vrm": "LB19PTR"}, "zone"),
        ({"vrm": "LB19PTR", "zone": "Z"}, "No zone 'Z'"),
    ],
)
def test_bad_input_is_400_and_audits_nothing(function, body, says) -> None:
    status, problem = call("POST", body=body)
    assert status == 400
    assert says in problem["detail"]
    assert audited(function[1]) == []


def test_a_get_without_a_query_is_400(function) -> None:
    status, _ = call("GET", query={})
    assert status == 400
    assert audited(function[1]) == []
