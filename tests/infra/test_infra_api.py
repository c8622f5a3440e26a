"""The HTTP API and the triage workflow: staff routes behind the JWT authorizer, public routes open, throttled and
logged; the state machine Express, logged and traced."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk.assertions import Match

from local.assembly import ROOT
from stacks.routes import (
    CASES_PUBLIC_ROUTES,
    CASES_STAFF_ROUTES,
    CATALOGUE_ROUTES,
    CONSOLE_ROUTES,
    FALLBACK_ROUTE,
    NOTIFY_RECEIPTS_ROUTES,
    PAYMENT_WEBHOOK_ROUTES,
    PERMITS_CHECK_ROUTES,
    PERMITS_FEED_ROUTES,
    REMINDER_ROUTES,
    STAFF_REFUND_ROUTES,
    WEB_ROUTES,
)

pytestmark = pytest.mark.infra

THROTTLE = {"dev": (50, 100), "prod": (200, 400)}  # cdk.json: api_throttle_rate, api_throttle_burst
# Notify's receipts and Pay's webhooks are not for residents, but API Gateway cannot check their bearer token or
# signature: the functions do.
PUBLIC_ROUTES = (
    *CATALOGUE_ROUTES,
    *CASES_PUBLIC_ROUTES,
    FALLBACK_ROUTE,
    *WEB_ROUTES,
    *NOTIFY_RECEIPTS_ROUTES,
    *REMINDER_ROUTES,
    *CONSOLE_ROUTES,  # no gateway authorizer: the console checks its session cookie and permissions in code
    *PAYMENT_WEBHOOK_ROUTES,
)


def _routes(synth):
    return {r.props["RouteKey"]: r for r in synth.resources("AWS::ApiGatewayV2::Route")}


def test_every_declared_route_exists(synth):
    assert set(_routes(synth)) == set(
        PUBLIC_ROUTES + CASES_STAFF_ROUTES + STAFF_REFUND_ROUTES + PERMITS_CHECK_ROUTES + PERMITS_FEED_ROUTES
    )


def test_staff_routes_need_a_cognito_jwt(synth):
    """The cases PATCH and the staff refund API (payments stack) share the API stack's one staff authorizer."""
    routes = _routes(synth)
    found = set()
    for key in CASES_STAFF_ROUTES + STAFF_REFUND_ROUTES:
        route = routes[key]
        assert route.props.get("AuthorizationType") == "JWT", key
        authorizer = synth.get(synth.refers_to(route.stack, route.props["AuthorizerId"]))
        found.add(authorizer.id)
        assert authorizer.props["AuthorizerType"] == "JWT"
        assert "cognito-idp" in json.dumps(authorizer.props["JwtConfiguration"]["Issuer"])
        assert authorizer.props["JwtConfiguration"]["Audience"], key
        assert authorizer.props["IdentitySource"] == ["$request.header.Authorization"]
    assert len(found) == 1


def test_public_routes_have_no_authorizer(synth):
    routes = _routes(synth)
    for key in PUBLIC_ROUTES:
        assert routes[key].props.get("AuthorizationType", "NONE") == "NONE", key
        assert "AuthorizerId" not in routes[key].props, key


def test_the_stage_is_throttled_from_config(synth):
    rate, burst = THROTTLE[synth.environment]
    synth.template("Api").has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {"DefaultRouteSettings": Match.object_like({"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst})},
    )


def test_status_lookups_have_a_route_throttle_of_their_own_below_the_stage(synth):
    rate, burst = THROTTLE[synth.environment]
    (stage,) = [s for s in synth.resources("AWS::ApiGatewayV2::Stage") if s.stack == synth.stack("Api")]
    settings = stage.props["RouteSettings"]
    assert set(settings) == {"GET /api/v1/requests/{reference}"}
    lookup = settings["GET /api/v1/requests/{reference}"]
    assert 0 < lookup["ThrottlingRateLimit"] <= rate / 10
    assert 0 < lookup["ThrottlingBurstLimit"] <= burst / 10


def test_every_stage_writes_json_access_logs_to_a_retained_log_group(synth):
    for stage in synth.resources("AWS::ApiGatewayV2::Stage"):
        settings = stage.props["AccessLogSettings"]
        group = synth.get(synth.refers_to(stage.stack, settings["DestinationArn"]))
        assert group.body["Type"] == "AWS::Logs::LogGroup"
        assert group.props.get("RetentionInDays")
        fields = json.loads(settings["Format"])
        assert {"requestId", "ip", "routeKey", "status"} <= set(fields)


def _triage_machine(synth):
    (machine,) = [m for m in synth.resources("AWS::StepFunctions::StateMachine") if m.stack == synth.stack("Workflows")]
    return machine


def test_triage_is_an_express_state_machine_and_every_machine_logs_and_traces(synth):
    assert _triage_machine(synth).props["StateMachineType"] == "EXPRESS"
    for machine in synth.resources("AWS::StepFunctions::StateMachine"):
        props = machine.props
        assert props["TracingConfiguration"] == {"Enabled": True}, machine.id
        logging = props["LoggingConfiguration"]
        assert logging["Level"] == "ALL", machine.id
        assert logging["IncludeExecutionData"] is False, machine.id
        (destination,) = logging["Destinations"]
        group = synth.refers_to(machine.stack, destination["CloudWatchLogsLogGroup"]["LogGroupArn"])
        assert synth.get(group).body["Type"] == "AWS::Logs::LogGroup"


def test_triage_definition_invokes_the_assign_function_and_publishes_to_the_events_topic(synth):
    machine = _triage_machine(synth)
    substitutions = machine.props["DefinitionSubstitutions"]
    assign = synth.get(synth.refers_to(machine.stack, substitutions["AssignFunctionArn"]))
    assert assign.props["Handler"] == "cases.triage.assign"
    topic = synth.get(synth.refers_to(machine.stack, substitutions["EventsTopicArn"]))
    assert topic.body["Type"] == "AWS::SNS::Topic"
    assert "DefinitionS3Location" in machine.props or "DefinitionString" in machine.props
    placeholders = set(re.findall(r"\$\{(\w+)\}", (ROOT / "workflows" / "triage.asl.json").read_text()))
    assert placeholders == set(substitutions)
