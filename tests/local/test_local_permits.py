"""The enforcement look-up end to end through the local cloud: a permit seeded through `permits.store`, the demo
device gets an access token from the token stand-in (client credentials) and checks a vehicle through CloudFront's
front door, the HTTP API's JWT authorizer and the check function; every look-up audited. Refused: no token, a
staff token (another pool), a token without the scope, expired or forged, and a wrong client secret."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.moto_session import FAKE_ENVIRONMENT, REGION
from local.sandbox import cognito_oauth
from permits.store import PermitsStore
from permits.zones import PermitType

pytestmark = pytest.mark.local

DEVICE = "Borough-dev-Permits/EnforcementDevices/DemoDevice"
CHECK = "/api/v1/permits/check"


def _table(local_cloud: Any, path: str) -> Any:
    session = boto3.session.Session(
        aws_access_key_id=FAKE_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    return session.resource("dynamodb").Table(local_cloud.physical_id(path))


def _device(local_cloud: Any) -> tuple[str, str, str]:
    client_id = local_cloud.physical_id(DEVICE)
    pool_id = local_cloud.physical_id("Borough-dev-Permits/EnforcementDevices")
    described = local_cloud.client("cognito-idp").describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    return pool_id, client_id, described["UserPoolClient"]["ClientSecret"]


def _token(local_cloud: Any, client_id: str, secret: str, **form: str) -> Any:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return local_cloud.handle(
        "POST",
        "/sandbox/cognito/oauth2/token",
        {"authorization": f"Basic {basic}", "content-type": "application/x-www-form-urlencoded"},
        urllib.parse.urlencode({"grant_type": "client_credentials", **form}),
    )


def _check(local_cloud: Any, token: str | None, vrm: str = "LB19PTR", zone: str = "A", *, post: bool = False) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if post:
        return local_cloud.handle("POST", CHECK, headers, json_body={"vrm": vrm, "zone": zone})
    return local_cloud.handle("GET", f"{CHECK}?{urllib.parse.urlencode({'vrm': vrm, 'zone': zone})}", headers)


def _claims(pool_id: str, client_id: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": client_id,
        "client_id": client_id,
        "token_use": "access",
        "scope": "permits/check",
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}",
        "iat": now,
        "exp": now + 600,
        **changes,
    }


def test_a_demo_device_gets_a_token_and_checks_a_seeded_permit_and_each_look_up_is_audited(local_cloud) -> None:
    store = PermitsStore(_table(local_cloud, "Borough-dev-Permits/Permits"))
    today = datetime.now(UTC).date()
    permit = store.issue(
        vrm="LB19 PTR",
        zone="A",
        kind=PermitType.RESIDENT,
        valid_from=today - timedelta(days=30),
        valid_to=today + timedelta(days=300),
        household="100000000001",
        household_limit=2,
        counts_towards_limit=True,
    )
    _, client_id, secret = _device(local_cloud)
    issued = _token(local_cloud, client_id, secret)
    assert issued.status == 200, issued.body
    token = issued.json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["scope"] == "permits/check"

    valid = _check(local_cloud, token)
    assert valid.status == 200, valid.body
    assert (valid.json()["answer"], valid.json()["permit_id"]) == ("valid", permit.permit_id)
    assert "household" not in valid.body.decode()
    elsewhere = _check(local_cloud, token, zone="B", post=True)
    assert (elsewhere.json()["answer"], elsewhere.json()["other_zone"]) == ("valid-in-another-zone", "A")
    nothing = _check(local_cloud, token, vrm="YT70NOP", post=True)  # a mark no test issues
    assert nothing.json()["answer"] == "no-permit"

    audit = local_cloud.client("dynamodb").query(
        TableName=local_cloud.physical_id("Borough-dev-Permits/PermitLookups"),
        KeyConditionExpression="device = :d",
        ExpressionAttributeValues={":d": {"S": client_id}},
    )["Items"]
    looked_up = [i for i in audit if i["answer"]["S"] != "feed-page"]  # the feed's pages are audited here too
    logged = {(i["vrm"]["S"], i["zone"]["S"], i["answer"]["S"]) for i in looked_up}
    assert logged >= {
        ("LB19PTR", "A", "valid"),
        ("LB19PTR", "B", "valid-in-another-zone"),
        ("YT70NOP", "A", "no-permit"),
    }
    assert date.fromisoformat(valid.json()["valid_to"]) == permit.valid_to


def test_look_ups_without_a_good_token_are_refused_before_the_function_runs(local_cloud, staff_token) -> None:
    pool_id, client_id, _ = _device(local_cloud)
    audit = local_cloud.physical_id("Borough-dev-Permits/PermitLookups")
    before = local_cloud.client("dynamodb").scan(TableName=audit, Select="COUNT")["Count"]
    signed = cognito_oauth._sign
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "no token": (_check(local_cloud, None), 401),
        "a staff token (another pool)": (_check(local_cloud, staff_token), 401),
        "expired": (_check(local_cloud, signed(_claims(pool_id, client_id, exp=int(time.time()) - 1))), 401),
        "forged": (
            _check(
                local_cloud,
                jwt.encode(_claims(pool_id, client_id), other_key, algorithm="RS256", headers={"kid": "dummy"}),
            ),
            401,
        ),
        "another client": (_check(local_cloud, signed(_claims(pool_id, "someone-else"))), 401),
        "without the scope": (_check(local_cloud, signed(_claims(pool_id, client_id, scope="openid"))), 403),
    }
    for name, (response, status) in refused.items():
        assert response.status == status, (name, response.body)
    assert local_cloud.client("dynamodb").scan(TableName=audit, Select="COUNT")["Count"] == before  # the test reads


def test_the_token_stand_in_refuses_a_wrong_secret_and_a_scope_the_client_lacks(local_cloud) -> None:
    _, client_id, secret = _device(local_cloud)
    assert _token(local_cloud, client_id, secret + "x").json() == {"error": "invalid_client"}
    assert _token(local_cloud, client_id, secret, scope="permits/admin").json() == {"error": "invalid_scope"}
    assert _token(local_cloud, client_id, secret, scope="permits/check").status == 200
    assert json.loads(_token(local_cloud, "no-such-client", secret).body) == {"error": "invalid_client"}


def test_the_devices_pool_is_not_a_staff_pool_and_has_no_people(local_cloud) -> None:
    pool_id, _, _ = _device(local_cloud)
    assert pool_id not in {pool.user_pool_id for pool in local_cloud.staff_pools}
    assert local_cloud.client("cognito-idp").list_users(UserPoolId=pool_id)["Users"] == []
