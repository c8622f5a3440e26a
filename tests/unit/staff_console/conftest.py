"""A staff pool on moto's Cognito (real signed tokens), the Requests table with its queue index, and the console's
resolver built on them, with a stand-in for Cognito's OAuth endpoints (moto has none)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import boto3
import jwt
import pytest
from moto import mock_aws

from console import app, session
from console.assisted_pages import AssistedPages, Submitted
from console.assisted_payments import PaymentPages
from console.attachments import AttachmentDownloads, AttachmentsPanel, S3CleanStore
from console.audit import AuditLog
from console.bulk_assign import BulkAssign, BulkAssignPages
from console.casework import Casework, CaseworkPanel
from console.finance_pages import FinancePages
from console.kpi_counters import KpiCounters
from console.kpi_pages import KpiPages
from console.oauth import OAuthFailed
from console.pages import Pages
from console.payment_due import PaymentDueReader
from console.payments_panel import PaymentsPanel, RefundViews
from console.permissions import ROLE_GROUP_PREFIX, TEAM_GROUP_PREFIX, roles
from console.permit_apply import PermitApplyPages
from console.permit_pages import Answer as PermitsAnswer
from console.permit_pages import PermitPages
from console.queue import QUEUE_FIELDS, QUEUE_INDEX, CaseQueue
from console.records import Records
from console.search_index import INDEXES, SearchIndex
from console.team_members import TeamMembers
from console.tokens import TokenVerifier
from console.views import Views
from shared import aws, settings
from shared.requests_repo import RequestsRepository
from shared.search_keys import SearchKeys
from tests.helpers import http_event
from tests.unit.permits.permits_support import create_permits_table

PASSWORD = "Staff-Test-Password-1!"
SIGNING_KEY = b"console-unit-test-key"
SEARCH_KEY = b"console-unit-test-search-key"
UPLOADS_BUCKET = "uploads"  # the residents' scanned-clean files
PERMITS_TABLE = "permits"  # the permits service's table, read only through InProcessPermits (as PermitsStaff)


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


class _NoSubmitter:
    def submit(self, payload: dict[str, Any]) -> Submitted:
        raise AssertionError("this test submits nothing for a resident")

    def take(self, reference: str, card: dict[str, str], *, correlation_id: str) -> Submitted:
        return Submitted(422, {"detail": "Check the card details.", "errors": [{"field": "cvc", "message": "x"}]})

    def status(self, reference: str, *, correlation_id: str) -> Submitted:
        return Submitted(200, {"outcome": "not-payable"})


class InProcessPermits:
    """The permits service's PermitsStaff function, in process against moto's Permits table (what the console asks
    of it: permits/staff_handler.py), recording each event."""

    def __init__(self, table_name: str) -> None:
        from permits.staff import StaffPermits
        from permits.zones import load_zones

        self.orders: list[tuple[str, str, str, int]] = []  # register-order, recorded (a correction's charge)
        self.refunds: list[Any] = []  # payments' refund-order as the permits service asks it (recorded, not sent)
        self.refuse = ""  # a problem payments answers with instead (permits.refund_client.RefundNotMade)
        self.service = StaffPermits(
            table=boto3.resource("dynamodb").Table(table_name),
            zones=load_zones(),
            register_order=lambda *order: self.orders.append(order),
            refund=self._refund,
        )
        self.events: list[dict[str, Any]] = []

    def _refund(self, ask: Any) -> str:
        from permits.refund_client import RefundNotMade

        if self.refuse:
            raise RefundNotMade(self.refuse)
        self.refunds.append(ask)
        return "submitted"

    def __call__(self, event: dict[str, Any]) -> PermitsAnswer:
        from permits.staff_handler import answer

        self.events.append(event)
        manage = frozenset(name for name, role in roles().items() if "manage-permits" in role.permissions)
        result = json.loads(json.dumps(answer(self.service, event, manage_roles=manage)))
        return PermitsAnswer(int(result["status"]), result["body"])


class InProcessApplications:
    """The permits service's applications function's `apply`, in process against moto's Permits table, with the
    permit tests' DVLA stand-in and the orders it registers with payments recorded (not sent)."""

    def __init__(self, table_name: str) -> None:
        from permits.application import Applications
        from permits.store import PermitsStore
        from permits.zones import load_zones
        from tests.unit.permits.test_application import Dvla

        self.orders: list[tuple[str, int]] = []
        self.events: list[dict[str, Any]] = []
        self.service = Applications(
            zones=load_zones(),
            store=PermitsStore(boto3.resource("dynamodb").Table(table_name)),
            vehicles=Dvla,
            register_payment=lambda made: self.orders.append((made.reference, made.pence)),
        )

    def __call__(self, event: dict[str, Any]) -> PermitsAnswer:
        from permits.application_handler import apply_answer

        self.events.append(event)
        result = json.loads(json.dumps(apply_answer(self.service, event["application"])))
        return PermitsAnswer(int(result["status"]), result["body"])


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
        self.members = TeamMembers(pool_id, ttl_seconds=0)  # read afresh: tests add staff as they go
        self.build()

    def build(self, staff_payments: Any = None) -> None:
        """The resolver as console/handler.py builds it, with `staff_payments` as the payments service (none: the
        payments panel says it is not connected)."""
        self.payments_panel = panel = PaymentsPanel(staff_payments)
        queue, audit = CaseQueue("requests"), AuditLog("audit")
        self.clean_store = S3CleanStore(UPLOADS_BUCKET)
        self.pages = pages = Pages(
            self.guard,
            queue,
            audit,
            council="Test council",
            stylesheet="/assets/app.css",
            script="/assets/console.js",
            panels=[CaseworkPanel(self.members), AttachmentsPanel(self.clean_store), panel],
            members=self.members,
            staff_names=self.members.names,
        )
        self.casework = Casework(RequestsRepository("requests"), audit, pages.render, self.members)
        self.bulk = BulkAssign(RequestsRepository("requests"), audit, self.members)
        bulk_pages = BulkAssignPages(self.bulk, self.guard.signer, pages.render)
        refunds = RefundViews(panel, queue, audit, pages.case)
        self.keys = SearchKeys(SEARCH_KEY)
        self.records = Records(pages, queue, SearchIndex("requests"), audit, lambda: self.keys)
        # Assisted digital's pages (tests/unit/staff_console/test_assisted.py gives them a working submitter).
        self.assisted = AssistedPages(pages, pages.audit, _NoSubmitter())
        self.due = PaymentDueReader("requests")
        self.moto = PaymentPages(pages, pages.audit, _NoSubmitter(), self.due)  # type: ignore[arg-type]
        self.kpis = KpiCounters("kpis")
        self.permits = InProcessPermits(PERMITS_TABLE)
        self.permit_pages = PermitPages(pages, audit, self.permits, evidence=self.clean_store)
        self.applications = InProcessApplications(PERMITS_TABLE)
        self.permit_apply = PermitApplyPages(pages, audit, self.applications, _NoSubmitter())
        # Every section as console/handler.py has them (tests replace one with `with_section`).
        self.sections: list[Any] = [
            pages,
            self.casework,
            bulk_pages,
            refunds,
            FinancePages(pages, staff_payments),
            self.records,
            self.assisted,
            self.moto,
            KpiPages(pages, self.kpis),
            AttachmentDownloads(queue, audit, self.clean_store, pages.render),
            self.permit_pages,
            self.permit_apply,
        ]
        views = Views(*self.sections)
        self.resolver = app.build(self.guard, views, pages.refused)

    def with_section(self, old: Any, new: Any) -> None:
        """The resolver again, with section `old` replaced by `new` (e.g. assisted pages with a working submitter)."""
        self.sections = [new if section is old else section for section in self.sections]
        self.resolver = app.build(self.guard, Views(*self.sections), self.pages.refused)

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

    def add_permit(self, reference: str, *, vrm: str = "LB19PTR", zone: str = "B", declared: bool = True) -> str:
        """An issued permit of application `reference` (active, its VRM guard held; put over any before, so a test
        may revoke it again); `declared`: its vehicle details were declared and need verifying. Its permit id."""
        from permits.issuing import permit_id_for

        permits = boto3.resource("dynamodb").Table(PERMITS_TABLE)
        permit_id = permit_id_for(reference)
        permits.put_item(
            Item={
                "pk": f"APPLICATION#{reference}", "sk": "APPLICATION", "record": "APPLICATION",
                "reference": reference, "status": "issued", "mark": vrm, "permit_zone": zone, "kind": "resident",
                "months": 12, "valid_from": "2026-06-01", "valid_to": "2027-05-31", "amount_pence": 9000,
                "reasons": ["A resident permit in Hopfield costs £90.00 for 12 months."], "uprn": "100000000001",
                "vehicle_source": "declared" if declared else "dvla", "needs_verification": declared,
                "vehicle": {"make": "FORD", "colour": "BLUE", "fuel": "PETROL"}, "household_limit": 2,
                "counts_towards_limit": False, "created_at": "2026-06-01T10:00:00+00:00",
                "paid_at": "2026-06-01T10:05:00+00:00", "issued_at": "2026-06-01T10:05:00+00:00",
                "payment_id": "pay1", "permit_id": permit_id,
            }
        )  # fmt: skip
        permits.put_item(
            Item={
                "pk": f"PERMIT#{permit_id}", "sk": "PERMIT", "record": "PERMIT", "permit_id": permit_id, "vrm": vrm,
                "zone": zone, "kind": "resident", "valid_from": "2026-06-01", "valid_to": "2027-05-31",
                "status": "active", "household": "100000000001", "counts_towards_limit": False,
                "reference": reference,
            }
        )  # fmt: skip
        permits.put_item(Item={"pk": f"ACTIVE#{zone}#{vrm}", "sk": "GUARD", "permit_id": permit_id})
        return permit_id

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
                "history": [{"status": status, "at": "2026-11-20T10:00:00+00:00"}],
                **more,
            }
        )


