"""The visitor wallet through a permit's manage link (`permits.manage_wallet`), against moto's DynamoDB: the link's
application gives the household and zone; a bad link or a permit not in force opens nothing and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits.manage_wallet import wallet_by_link
from permits.wallet_store import WalletStore
from permits.zones import ZonesFile
from shared.calendar import LONDON
from tests.unit.permits.permits_support import create_permits_table

HOME = "100000000001"
NOW = datetime(2027, 6, 8, 7, 0, tzinfo=LONDON)  # a Tuesday, before zone A's controls start
APPLICATIONS = {
    "PP-A": SimpleNamespace(status="issued", uprn=HOME, zone="A"),
    "PP-B": SimpleNamespace(status="issued", uprn=HOME, zone="B"),
    "PP-ENDED": SimpleNamespace(status="cancelled", uprn=HOME, zone="A"),
}


@pytest.fixture
def wallets(zones: ZonesFile) -> Iterator[WalletStore]:
    with mock_aws():
        yield WalletStore(create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits"), zones)


def ask(wallets: WalletStore, **event: Any) -> dict[str, Any]:
    reference_of = {"good-a": "PP-A", "good-b": "PP-B", "ended": "PP-ENDED"}.get
    return wallet_by_link(event, reference_of, APPLICATIONS.get, wallets, clock=lambda: NOW)


def test_the_links_household_and_zone_are_the_wallets_and_its_sessions_are_listed(wallets):
    started = ask(wallets, action="start-visitor-session", token="good-a", vrm="lb19 ptr",
                  start="2027-06-08T17:00:00+01:00", hours=3, uprn="999")  # fmt: skip
    assert started["status"] == 201
    assert started["body"]["balance"]["uprn"] == HOME  # the link's household, not the one sent
    balance = ask(wallets, action="visitor-balance", token="good-a")
    body = balance["body"]
    assert (body["zone"], body["left"], body["zone_name"]) == ("A", 7200 - 90, wallets.zone("A").name)
    assert [(s["vrm"], s["cancelled"], s["cancellable"]) for s in body["sessions"]] == [("LB19PTR", False, False)]
    assert ask(wallets, action="visitor-balance", token="good-b")["body"]["sessions"] == []  # zone B's wallet


def test_a_day_is_listed_cancellable_and_cancelled_by_the_link(wallets):
    started = ask(wallets, action="start-visitor-session", token="good-b", vrm="LB19PTR", day="2027-06-09")
    session_id = started["body"]["session"]["id"]
    listed = ask(wallets, action="visitor-balance", token="good-b")["body"]["sessions"]
    assert [(s["id"], s["day"], s["cancellable"]) for s in listed] == [(session_id, "2027-06-09", True)]
    cancelled = ask(wallets, action="cancel-visitor-session", token="good-b", session_id=session_id)
    assert (cancelled["status"], cancelled["body"]["balance"]["left"]) == (200, 50)
    again = ask(wallets, action="visitor-balance", token="good-b")["body"]["sessions"]
    assert [(s["cancelled"], s["cancellable"]) for s in again] == [(True, False)]


@pytest.mark.parametrize(("token", "status"), [("forged", 404), ("", 404), ("ended", 422)])
def test_a_bad_link_or_a_permit_not_in_force_opens_nothing_and_writes_nothing(wallets, token, status):
    answer = ask(wallets, action="start-visitor-session", token=token, vrm="LB19PTR", day="2027-06-09")
    assert answer["status"] == status
    assert wallets.balance(HOME, "B", now=NOW).used == 0
