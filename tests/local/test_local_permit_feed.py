"""The enforcement devices' offline feed end to end through the local cloud: the demo device's token, the public
key, signed pages followed by their cursors until up to date, a revoked permit coming again with its status after
the last cursor, each page verified with the public key alone and audited; bad cursors and missing tokens refused."""

from __future__ import annotations

import base64
import hashlib
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from permits.feed import SETTLE
from permits.store import PermitsStore, Status
from permits.zones import PermitType
from tests.local.test_local_permits import _device, _table, _token

pytestmark = pytest.mark.local

FEED = "/api/v1/permits/feed"


def _get(local_cloud: Any, token: str | None, path: str, **query: str) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return local_cloud.handle("GET", f"{path}?{urllib.parse.urlencode(query)}" if query else path, headers)


def _verified(public: ec.EllipticCurvePublicKey, answer: Any) -> dict[str, Any]:
    """The page, once its signature checks out as a device checks it (raises InvalidSignature otherwise)."""
    signature = base64.b64decode(answer.header("borough-feed-signature"))
    public.verify(signature, hashlib.sha256(answer.body).hexdigest().encode(), ec.ECDSA(hashes.SHA256()))
    page: dict[str, Any] = answer.json()
    return page


def _follow(local_cloud: Any, token: str, public: Any, cursor: str | None) -> tuple[list[dict[str, Any]], str]:
    entries: list[dict[str, Any]] = []
    for _ in range(100):
        answer = _get(local_cloud, token, FEED, limit="2", **({"cursor": cursor} if cursor else {}))
        assert answer.status == 200, answer.body
        page = _verified(public, answer)
        entries += page["entries"]
        cursor = page["next_cursor"]
        if page["up_to_date"]:
            return entries, str(cursor)
    raise AssertionError("the feed never said it was up to date")


def test_a_device_follows_the_signed_feed_and_sees_a_revocation_after_its_last_cursor(local_cloud) -> None:
    store = PermitsStore(_table(local_cloud, "Borough-dev-Permits/Permits"))
    today = datetime.now(UTC).date()
    issued = [
        store.issue(
            vrm=vrm,
            zone="B",
            kind=PermitType.RESIDENT,
            valid_from=today,
            valid_to=today + timedelta(days=180),
            household="100000000077",
            household_limit=5,
            counts_towards_limit=True,
        )
        for vrm in ("FD51 ABC", "FD52 ABC", "FD53 ABC")
    ]
    time.sleep(SETTLE.total_seconds() + 0.5)  # the feed leaves changes of the last few seconds for the next call
    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]

    key = _get(local_cloud, token, f"{FEED}/key")
    assert key.status == 200, key.body
    assert key.json()["algorithm"] == "ECDSA_SHA_256"
    public = load_der_public_key(base64.b64decode(key.json()["public_key"]))
    assert isinstance(public, ec.EllipticCurvePublicKey)

    entries, cursor = _follow(local_cloud, token, public, None)
    ids = [e["id"] for e in entries]
    assert set(ids) >= {p.permit_id for p in issued}
    assert len(ids) == len(set(ids))  # each change once
    assert "100000000077" not in str(entries)

    store.end(issued[1].permit_id, Status.REVOKED)
    time.sleep(SETTLE.total_seconds() + 0.5)
    since, _ = _follow(local_cloud, token, public, cursor)
    assert [(e["id"], e["status"]) for e in since] == [(issued[1].permit_id, "revoked")]

    audit = local_cloud.client("dynamodb").query(
        TableName=local_cloud.physical_id("Borough-dev-Permits/PermitLookups"),
        KeyConditionExpression="device = :d",
        ExpressionAttributeValues={":d": {"S": client_id}},
    )["Items"]
    assert sum(i["answer"]["S"] == "feed-page" for i in audit) >= 3


def test_the_feed_refuses_a_bad_cursor_a_bad_limit_and_a_missing_token(local_cloud) -> None:
    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    bad_cursor = _get(local_cloud, token, FEED, cursor="not-a-cursor")
    assert bad_cursor.status == 400
    assert "cursor" in bad_cursor.json()["detail"]
    assert _get(local_cloud, token, FEED, limit="5000").status == 400
    assert _get(local_cloud, None, FEED).status == 401
    assert _get(local_cloud, None, f"{FEED}/key").status == 401


def test_make_run_prints_the_demo_devices_credentials_and_how_to_use_them(local_cloud) -> None:
    from local.__main__ import banner

    _, client_id, secret = _device(local_cloud)
    text = banner(local_cloud, 0.0, 0.0)
    assert f"client {client_id}  secret {secret}" in text
    assert f"curl -s -u {client_id}:{secret}" in text
    assert f"{local_cloud.url}/api/v1/permits/feed" in text
    assert _token(local_cloud, client_id, secret).status == 200  # the printed credentials work
