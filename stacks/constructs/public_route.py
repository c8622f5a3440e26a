"""A route on the HTTP API without the gateway's JWT authorizer: its function authenticates (or serves the public)
itself, so cdk-nag's APIG4 finding is suppressed on that one route with the reason that says what protects it."""

from __future__ import annotations

from aws_cdk import aws_apigatewayv2 as apigw
from constructs import Construct

from stacks.constructs.nag import suppress


def public_route(
    scope: Construct,
    construct_id: str,
    *,
    http_api: apigw.IHttpApi,
    route_key: str,
    integration: apigw.HttpRouteIntegration,
    reason: str,
) -> apigw.HttpRoute:
    """`route_key` is `METHOD /path` as in stacks/routes.py."""
    method, path = route_key.split(" ", 1)
    route = apigw.HttpRoute(
        scope,
        construct_id,
        http_api=http_api,
        route_key=apigw.HttpRouteKey.with_(path, apigw.HttpMethod[method]),
        integration=integration,
    )
    suppress(route.node.default_child, "AwsSolutions-APIG4", reason)
    return route
