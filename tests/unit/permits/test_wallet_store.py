"""The visitor wallet stored in the Permits table (`permits.wallet_store`), its actions on the applications function
(`permits.wallet_handler`) and the staff's adjustment (`permits.wallet_staff`), against moto's DynamoDB: the balance,
a race for the last of it, refusals writing nothing, a day cancelled and given back, the enforcement look-up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits.enforcement import check
from permits.staff import StaffPermits
from permits.staff_handler import answer
from permits.store import PermitsStore
from permits.visitors import NoAllowanceLeft, NotCancellable, OutsideControlledHours, VisitorError
from permits.wallet_handler import handle_wallet
from permits.wallet_store import InvalidWalletRequest, NoSuchSession, WalletStore, wallet_key
from permits.zones import ZonesFile
from shared.calendar import LONDON
from tests.unit.permits.permits_support import create_permits_table

HOME = "100000000001"
NEXT_DOOR = "100000000002"
NOW = datetime(2027, 6, 8, 7, 0, tzinfo=LONDON)  # a Tuesday, before zone A's controls start at 08:00
MANAGER = {"subject": "staff-sub-1", "roles": ["permits-officer"]}


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


@pytest.fixture
def wallets(table: Any, zones: ZonesFile) -> WalletStore:
    return WalletStore(table, zones)


def items(table: Any) -> list[dict[str, Any]]:
    return sorted(table.scan()["Items"], key=lambda i: (i["pk"], i["sk"]))  # the test looks at the whole table


def at(hour: int, day: int = 8) -> datetime:
    return datetime(2027, 6, day, hour, 0, tzinfo=LONDON)


def test_a_wallet_not_written_yet_holds_the_zones_allowance_and_reading_it_writes_nothing(wallets, table):
    hours = wallets.balance(HOME, "A", now=NOW)
    assert (hours.unit, hours.allowance, hours.used, hours.left, hours.year) == ("minutes", 120 * 60, 0, 7200, 2027)
    assert hours.description == "120 hours 0 minutes of 120 visitor hours left"
    days = wallets.balance(HOME, "B", now=NOW)
    assert (days.unit, days.left) == ("days", 50)
    assert items(table) == []


def test_an_hours_session_is_stored_with_the_wallet_and_the_look_up_answers_visitor_session(wallets, table, zones):
    session, balance = wallets.start(HOME, "A", "lb19 ptr", start=at(17), hours=3, now=NOW)
    # 17:00-20:00 on a Tuesday: only 17:00-18:30 is controlled
    assert (balance.used, balance.left) == (90, 7200 - 90)
    assert (session.vrm, session.zone, session.end - session.start) == ("LB19PTR", "A", timedelta(hours=3))
    stored = {i["pk"]: i for i in items(table)}
    wallet = stored[wallet_key(HOME, "A", 2027)["pk"]]
    assert (wallet["left"], wallet["used"], wallet["allowance"], wallet["unit"]) == (7110, 90, 7200, "minutes")
    assert not {"household", "vrm", "zone", "feed_month", "due_on"} & set(wallet)  # in no index
    assert stored[f"SESSION#{session.session_id}"]["used"] == 90
    look_up = check(PermitsStore(table), zones, "LB19PTR", "A", at(18))
    assert (look_up.outcome, look_up.session_id) == ("visitor-session", session.session_id)
    assert check(PermitsStore(table), zones, "LB19PTR", "A", at(21)).outcome == "no-permit"
    assert check(PermitsStore(table), zones, "LB19PTR", "B", at(18)).outcome == "no-permit"
    assert wallets.balance(HOME, "A", now=NOW).left == 7110
    assert wallets.balance(NEXT_DOOR, "A", now=NOW).left == 7200  # another household's wallet is its own


@pytest.mark.parametrize(
    ("zone", "fields", "refused"),
    [
        ("A", {"start": at(10, day=13), "hours": 2}, OutsideControlledHours),  # a Sunday
        ("A", {"start": at(5), "hours": 4}, VisitorError),  # before now
        ("A", {"day": date(2027, 6, 9)}, InvalidWalletRequest),  # zone A is by the hour
        ("B", {"day": date(2027, 6, 12)}, OutsideControlledHours),  # a Saturday
        ("B", {"day": date(2027, 6, 7)}, VisitorError),  # yesterday
        ("D", {"day": date(2027, 6, 9)}, VisitorError),  # no visitor permits in Station
        ("Z", {"day": date(2027, 6, 9)}, InvalidWalletRequest),
    ],
)
def test_each_refusal_writes_nothing(wallets, table, zone, fields, refused):
    with pytest.raises(refused):
        wallets.start(HOME, zone, "LB19PTR", now=NOW, **fields)
    assert items(table) == []


def test_a_session_needing_more_than_is_left_writes_nothing(wallets, table):
    wallets.adjust(HOME, "A", -119, reason="Most used on paper", staff="staff-sub-1", now=NOW)
    before = items(table)
    with pytest.raises(NoAllowanceLeft, match="needs 2 hours but you have 1 hours left"):
        wallets.start(HOME, "A", "LB19PTR", start=at(10), hours=2, now=NOW)
    assert items(table) == before
    _, balance = wallets.start(HOME, "A", "LB19PTR", start=at(10), hours=1, now=NOW)
    assert balance.left == 0


def test_a_bad_uprn_or_mark_is_refused_before_anything_is_written(wallets, table):
    with pytest.raises(InvalidWalletRequest, match="uprn"):
        wallets.start("12 High St", "B", "LB19PTR", day=date(2027, 6, 9), now=NOW)
    with pytest.raises(ValueError, match=r"(?i)mark|registration"):
        wallets.start(HOME, "B", "QQ", day=date(2027, 6, 9), now=NOW)
    assert items(table) == []


def test_the_last_day_cannot_be_spent_twice_by_racing_sessions(wallets, table, monkeypatch):
    wallets.adjust(HOME, "B", -49, reason="Moved in mid-year", staff="staff-sub-1", now=NOW)
    stale = wallets._item(HOME, "B", 2027)  # what both racing requests read: one day left
    first, balance = wallets.start(HOME, "B", "LB19PTR", day=date(2027, 6, 9), now=NOW)
    assert balance.left == 0
    before = items(table)
    monkeypatch.setattr(wallets, "_item", lambda *_: stale)  # the second request read before the first wrote
    with pytest.raises(NoAllowanceLeft):
        wallets.start(HOME, "B", "KX68DSL", day=date(2027, 6, 10), now=NOW)
    assert items(table) == before  # no session, no overdraw
    monkeypatch.undo()
    with pytest.raises(NoAllowanceLeft, match="no visitor days left"):
        wallets.start(HOME, "B", "KX68DSL", day=date(2027, 6, 10), now=NOW)
    assert first.session_id in {i.get("session_id") for i in items(table)}


def test_a_future_day_is_cancelled_until_midnight_before_it_and_given_back(wallets, table, zones):
    session, balance = wallets.start(HOME, "B", "LB19PTR", day=date(2027, 6, 10), now=NOW)
    assert balance.left == 49
    store = PermitsStore(table)
    assert check(store, zones, "LB19PTR", "B", at(12, day=10)).outcome == "visitor-session"
    with pytest.raises(NoSuchSession):
        wallets.cancel(NEXT_DOOR, session.session_id, now=NOW)
    with pytest.raises(NotCancellable, match="midnight before"):
        wallets.cancel(HOME, session.session_id, now=at(0, day=10))
    assert wallets.balance(HOME, "B", now=NOW).left == 49  # refused: nothing given back
    cancelled, balance = wallets.cancel(HOME, session.session_id, now=at(23, day=9))
    assert (balance.left, balance.used) == (50, 0)
    assert cancelled.end == cancelled.start
    assert check(store, zones, "LB19PTR", "B", at(12, day=10)).outcome == "no-permit"
    item = table.get_item(Key={"pk": f"SESSION#{session.session_id}", "sk": "SESSION"})["Item"]
    assert item["end"] == item["start"]  # the devices' feed carries it with nothing left to accept
    assert "cancelled_at" in item
    with pytest.raises(NotCancellable, match="already"):
        wallets.cancel(HOME, session.session_id, now=at(23, day=9))
    assert wallets.balance(HOME, "B", now=NOW).left == 50


def test_an_hours_session_is_not_cancelled(wallets):
    session, _ = wallets.start(HOME, "A", "LB19PTR", start=at(10), hours=1, now=NOW)
    with pytest.raises(NotCancellable, match="ended, not cancelled"):
        wallets.cancel(HOME, session.session_id, now=NOW)
    assert wallets.balance(HOME, "A", now=NOW).left == 7200 - 60


def test_staff_adjustments_are_stored_with_who_when_and_why_and_never_go_below_nothing(wallets, table):
    raised = wallets.adjust(HOME, "A", 10, reason="Carer visits agreed", staff="staff-sub-1", now=NOW)
    assert (raised.left, raised.adjusted, raised.allowance) == (7200 + 600, 600, 7200)
    [entry] = wallets.adjustments(HOME, "A", year=2027)
    assert {k: entry[k] for k in ("change", "reason", "staff")} == {
        "change": 600, "reason": "Carer visits agreed", "staff": "staff-sub-1"}  # fmt: skip
    assert datetime.fromisoformat(entry["at"]) == NOW
    before = items(table)
    with pytest.raises(NoAllowanceLeft):
        wallets.adjust(HOME, "A", -131, reason="Error", staff="staff-sub-1", now=NOW)
    for change, reason in ((0, "x"), (1.5, "x"), (True, "x"), (2, ""), (2, "x" * 501)):
        with pytest.raises(InvalidWalletRequest):
            wallets.adjust(HOME, "A", change, reason=reason, staff="staff-sub-1", now=NOW)
    assert items(table) == before
    with pytest.raises(NoAllowanceLeft):
        wallets.adjust(NEXT_DOOR, "B", -51, reason="Error", staff="staff-sub-1", now=NOW)  # no wallet yet
    assert items(table) == before


def test_the_functions_actions_answer_201_400_404_and_422_with_a_detail(wallets, table):
    def ask(**event: Any) -> dict[str, Any]:
        return handle_wallet(event, wallets, clock=lambda: NOW)

    started = ask(action="start-visitor-session", uprn=HOME, zone="A", vrm="LB19PTR",
                  start=at(10).isoformat(), hours=2)  # fmt: skip
    assert started["status"] == 201, started
    assert started["body"]["balance"]["left"] == 7200 - 120
    assert ask(action="visitor-balance", uprn=HOME, zone="A")["body"]["left"] == 7080
    sunday = ask(action="start-visitor-session", uprn=HOME, zone="A", vrm="LB19PTR",
                 start=at(10, day=13).isoformat(), hours=2)  # fmt: skip
    assert (sunday["status"], sunday["body"]["refusal"]) == (422, "OutsideControlledHours")
    assert "not controlled" in sunday["body"]["detail"]
    naive = ask(action="start-visitor-session", uprn=HOME, zone="A", vrm="LB19PTR", start="2027-06-08T10:00", hours=2)
    assert naive["status"] == 400
    assert naive["body"]["detail"].startswith("start")
    too_long = ask(action="start-visitor-session", uprn=HOME, zone="A", vrm="LB19PTR", start=at(10).isoformat(),
                   hours=25)  # fmt: skip
    assert too_long["status"] == 400
    assert too_long["body"]["detail"].startswith("hours")
    not_cancellable = ask(action="cancel-visitor-session", uprn=HOME, session_id=started["body"]["session"]["id"])
    assert (not_cancellable["status"], not_cancellable["body"]["refusal"]) == (422, "NotCancellable")
    assert ask(action="cancel-visitor-session", uprn=HOME, session_id="nope")["status"] == 404
    assert ask(action="visitor-balance", uprn="", zone="A")["status"] == 400
    assert len(items(table)) == 2  # the one session and its wallet


def test_the_staff_action_needs_manage_permits_and_answers_the_balance(table, zones):
    staff = StaffPermits(table=table, zones=zones)
    event = {"action": "adjust-visitor-balance", "uprn": HOME, "zone": "B", "change": 2, "reason": "Hospital stays"}
    viewer = answer(staff, {**event, "staff": {"subject": "s2", "roles": ["viewer"]}},
                    manage_roles=frozenset({"permits-officer"}))  # fmt: skip
    assert viewer["status"] == 403
    assert items(table) == []
    missing = answer(staff, {**event, "reason": "", "staff": MANAGER}, manage_roles=frozenset({"permits-officer"}))
    assert (missing["status"], missing["body"]["field"]) == (400, "reason")
    done = answer(staff, {**event, "staff": MANAGER}, manage_roles=frozenset({"permits-officer"}))
    assert done["status"] == 200, done
    assert (done["body"]["balance"]["left"], done["body"]["balance"]["adjusted"]) == (52, 2)
    too_far = answer(staff, {**event, "change": -60, "staff": MANAGER}, manage_roles=frozenset({"permits-officer"}))
    assert (too_far["status"], too_far["body"]["refusal"]) == (422, "NoAllowanceLeft")
    this_year = WalletStore(table, zones).balance(HOME, "B", now=datetime.now(LONDON))  # staff change this year's
    assert (this_year.left, this_year.year) == (52, datetime.now(LONDON).year)
    [entry] = WalletStore(table, zones).adjustments(HOME, "B", year=this_year.year)
    assert (entry["staff"], entry["reason"], entry["change"]) == ("staff-sub-1", "Hospital stays", 2)


def test_the_staff_read_of_a_wallet_answers_balance_sessions_and_adjustments_and_writes_nothing_when_refused(
    table, zones, wallets
):
    staff = StaffPermits(table=table, zones=zones)
    now = datetime.now(LONDON)
    wallets.adjust(HOME, "B", 1, reason="Carer visits", staff="staff-sub-1", now=now)
    read = answer(staff, {"action": "visitor-wallet", "uprn": HOME, "zone": "B"}, manage_roles=frozenset())
    assert read["status"] == 200, read
    assert (read["body"]["balance"]["left"], read["body"]["sessions"]) == (51, [])
    assert [a["reason"] for a in read["body"]["adjustments"]] == ["Carer visits"]
    before = items(table)
    assert (
        answer(staff, {"action": "visitor-wallet", "uprn": "x", "zone": "B"}, manage_roles=frozenset())["status"] == 400
    )
    assert (
        answer(staff, {"action": "visitor-wallet", "uprn": HOME, "zone": "D"}, manage_roles=frozenset())["status"]
        == 422
    )
    assert items(table) == before
