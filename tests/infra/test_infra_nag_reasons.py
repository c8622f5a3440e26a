"""cdk-nag reasons say what is true: each public route's APIG4 reason names what protects it, and it holds.

The events topic's SNS2 reason ("identifiers only") is held by tests/unit/functions/test_event_contracts.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared import origin_verify

pytestmark = pytest.mark.infra


def _apig4_routes(synth, concern: str) -> list[tuple[Any, str]]:
    """(route, reason) for every route of this stack whose AwsSolutions-APIG4 finding is suppressed."""
    found = []
    for route in synth.resources("AWS::ApiGatewayV2::Route"):
        if route.stack != synth.stack(concern):
            continue
        for rule in route.body.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            if rule["id"] == "AwsSolutions-APIG4":
                found.append((route, rule["reason"]))
    return found


def _function_behind(synth, route) -> Any:
    integration = synth.get(synth.refers_to(route.stack, route.props["Target"]["Fn::Join"][1][1]))
    return synth.get(synth.refers_to(integration.stack, integration.props["IntegrationUri"]))


@pytest.mark.parametrize("concern", ["Web", "Api"])
def test_public_route_reasons_name_the_origin_check_and_the_waf_and_both_hold(synth, concern):
    routes = _apig4_routes(synth, concern)
    assert routes
    (distribution,) = synth.resources("AWS::CloudFront::Distribution")
    assert distribution.props["DistributionConfig"]["WebACLId"]  # the WAF really is in front
    for route, reason in routes:
        assert "origin-verify" in reason, (route.props["RouteKey"], reason)
        assert "WAF" in reason, (route.props["RouteKey"], reason)
        assert "AuthorizerId" not in route.props
        function = _function_behind(synth, route)
        # The origin check the reason relies on is on: the function knows the secret it compares the header with.
        assert origin_verify.ENVIRONMENT_VARIABLE in function.props["Environment"]["Variables"], route.props
        if concern == "Web":
            # The web's routes serve no staff pages (the old reason said they had a sign-in of their own).
            assert "staff pages have their own sign-in" not in reason
