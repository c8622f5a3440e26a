"""The staff console in the synthesized templates: its /staff routes, its function's exact grants, Cognito's managed
login for it (code flow only, no implicit flow, no client secret), its groups, and how CloudFront reaches it."""

from __future__ import annotations

import json

import pytest

from console.casework import RETURN_VALUES
from console.permissions import ROLE_GROUP_PREFIX, TEAM_GROUP_PREFIX, roles, team_slug
from console.queue import QUEUE_FIELDS, QUEUE_INDEX
from console.settings import ConsoleSettings
from shared.catalogue import load_catalogue
from shared.requests_repo import STAFF_WRITE_ATTRIBUTES
from shared.settings import LOCAL_CLOUD_VARIABLE, load
from stacks.constructs.web_assets import ensure_assets

pytestmark = pytest.mark.infra
HANDLER = "console.handler.handler"


def _console(synth):
    (function,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == HANDLER]
    return function


def test_the_staff_routes_go_to_the_console_function_without_a_gateway_authorizer(synth):
    function = _console(synth)
    routes = {r.props["RouteKey"]: r for r in synth.resources("AWS::ApiGatewayV2::Route")}
    for key in ("ANY /staff", "ANY /staff/{proxy+}"):
        route = routes[key]
        integration = synth.get(synth.refers_to(route.stack, route.props["Target"]["Fn::Join"][1][1]))
        assert synth.refers_to(integration.stack, integration.props["IntegrationUri"]) == function.id
        assert "AuthorizerId" not in route.props  # the console checks its own cookies and permissions


