"""Provisioners for the API's front: Cognito user pools, clients and groups; API Gateway v2 (HTTP APIs), which the
local gateway (`local.gateway`) serves from the inventory.
"""

from __future__ import annotations

from typing import Any

from local.intrinsics import Provisioned
from local.model import Context, Provisioner, api_call


# -- Cognito --------------------------------------------------------------------------------------------------------
def user_pool(context: Context, props: dict[str, Any]) -> Provisioned:
    cognito = context.client("cognito-idp")
    name = props.get("UserPoolName") or context.name(128)
    params = {**props, "PoolName": name}
    for key in ("UserPoolTier", "UserPoolAddOns", "EnabledMfas"):
        params.pop(key, None)  # moto ignores or rejects these; MFA stays optional locally
    pool = api_call(cognito, "CreateUserPool", params)["UserPool"]
    attributes = {
        "Arn": pool["Arn"],
        "ProviderName": f"cognito-idp.{pool['Id'].split('_')[0]}.amazonaws.com/{pool['Id']}",
        "ProviderURL": f"https://cognito-idp.{pool['Id'].split('_')[0]}.amazonaws.com/{pool['Id']}",
        "UserPoolId": pool["Id"],
    }
    return Provisioned(pool["Id"], attributes)


def user_pool_client(context: Context, props: dict[str, Any]) -> Provisioned:
    params = {**props, "ClientName": props.get("ClientName") or context.logical_id}
    client = api_call(context.client("cognito-idp"), "CreateUserPoolClient", params)["UserPoolClient"]
    return Provisioned(
        client["ClientId"], {"ClientSecret": client.get("ClientSecret", ""), "Name": client["ClientName"]}
    )


def user_pool_group(context: Context, props: dict[str, Any]) -> Provisioned:
    params = {**props, "GroupName": props.get("GroupName") or context.name(128)}
    api_call(context.client("cognito-idp"), "CreateGroup", params)
    return Provisioned(params["GroupName"], {})


def user_pool_resource_server(context: Context, props: dict[str, Any]) -> Provisioned:
    """A resource server and its scopes (moto stores them; the token stand-in issues them: cognito_oauth.py)."""
    api_call(context.client("cognito-idp"), "CreateResourceServer", props)
    return Provisioned(props["Identifier"], {})


# -- API Gateway v2 -------------------------------------------------------------------------------------------------
def http_api(context: Context, props: dict[str, Any]) -> Provisioned:
    params = {**props, "Name": props.get("Name") or context.name(128)}
    api = api_call(context.client("apigatewayv2"), "CreateApi", params)
    # The local gateway serves every HTTP API at the local cloud's own address.
    return Provisioned(api["ApiId"], {"ApiId": api["ApiId"], "ApiEndpoint": context.api_endpoint})


def api_stage(context: Context, props: dict[str, Any]) -> Provisioned:
    params = dict(props)
    for key in ("AccessLogSettings", "DefaultRouteSettings", "RouteSettings"):
        params.pop(key, None)
    api_call(context.client("apigatewayv2"), "CreateStage", params)
    return Provisioned(props["StageName"], {})


def api_integration(context: Context, props: dict[str, Any]) -> Provisioned:
    integration = api_call(context.client("apigatewayv2"), "CreateIntegration", props)
    return Provisioned(integration["IntegrationId"], {})


def api_route(context: Context, props: dict[str, Any]) -> Provisioned:
    route = api_call(context.client("apigatewayv2"), "CreateRoute", props)
    return Provisioned(route["RouteId"], {})


def api_authorizer(context: Context, props: dict[str, Any]) -> Provisioned:
    authorizer = api_call(context.client("apigatewayv2"), "CreateAuthorizer", props)
    return Provisioned(authorizer["AuthorizerId"], {})


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::Cognito::UserPool": user_pool,
    "AWS::Cognito::UserPoolClient": user_pool_client,
    "AWS::Cognito::UserPoolGroup": user_pool_group,
    "AWS::Cognito::UserPoolResourceServer": user_pool_resource_server,
    "AWS::ApiGatewayV2::Api": http_api,
    "AWS::ApiGatewayV2::Stage": api_stage,
    "AWS::ApiGatewayV2::Integration": api_integration,
    "AWS::ApiGatewayV2::Route": api_route,
    "AWS::ApiGatewayV2::Authorizer": api_authorizer,
}
