"""A route's own throttle on the HTTP API's `$default` stage, set from the stack that creates the route.

An HTTP API's route settings live on its stage (`AWS::ApiGatewayV2::Stage` `RouteSettings`, in the API stack), and
API Gateway refuses a stage whose route settings name a route that does not exist yet ("Unable to find Route by
key ... within the provided RouteSettings"): the API stack is deployed before the stacks that add their routes, so
naming their routes there fails the first deployment. This construct sets the route's settings on the stage from
the route's own stack instead, once the route exists: CDK's `AwsCustomResource` calls `UpdateStage` with only that
route's settings on create and update, and `DeleteRouteSettings` for it on delete; one route at a time (API
Gateway refuses concurrent changes to a stage). Its handler is CDK's singleton function, run only during
deployments.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.constructs.function import log_retention
from stacks.constructs.nag import suppress

STAGE = "$default"
# CDK's singleton function for every AwsCustomResource in a stack (its construct id, fixed by CDK).
SINGLETON_ID = "AWS679f53fac002430cb0da5b7982bd2287"


class RouteThrottles(Construct):
    """Each route (by its route key) gets `rate` requests a second and a `burst` bucket on the `$default` stage."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        http_api: apigw.IHttpApi,
        routes: Mapping[str, apigw.HttpRoute],
        rate: int,
        burst: int,
        key: kms.IKey,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        stage_arn = f"arn:{stack.partition}:apigateway:{stack.region}::/apis/{http_api.api_id}/stages/{STAGE}"
        # How cdk-nag writes the stage's ARN in a finding: the API's logical id (in the API stack) for its id.
        api = http_api.node.default_child
        assert isinstance(api, apigw.CfnApi)
        api_logical_id = Stack.of(api).get_logical_id(api)
        stage_finding = f"arn:{stack.partition}:apigateway:{stack.region}::/apis/<{api_logical_id}>/stages/{STAGE}"
        logs_group = logs.LogGroup(self, "Logs", retention=log_retention(log_retention_days), encryption_key=key)
        policy = cr.AwsCustomResourcePolicy.from_statements(
            [
                iam.PolicyStatement(actions=["apigateway:PATCH"], resources=[stage_arn]),
                iam.PolicyStatement(actions=["apigateway:DELETE"], resources=[f"{stage_arn}/routesettings/*"]),
            ]
        )
        self.route_keys: list[str] = []
        self.throttles: list[cr.AwsCustomResource] = []
        for number, (route_key, route) in enumerate(routes.items()):
            self.route_keys.append(route_key)
            settings = {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
            update = cr.AwsSdkCall(
                service="ApiGatewayV2",
                action="UpdateStage",
                parameters={"ApiId": http_api.api_id, "StageName": STAGE, "RouteSettings": {route_key: settings}},
                physical_resource_id=cr.PhysicalResourceId.of(f"{STAGE} {route_key}"),
            )
            throttle = cr.AwsCustomResource(
                self,
                f"Route{number}",
                on_create=update,
                on_update=update,
                on_delete=cr.AwsSdkCall(
                    service="ApiGatewayV2",
                    action="DeleteRouteSettings",
                    parameters={"ApiId": http_api.api_id, "StageName": STAGE, "RouteKey": route_key},
                ),
                policy=policy,
                install_latest_aws_sdk=False,  # the runtime's SDK has ApiGatewayV2; no download at deploy time
                log_group=logs_group,
            )
            throttle.node.add_dependency(route)  # the route must exist before its settings can name it
            if self.throttles:  # one stage update at a time: API Gateway refuses concurrent changes (409)
                throttle.node.add_dependency(self.throttles[-1])
            self.throttles.append(throttle)
            suppress(
                throttle.node.find_child("CustomResourcePolicy").node.default_child,
                "AwsSolutions-IAM5",
                "DeleteRouteSettings names the route in the resource ARN (its key holds a space and slashes): "
                "the wildcard covers only this API's $default stage's route settings, used during deployments.",
                applies_to=[f"Resource::{stage_finding}/routesettings/*"],
            )
        self._suppress_handler_findings(stack)

    @staticmethod
    def _suppress_handler_findings(stack: Stack) -> None:
        singleton = stack.node.try_find_child(SINGLETON_ID)
        if singleton is None:
            return
        suppress(
            singleton.node.find_child("ServiceRole").node.default_child,
            "AwsSolutions-IAM4",
            "CDK's AwsCustomResource handler uses AWSLambdaBasicExecutionRole to write its own logs; it runs only "
            "during deployments, to set a route's throttle on the API stage.",
            applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
        )
        suppress(
            singleton.node.default_child,
            "AwsSolutions-L1",
            "CDK's AwsCustomResource handler runtime is chosen by the CDK version, not by this app; it runs only "
            "during deployments.",
        )
