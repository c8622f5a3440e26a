"""The enforcement look-up's own throttle (docs/permits.md "Rate limits"): each check route gets the configured rate
and burst on the API's `$default` stage, set from the permits stack once the route exists (the API stack's stage
cannot name a route another stack creates later: API Gateway refuses it at the first deployment)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from stacks.config import EnvironmentConfig
from stacks.routes import PERMITS_CHECK_ROUTES, PERMITS_FEED_ROUTES

CHECK_THROTTLE = {"dev": (10, 20), "prod": (25, 50)}  # cdk.json: permits_check_throttle_rate, _burst
API_ID = "<the API's id>"


def _joined(value: Any) -> str:
    """A `Fn::Join` of literal text and the API's imported id, with the id written as API_ID."""
    if isinstance(value, str):
        return value
    (parts,) = value.values()
    separator, pieces = parts
    assert separator == ""
    for piece in pieces:
        if not isinstance(piece, str):
            assert set(piece) == {"Fn::ImportValue"}, piece
    return "".join(piece if isinstance(piece, str) else API_ID for piece in pieces)


def _throttles(synth) -> dict[str, Any]:
    """Route key -> its Custom::AWS resource in the permits stack."""
    found = {}
    for resource in synth.resources("Custom::AWS"):
        assert resource.stack == synth.stack("Permits"), resource.id
        create = json.loads(_joined(resource.props["Create"]))
        (route_key,) = create["parameters"]["RouteSettings"]
        found[route_key] = resource
    return found


def test_each_check_route_gets_its_configured_rate_and_burst_on_the_default_stage(synth):
    rate, burst = CHECK_THROTTLE[synth.environment]
    throttles = _throttles(synth)
    assert set(throttles) == set(PERMITS_CHECK_ROUTES)  # the feed keeps the stage's throttle
    assert not set(throttles) & set(PERMITS_FEED_ROUTES)
    (stage,) = [s for s in synth.resources("AWS::ApiGatewayV2::Stage") if s.stack == synth.stack("Api")]
    assert rate < stage.props["DefaultRouteSettings"]["ThrottlingRateLimit"]
    assert burst < stage.props["DefaultRouteSettings"]["ThrottlingBurstLimit"]
    for route_key, resource in throttles.items():
        for phase in ("Create", "Update"):
            call = json.loads(_joined(resource.props[phase]))
            assert (call["service"], call["action"]) == ("ApiGatewayV2", "UpdateStage")
            assert call["parameters"] == {
                "ApiId": API_ID,
                "StageName": "$default",
                "RouteSettings": {route_key: {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}},
            }
        delete = json.loads(_joined(resource.props["Delete"]))
        assert (delete["action"], delete["parameters"]) == (
            "DeleteRouteSettings",
            {"ApiId": API_ID, "StageName": "$default", "RouteKey": route_key},
        )


def test_the_settings_are_made_after_their_route_exists_and_one_stage_update_at_a_time(synth):
    routes = {
        r.props["RouteKey"]: r.logical_id
        for r in synth.resources("AWS::ApiGatewayV2::Route")
        if r.stack == synth.stack("Permits")
    }
    throttles = _throttles(synth)
    first, second = (throttles[key] for key in PERMITS_CHECK_ROUTES)
    for route_key, resource in throttles.items():
        assert routes[route_key] in resource.body["DependsOn"], route_key
    assert first.logical_id in second.body["DependsOn"]  # API Gateway refuses concurrent stage changes


def test_the_handler_may_change_only_the_stages_route_settings(synth):
    resources = synth.templates[synth.stack("Permits")]["Resources"]
    (handler,) = [
        body
        for logical_id, body in resources.items()
        if body["Type"] == "AWS::Lambda::Function" and logical_id.startswith("AWS679f53fac002430cb0da5b7982bd2287")
    ]  # CDK's singleton AwsCustomResource handler (tests/infra/conftest.py leaves it out of `resources`)
    role = handler["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = [
        p
        for p in synth.resources("AWS::IAM::Policy")
        if p.stack == synth.stack("Permits") and {"Ref": role} in p.props["Roles"]
    ]
    assert len(policies) == len(PERMITS_CHECK_ROUTES)  # one per route, nothing else on the handler's role
    stage_arn = f"arn:aws:apigateway:eu-west-2::/apis/{API_ID}/stages/$default"
    for policy in policies:
        statements = policy.props["PolicyDocument"]["Statement"]
        granted = {(s["Effect"], s["Action"], _joined(s["Resource"])) for s in statements}
        assert granted == {
            ("Allow", "apigateway:PATCH", stage_arn),
            ("Allow", "apigateway:DELETE", f"{stage_arn}/routesettings/*"),
        }


def _config(**overrides: Any) -> EnvironmentConfig:
    settings: dict[str, Any] = {
        "name": "test",
        "council_name": "Test Borough Council",
        "council_short_name": "Test",
        "log_retention_days": 7,
        "request_retention_days": 30,
        "deletion_protection": False,
        "api_throttle_rate": 50,
        "api_throttle_burst": 100,
    }
    return EnvironmentConfig(**{**settings, **overrides})


def test_unset_the_look_up_gets_a_tenth_of_the_stages_throttle():
    assert _config().permits_check_throttle == (5, 10)
    assert _config(api_throttle_rate=1, api_throttle_burst=1).permits_check_throttle == (1, 1)
    assert _config(permits_check_throttle_rate=7, permits_check_throttle_burst=9).permits_check_throttle == (7, 9)


@pytest.mark.parametrize(("rate", "burst"), [(51, 20), (10, 101)])
def test_a_look_up_throttle_above_the_stages_is_refused_with_its_names(rate, burst):
    with pytest.raises(ValidationError, match=r"permits_check_throttle_rate/burst .* must not exceed api_throttle"):
        _config(permits_check_throttle_rate=rate, permits_check_throttle_burst=burst)
