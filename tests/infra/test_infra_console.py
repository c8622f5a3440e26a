"""The staff console in the synthesized templates: its /staff routes, its function's exact grants, Cognito's managed
login for it (code flow only, no implicit flow, no client secret), its groups, and how CloudFront reaches it."""

from __future__ import annotations

import pytest

from console.permissions import ROLE_GROUP_PREFIX, TEAM_GROUP_PREFIX, roles, team_slug
from console.queue import QUEUE_FIELDS, QUEUE_INDEX
from console.settings import ConsoleSettings
from shared.catalogue import load_catalogue
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


def test_the_console_function_reads_the_requests_table_by_key_and_team_index_only(synth):
    statements = synth.role_statements(_console(synth))
    dynamodb = [s for s in statements if any(str(a).startswith("dynamodb:") for a in _list(s["Action"]))]
    audit = _audit_table(synth)
    requests = [s for s in dynamodb if audit.id not in set(synth.references(_console(synth).stack, s["Resource"]))]
    actions = sorted(a for s in requests for a in _list(s["Action"]))
    assert actions == ["dynamodb:GetItem", "dynamodb:Query"]
    (query,) = [s for s in dynamodb if s["Action"] == "dynamodb:Query"]
    assert str(query["Resource"]["Fn::Join"][1][-1]) == f"/index/{QUEUE_INDEX}"
    everything = [a for s in requests for a in _list(s["Action"])]
    assert not [a for a in everything if a.startswith(("dynamodb:Put", "dynamodb:Update", "dynamodb:Delete"))]
    assert "dynamodb:Scan" not in everything


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
    (domain,) = synth.resources("AWS::Cognito::UserPoolDomain")
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
    (pool,) = prod.resources("AWS::Cognito::UserPool")
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
            assert not {a for a in actions if a.startswith("dynamodb:") and a != "dynamodb:PutItem"}, actions
            assert "*" not in str(actions)
            writers.add(policy.id)
    assert len(writers) == 1  # the console's role, and only it


def test_the_audit_record_is_protected_from_deletion_in_production(prod):
    audit = _audit_table(prod)
    assert audit.props["DeletionProtectionEnabled"] is True
    assert audit.body["DeletionPolicy"] == "Retain"


def _list(value):
    return value if isinstance(value, list) else [value]