def test_cloudfront_sends_staff_pages_to_the_api_uncached_with_cookies_and_query_strings(synth):
    (distribution,) = synth.resources("AWS::CloudFront::Distribution")
    config = distribution.props["DistributionConfig"]
    assert not any(b["PathPattern"].startswith("/staff") for b in config.get("CacheBehaviors", []))
    default = config["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert default["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    assert "POST" in default["AllowedMethods"]


def test_the_console_function_reads_the_requests_table_by_key_and_its_indexes_only(synth):
    console = _console(synth)
    (table,) = [t for t in synth.resources("AWS::DynamoDB::Table") if "Requests" in t.logical_id]
    # (action, resource) pairs on the Requests table: CDK merges statements (the Kpis table's Query, the audit's),
    # so each resource is judged alone
    requests = [
        (action, resource)
        for s in synth.role_statements(console)
        for action in _list(s["Action"])
        if str(action).startswith("dynamodb:")
        for resource in _list(s["Resource"])
        if table.id in set(synth.references(console.stack, resource))
    ]
    assert sorted({action for action, _ in requests}) == [
        "dynamodb:BatchGetItem",  # the queue rows' versions (console/queue.py `versions`), on the table only
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    ]
    # the queue's team index, and search by postcode and email (tests/infra/test_infra_records.py)
    assert sorted(str(r["Fn::Join"][1][-1]) for a, r in requests if a == "dynamodb:Query") == sorted(
        f"/index/{index}" for index in (QUEUE_INDEX, "by-postcode-key", "by-email-key")
    )
    (item_read,) = [r for a, r in requests if a == "dynamodb:GetItem"]
    assert "/index/" not in json.dumps(item_read)
    (batch_read,) = [r for a, r in requests if a == "dynamodb:BatchGetItem"]
    assert batch_read == item_read
    everything = [a for a, _ in requests]
    # case working's one conditioned UpdateItem (test_the_console_updates_only_staff_attributes...); never Put/Delete
    assert not [a for a in everything if a.startswith(("dynamodb:Put", "dynamodb:Delete", "dynamodb:BatchWrite"))]
    assert "dynamodb:Scan" not in everything


def test_the_console_updates_cases_only_in_the_attributes_a_staff_change_writes(synth):
    """Case working writes through UpdateItem on the table (not an index), limited by condition to the staff write's
    attributes (never the answers, location or contact) and to returning only what it wrote."""
    statements = synth.role_statements(_console(synth))
    (update,) = [s for s in statements if "dynamodb:UpdateItem" in _list(s["Action"])]
    assert _list(update["Action"]) == ["dynamodb:UpdateItem"]
    (requests,) = [t for t in synth.resources("AWS::DynamoDB::Table") if "Requests" in t.logical_id]
    assert set(synth.references(_console(synth).stack, update["Resource"])) == {requests.id}
    allowed = set(update["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"])
    assert allowed == set(STAFF_WRITE_ATTRIBUTES)
    assert not allowed & {"answers", "contact", "location", "team", "expires_at", "channel"}
    # the SLA clock: a wait on the resident is stored, and its end moves the due date (shared/case_changes.py)
    assert {"due_date", "waiting_since"} <= allowed
    assert set(update["Condition"]["StringEqualsIfExists"]["dynamodb:ReturnValues"]) == {"NONE", "UPDATED_NEW"}
    assert RETURN_VALUES in {"NONE", "UPDATED_NEW"}  # what the console asks for is what its grant allows


def test_every_attribute_a_staff_write_names_is_in_the_grant(monkeypatch):
    """The attributes the repository's staff writes name, as IAM reads them (the local cloud's reading,
    local/access_requests.py), are the ones the grant lists."""
    from local.access_requests import dynamodb_condition_context
    from shared import requests_repo
    from shared.events import EventType, new_event

    seen: set[str] = set()

    class Table:
        def update_item(self, **call):
            seen.update(dynamodb_condition_context("UpdateItem", call)["dynamodb:Attributes"])
            return {"Attributes": {}}

    monkeypatch.setattr(requests_repo.aws, "table", lambda name: Table())
    repo = requests_repo.RequestsRepository("requests")
    event = new_event(EventType.STATUS_CHANGED, source="t", correlation_id="c", data={})
    note = {"at": "t", "note": "n"}
    repo.set_status(
        "R", expected="a", status="b", entry={"at": "t"}, position=1, event=event, internal_note=note, version=2
    )
    repo.set_status(
        "R", expected="b", status="c", entry={"at": "t"}, position=2, event=event, version=3, waiting_since="t"
    )
    repo.set_status(
        "R", expected="c", status="d", entry={"at": "t"}, position=3, event=event, version=4, end_wait=True,
        move_due=("2026-12-16", "2026-12-18"),
    )  # fmt: skip
    repo.staff_change("R", version=1, entry={"at": "t"}, assignee=("s", "e"), internal_note=note)
    repo.staff_change("R", version=0, entry={"at": "t"}, unassign=True)
    assert seen == set(STAFF_WRITE_ATTRIBUTES)


def test_the_console_reads_only_group_membership_of_its_own_user_pool(synth):
    statements = synth.role_statements(_console(synth))
    cognito = [s for s in statements if any(str(a).startswith("cognito-idp:") for a in _list(s["Action"]))]
    assert [_list(s["Action"]) for s in cognito] == [["cognito-idp:ListUsersInGroup"]]
    # the staff pool (the permits stack's devices pool holds no people)
    (pool,) = [p for p in synth.resources("AWS::Cognito::UserPool") if "Permits" not in p.id.stack]
    assert set(synth.references(_console(synth).stack, cognito[0]["Resource"])) == {pool.id}
    variables = _console(synth).props["Environment"]["Variables"]
    assert synth.refers_to(_console(synth).stack, variables["STAFF_USER_POOL_ID"]) == pool.id


def test_the_team_index_projects_only_the_queues_fields(synth):
    (requests,) = [t for t in synth.resources("AWS::DynamoDB::Table") if "Requests" in t.logical_id]
    (index,) = [i for i in requests.props["GlobalSecondaryIndexes"] if i["IndexName"] == QUEUE_INDEX]
    assert [k["AttributeName"] for k in index["KeySchema"]] == ["team", "due_date"]
    assert index["Projection"]["ProjectionType"] == "INCLUDE"
    keys = {"reference", "team", "due_date"}
    assert set(index["Projection"]["NonKeyAttributes"]) | keys == set(QUEUE_FIELDS) | keys


def test_the_console_client_uses_the_code_flow_only_with_no_secret(synth):
    (client,) = [c for c in synth.resources("AWS::Cognito::UserPoolClient") if "ConsoleClient" in c.logical_id]
    props = client.props
    assert props["AllowedOAuthFlows"] == ["code"]  # no implicit flow, no client credentials
    assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert props["GenerateSecret"] is False  # a public client: PKCE, not a secret
    assert set(props["AllowedOAuthScopes"]) == {"openid", "email"}
    assert props["EnableTokenRevocation"] is True
    assert not [f for f in props["ExplicitAuthFlows"] if "PASSWORD" in f]
    assert props["CallbackURLs"][0]["Fn::Join"][1][-1] == "/staff/callback"
    assert props["LogoutURLs"][0]["Fn::Join"][1][-1] == "/staff/signed-out"
    assert props["RefreshTokenValidity"] == 8 * 60
    assert props["TokenValidityUnits"]["RefreshToken"] == "minutes"
    (domain,) = [d for d in synth.resources("AWS::Cognito::UserPoolDomain") if d.stack == synth.stack("Console")]
    assert domain.props["Domain"] == f"borough-{synth.environment}-staff"
    assert synth.refers_to(domain.stack, domain.props["UserPoolId"]) == synth.refers_to(
        client.stack, props["UserPoolId"]
    )


def test_every_role_and_every_catalogue_team_has_its_group(synth):
    groups = {g.props["GroupName"] for g in synth.resources("AWS::Cognito::UserPoolGroup")}
    assert {ROLE_GROUP_PREFIX + role for role in roles()} <= groups
    teams = {definition.team for definition in load_catalogue().values()}
    assert {TEAM_GROUP_PREFIX + team_slug(team) for team in teams} <= groups


def test_mfa_is_required_in_production(prod):
    (pool,) = [p for p in prod.resources("AWS::Cognito::UserPool") if p.stack == prod.stack("Auth")]
    assert pool.props["MfaConfiguration"] == "ON"
    assert pool.props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_the_console_environment_fits_its_settings_model(synth, monkeypatch):
    variables = _console(synth).props["Environment"]["Variables"]
    assert LOCAL_CLOUD_VARIABLE not in variables
    assert "SIGNING_KEY" not in variables
    for name in ConsoleSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value if isinstance(value, str) else f"resolved-{name.lower()}")
    configured = load(ConsoleSettings)
    assert configured.staff_client_id
    assert configured.stylesheet.startswith("/assets/console.")  # its own (GOV.UK + MoJ Frontend), fingerprinted
    assert (ensure_assets() / configured.stylesheet.removeprefix("/assets/")).is_file()


