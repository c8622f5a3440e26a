"""A staff pool on moto's Cognito (real signed tokens), the Requests table with its queue index, and the console's
resolver built on them, with a stand-in for Cognito's OAuth endpoints (moto has none)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import jwt
import pytest
from moto import mock_aws

from console import app, session
from console.audit import AuditLog
from console.kpi_counters import KpiCounters
from console.kpi_pages import KpiPages
from console.oauth import OAuthFailed
from console.pages import Pages
from console.permissions import ROLE_GROUP_PREFIX, TEAM_GROUP_PREFIX, roles
from console.queue import QUEUE_INDEX, CaseQueue
from console.tokens import TokenVerifier
from console.views import Views
from shared import aws, settings
from tests.helpers import http_event

PASSWORD = "Staff-Test-Password-1!"
SIGNING_KEY = b"console-unit-test-key"


def moto_keys() -> dict[str, Any]:
    from moto.utilities.utils import load_resource

    keys = load_resource("cognitoidp/resources/jwks-public.json")["keys"]
    return {key["kid"]: jwt.PyJWK.from_json(json.dumps(key)).key for key in keys}


@dataclass
class FakeLogin:
    """Cognito's managed login as the console sees it: records calls, answers with real moto tokens."""

    tokens: dict[str, Any] = field(default_factory=dict)
    refreshed: dict[str, Any] | None = None
    revoked: list[str] = field(default_factory=list)
    exchanged: list[tuple[str, str]] = field(default_factory=list)

    def authorize_url(self, *, state: str, challenge: str) -> str:
        return f"https://login.example/oauth2/authorize?state={state}&code_challenge={challenge}"

    def logout_url(self) -> str:
        return "https://login.example/logout"

    def exchange_code(self, code: str, verifier: str) -> dict[str, Any]:
        self.exchanged.append((code, verifier))
        if code != "good-code":
            raise OAuthFailed("invalid_grant")
        return self.tokens

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        if self.refreshed is None or refresh_token in self.revoked:
            raise OAuthFailed("invalid_grant")
        return self.refreshed

    def revoke(self, refresh_token: str) -> None:
        self.revoked.append(refresh_token)


class Console:
    def __init__(self, pool_id: str, client_id: str) -> None:
        self.pool_id, self.client_id = pool_id, client_id
        self.cognito = boto3.client("cognito-idp")
        self.login = FakeLogin()
        self.issuer = f"https://cognito-idp.eu-west-2.amazonaws.com/{pool_id}"
        self.guard = app.Guard(
            TokenVerifier(self.issuer, client_id, moto_keys),
            self.login,  # type: ignore[arg-type]
            session.Signer(SIGNING_KEY),
        )
        self.table = boto3.resource("dynamodb").Table("requests")
        self.audit = boto3.resource("dynamodb").Table("audit")
        self.pages = pages = Pages(
            self.guard,
            CaseQueue("requests"),
            AuditLog("audit"),
            council="Test council",
            stylesheet="/assets/app.css",
        )
        self.kpis = KpiCounters("kpis")
        self.resolver = app.build(self.guard, Views(pages, KpiPages(pages, self.kpis)), pages.refused)

    def staff(self, name: str, *, roles: tuple[str, ...] = (), teams: tuple[str, ...] = ()) -> dict[str, str]:
        """A member of staff in these roles and teams; their Cognito tokens."""
        username = f"{name}@example.org"
        self.cognito.admin_create_user(
            UserPoolId=self.pool_id,
            Username=username,
            UserAttributes=[{"Name": "email", "Value": username}],
            MessageAction="SUPPRESS",
        )
        self.cognito.admin_set_user_password(
            UserPoolId=self.pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        for group in [ROLE_GROUP_PREFIX + r for r in roles] + [TEAM_GROUP_PREFIX + t for t in teams]:
            self.cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=username, GroupName=group)
        result = self.cognito.admin_initiate_auth(
            UserPoolId=self.pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        return {"id_token": result["IdToken"], "refresh_token": result["RefreshToken"]}

    def get(self, path: str, tokens: dict[str, str] | None = None, **query: str) -> dict[str, Any]:
        return self.request("GET", path, tokens, query=query)

    def post(self, path: str, tokens: dict[str, str] | None, form: dict[str, str]) -> dict[str, Any]:
        import urllib.parse

        return self.request("POST", path, tokens, body=urllib.parse.urlencode(form))

    def request(
        self,
        method: str,
        path: str,
        tokens: dict[str, str] | None,
        *,
        query: dict[str, str] | None = None,
        body: str | None = None,
        cookies: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        event = http_event(method, path, body=body, headers={"content-type": "application/x-www-form-urlencoded"})
        jar = dict(cookies or {})
        if tokens:
            jar[session.ID_COOKIE] = tokens["id_token"]
            jar[session.REFRESH_COOKIE] = tokens["refresh_token"]
        event["cookies"] = [f"{k}={v}" for k, v in jar.items()]
        event["queryStringParameters"] = query or None
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in (query or {}).items())
        from tests.helpers import FakeContext

        result: dict[str, Any] = self.resolver.resolve(event, FakeContext())
        return result

    def csrf(self, tokens: dict[str, str]) -> str:
        return self.guard.signer.csrf_token(tokens["refresh_token"])

    def add_case(self, reference: str, *, team: str, due: str, status: str = "received", **more: Any) -> None:
        self.table.put_item(
            Item={
                "reference": reference,
                "team": team,
                "due_date": due,
                "status": status,
                "service_id": more.pop("service_id", "report-a-pothole"),
                "service_title": "Report a pothole",
                "channel": more.pop("channel", "web"),
                "answers": {"description": "personal text"},
                **more,
            }
        )


@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    with mock_aws():
        aws.reset()
        settings.reset()
        cognito = boto3.client("cognito-idp")
        pool_id = cognito.create_user_pool(PoolName="staff", UsernameAttributes=["email"])["UserPool"]["Id"]
        client_id = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="console", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
        )["UserPoolClient"]["ClientId"]
        for role in roles():
            cognito.create_group(UserPoolId=pool_id, GroupName=ROLE_GROUP_PREFIX + role)
        for team in ("street-scene", "waste-services", "street-cleansing"):
            cognito.create_group(UserPoolId=pool_id, GroupName=TEAM_GROUP_PREFIX + team)
        boto3.client("dynamodb").create_table(
            TableName="requests",
            KeySchema=[{"AttributeName": "reference", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"} for name in ("reference", "team", "due_date")
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": QUEUE_INDEX,
                    "KeySchema": [
                        {"AttributeName": "team", "KeyType": "HASH"},
                        {"AttributeName": "due_date", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("dynamodb").create_table(
            TableName="audit",
            KeySchema=[{"AttributeName": "record", "KeyType": "HASH"}, {"AttributeName": "entry", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("record", "entry")],
            BillingMode="PAY_PER_REQUEST",
        )
        boto3.client("dynamodb").create_table(
            TableName="kpis",
            KeySchema=[{"AttributeName": "bucket", "KeyType": "HASH"}, {"AttributeName": "metric", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("bucket", "metric")],
            BillingMode="PAY_PER_REQUEST",
        )
        yield Console(pool_id, client_id)