@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch) -> Iterator[Console]:
    with console_on_moto() as built:
        yield built


@contextmanager
def console_on_moto() -> Iterator[Console]:
    """The staff pool, the console's tables and the console on moto (also what bench/bench_console.py times)."""
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
                {"AttributeName": name, "AttributeType": "S"}
                for name in ("reference", "team", "due_date", "submitted_at", *(key for _, key in INDEXES.values()))
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": partition, "KeyType": "HASH"},
                        {"AttributeName": sort, "KeyType": "RANGE"},
                    ],
                    # What stacks/data_stack.py projects: the queue's fields (not answers, history or notes).
                    "Projection": {
                        "ProjectionType": "INCLUDE",
                        "NonKeyAttributes": [f for f in QUEUE_FIELDS if f not in (partition, sort, "reference")],
                    },
                }
                for index, partition, sort in [
                    (QUEUE_INDEX, "team", "due_date"),
                    *((index, key, "submitted_at") for index, key in INDEXES.values()),
                ]
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
        create_permits_table(boto3.resource("dynamodb"), PERMITS_TABLE)
        boto3.client("s3").create_bucket(
            Bucket=UPLOADS_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        yield Console(pool_id, client_id)


@contextmanager
def aws_calls() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every AWS call made inside, as (operation, parameters): to check what the console asks of DynamoDB."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    calls: list[tuple[str, dict[str, Any]]] = []

    def call(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, params))
        return original(self, operation, params)

    with mock.patch.object(BaseClient, "_make_api_call", call):
        yield calls