def _audit_table(synth):
    (audit,) = [t for t in synth.resources("AWS::DynamoDB::Table") if t.logical_id.startswith("Audit")]
    return audit


def test_the_audit_record_is_append_only_for_every_role(synth):
    audit = _audit_table(synth)
    assert [k["AttributeName"] for k in audit.props["KeySchema"]] == ["record", "entry"]
    assert audit.props["SSESpecification"]["SSEEnabled"] is True
    assert audit.props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    writers = set()
    for policy in synth.resources("AWS::IAM::Policy"):
        for statement in policy.props["PolicyDocument"]["Statement"]:
            if audit.id not in set(synth.references(policy.stack, statement.get("Resource"))):
                continue
            actions = set(_list(statement["Action"]))
            # appends, and reads one record's entries (the subject access export): never an update or a delete
            assert not {a for a in actions if a.startswith("dynamodb:")} - {"dynamodb:PutItem", "dynamodb:Query"}
            assert "*" not in str(actions)
            writers.add(policy.id)
    assert len(writers) == 1  # the console's role, and only it


def test_the_audit_record_is_protected_from_deletion_in_production(prod):
    audit = _audit_table(prod)
    assert audit.props["DeletionProtectionEnabled"] is True
    assert audit.body["DeletionPolicy"] == "Retain"


def _list(value):
    return value if isinstance(value, list) else [value]


def test_the_console_reads_only_the_uploads_bucket_s_clean_prefix(synth):
    """s3:GetObject (HEAD, and the presigned GET of a download) on the uploads bucket's uploads/ objects: nothing
    else in S3 (no list, no write, no tags, never the quarantine bucket), and the bucket is named to it."""
    console = _console(synth)
    statements = [
        s for s in synth.role_statements(console) if any(str(a).startswith("s3:") for a in _list(s["Action"]))
    ]
    assert [_list(s["Action"]) for s in statements] == [["s3:GetObject"]]
    resource = statements[0]["Resource"]
    # The uploads bucket: the one the web function copies clean files to (its CLEAN_BUCKET).
    (web,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "web.handler.handler"]
    bucket = synth.get(synth.refers_to(web.stack, web.props["Environment"]["Variables"]["CLEAN_BUCKET"]))
    assert set(synth.references(console.stack, resource)) == {bucket.id}
    assert resource["Fn::Join"][1][-1] == "/uploads/*"  # that prefix's objects only, not the whole bucket
    variables = console.props["Environment"]["Variables"]
    assert synth.refers_to(console.stack, variables["UPLOADS_BUCKET"]) == bucket.id
