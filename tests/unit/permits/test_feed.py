"""The devices' offline feed (`permits.feed`) against moto's DynamoDB and KMS: pages in change order, cursors that
give every change once, ended permits coming again with their status, changes still settling left for the next
call, months crossed, bad cursors refused, and a signature a device verifies with the public key alone."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from moto import mock_aws

from permits import feed
from permits.store import PermitsStore, Status, feed_stamp
from permits.zones import PermitType
from tests.unit.permits.permits_support import create_permits_table

HOME = "100000000001"
LATER = timedelta(seconds=30)  # past the settling time of every change made in a test


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


@pytest.fixture
def store(table: Any) -> PermitsStore:
    return PermitsStore(table)


def issue(store: PermitsStore, vrm: str, zone: str = "A", household: str = HOME) -> Any:
    return store.issue(
        vrm=vrm,
        zone=zone,
        kind=PermitType.RESIDENT,
        valid_from=date(2026, 4, 1),
        valid_to=date(2027, 3, 31),
        household=household,
        household_limit=10,
        counts_towards_limit=True,
    )


def everything(store: PermitsStore, *, limit: int, now: datetime) -> tuple[list[dict[str, Any]], list[feed.FeedPage]]:
    pages, cursor = [], None
    for _ in range(50):
        page = feed.page(store, cursor, limit=limit, now=now)
        pages.append(page)
        cursor = page.next_cursor
        if page.up_to_date:
            return [e for p in pages for e in p.entries], pages
    raise AssertionError("the feed never said it was up to date")


def test_a_first_page_holds_every_permit_and_session_and_nothing_about_the_household(store):
    first = issue(store, "LB19 PTR")
    session = store.start_session(
        vrm="AB12 CDE",
        zone="A",
        start=datetime(2026, 12, 3, 10, tzinfo=UTC),
        end=datetime(2026, 12, 3, 12, tzinfo=UTC),
        household=HOME,
    )
    page = feed.page(store, None, limit=100, now=datetime.now(UTC) + LATER)
    assert page.up_to_date
    assert [(e["type"], e["id"]) for e in page.entries] == [
        ("permit", first.permit_id),
        ("visitor-session", session.session_id),
    ]
    permit_entry = page.entries[0]
    assert permit_entry["vrm"] == "LB19PTR"
    assert permit_entry["status"] == "active"
    assert (permit_entry["valid_from"], permit_entry["valid_to"]) == ("2026-04-01", "2027-03-31")
    assert HOME not in page.body().decode()
    assert "household" not in page.body().decode()


def test_small_pages_give_every_change_exactly_once_in_order(store):
    issued = [issue(store, f"AB{51 + n} CDE").permit_id for n in range(7)]
    entries, pages = everything(store, limit=3, now=datetime.now(UTC) + LATER)
    assert [e["id"] for e in entries] == issued
    assert [len(p.entries) for p in pages] == [3, 3, 1]
    assert [p.up_to_date for p in pages] == [False, False, True]


def test_after_the_last_cursor_only_what_changed_since_comes_and_an_ended_permit_comes_with_its_status(store):
    kept, revoked = issue(store, "AB51 CDE"), issue(store, "AB52 CDE")
    _, pages = everything(store, limit=100, now=datetime.now(UTC) + LATER)
    cursor = pages[-1].next_cursor
    assert feed.page(store, cursor, limit=100, now=datetime.now(UTC) + LATER).entries == []
    store.end(revoked.permit_id, Status.REVOKED)
    newer = issue(store, "AB53 CDE")
    since = feed.page(store, cursor, limit=100, now=datetime.now(UTC) + LATER)
    assert [(e["id"], e["status"]) for e in since.entries] == [
        (revoked.permit_id, "revoked"),
        (newer.permit_id, "active"),
    ]
    assert kept.permit_id not in {e["id"] for e in since.entries}


def test_changes_still_settling_are_left_for_the_next_call_not_passed_over(store):
    settled = issue(store, "AB51 CDE")
    just_now = issue(store, "AB52 CDE")
    stamp = store._table.get_item(Key={"pk": f"PERMIT#{just_now.permit_id}", "sk": "PERMIT"})["Item"]["feed_at"]
    changed_at = datetime.fromisoformat(stamp.split("#")[0])
    during = feed.page(store, None, limit=100, now=changed_at + feed.SETTLE / 2)  # both changed under 5 s before
    assert during.entries == []
    assert during.up_to_date
    after = feed.page(store, during.next_cursor, limit=100, now=changed_at + LATER)
    assert [e["id"] for e in after.entries] == [settled.permit_id, just_now.permit_id]


def test_the_feed_crosses_months_and_starts_far_enough_back_for_the_longest_permit(store, table):
    now = datetime(2026, 12, 3, 9, tzinfo=UTC)
    for number, moment in enumerate(
        [
            datetime(2025, 10, 31, 23, 59, tzinfo=UTC),
            datetime(2026, 2, 1, tzinfo=UTC),
            datetime(2026, 12, 1, tzinfo=UTC),
        ]
    ):
        permit_id = f"old{number}"
        table.put_item(
            Item={
                "pk": f"PERMIT#{permit_id}",
                "sk": "PERMIT",
                "record": "PERMIT",
                "permit_id": permit_id,
                "vrm": f"AB{number:02d}CDE",
                "zone": "A",
                "kind": "resident",
                "valid_from": "2025-11-01",
                "valid_to": "2026-12-31",
                "status": "active",
                "household": HOME,
                **feed_stamp(moment, permit_id),
            }
        )
    assert feed.first_month(now) == "2025-10"
    entries, pages = everything(store, limit=2, now=now)
    assert [e["id"] for e in entries] == ["old0", "old1", "old2"]
    assert pages[-1].next_cursor.month == "2026-12"


@pytest.mark.parametrize(
    "text",
    [
        "not-base64!",
        base64.urlsafe_b64encode(b'{"m":"2026-13","a":""}').decode(),
        base64.urlsafe_b64encode(b'{"m":"2026-11","a":"2026-10-01T00:00:00#x"}').decode(),
        base64.urlsafe_b64encode(b'{"month":"2026-11"}').decode(),
        "x" * 301,
    ],
)
def test_a_cursor_the_feed_did_not_give_is_refused(text):
    with pytest.raises(feed.InvalidCursor):
        feed.Cursor.decode(text)


def test_a_cursor_round_trips():
    cursor = feed.Cursor("2026-11", "2026-11-30T23:59:59.000001+00:00#abc")
    assert feed.Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(("text", "limit"), [(None, feed.DEFAULT_LIMIT), ("", feed.DEFAULT_LIMIT), ("1000", 1000)])
def test_limits(text, limit):
    assert feed.read_limit(text) == limit


@pytest.mark.parametrize("text", ["0", "1001", "-1", "ten"])
def test_a_limit_out_of_range_is_refused(text):
    with pytest.raises(ValueError, match="1 to 1000"):
        feed.read_limit(text)


def test_a_device_verifies_a_page_with_the_public_key_alone_and_an_altered_page_fails():
    with mock_aws():
        kms = boto3.client("kms", region_name="eu-west-2")
        key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
        signer = feed.KmsSigner(kms, key)
        page = feed.FeedPage([{"type": "permit", "id": "p1"}], feed.Cursor("2026-12", ""), True)
        body = page.body()
        signature = base64.b64decode(signer.sign(body))
        published = signer.public_key()
    assert published["algorithm"] == "ECDSA_SHA_256"
    public = load_der_public_key(base64.b64decode(published["public_key"]))
    assert isinstance(public, ec.EllipticCurvePublicKey)
    algorithm = ec.ECDSA(hashes.SHA256())
    public.verify(signature, hashlib.sha256(body).hexdigest().encode(), algorithm)  # as a device does
    altered = json.dumps({**json.loads(body), "up_to_date": False}, separators=(",", ":"), sort_keys=True).encode()
    with pytest.raises(InvalidSignature):
        public.verify(signature, hashlib.sha256(altered).hexdigest().encode(), algorithm)
