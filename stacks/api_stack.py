"""The public HTTP API (API Gateway v2, payload 2.0): one small function per service, staff routes behind Cognito."""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import BoroughFunction, log_retention
from stacks.constructs.grants import grant_items, grant_secret_value, grant_table, require_origin_verify
from stacks.constructs.nag import suppress
from stacks.constructs.outbox import OutboxPublisher
from stacks.data_stack import search_key_name
from stacks.routes import API_ROUTES, CASES_PUBLIC_ROUTES, CASES_STAFF_ROUTES, CATALOGUE_ROUTES, FALLBACK_ROUTE

LOOKUP_THROTTLE_DIVISOR = 10  # status lookups: a tenth of the stage's throttle

ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime",'
    '"routeKey":"$context.routeKey","status":"$context.status","latency":"$context.responseLatency",'
    '"integrationError":"$context.integrationErrorMessage"}'
)


class ApiStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        key: kms.IKey,
        layer: lambda_.ILayerVersion,
        requests_table: dynamodb.ITable,
        idempotency_table: dynamodb.ITable,
        events_topic: sns.ITopic,
        user_pool: cognito.IUserPool,
        user_pool_client: cognito.IUserPoolClient,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The functions write requests with their events; the outbox publishes those from the table's stream.
        common_env = {"REQUESTS_TABLE": requests_table.table_name}

        # -- the origin-verify secret: only CloudFront may reach the functions behind this API ---------------------
        # The API's execute-api address stays reachable (it is CloudFront's origin) and an HTTP API cannot have a
        # WAF, so CloudFront sends this value in a custom origin header and every function behind the API refuses a
        # request without it (shared/origin_verify.py, decision 0003). It lives here, not in the web stack, because
        # this stack's functions read it and the web stack (CloudFront) comes after this one: no cycle.
        self.origin_verify = secretsmanager.Secret(
            self,
            "OriginVerify",
            description=f"Borough {config.name}: the header CloudFront sends to the HTTP API (origin verify)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.DESTROY,  # nothing to keep: a new stack generates a new value
        )
        suppress(
            self.origin_verify.node.default_child,
            "AwsSolutions-SMG4",
            "The origin-verify value only proves a request came through CloudFront; rotating it means a new value "
            "and a redeploy of the web stack (CloudFront's origin header comes from the template's dynamic "
            "reference), which a rotation Lambda cannot do. Procedure in docs/decisions/0003-waf-cross-region.md.",
        )

        self.catalogue = BoroughFunction(
            self,
            "Catalogue",
            config=config,
            service="catalogue",
            handler="catalogue.handler.handler",
            layer=layer,
            log_key=key,
            description="Service catalogue and submissions of residents' requests",
            environment={
                **common_env,
                "IDEMPOTENCY_TABLE": idempotency_table.table_name,
                "API_ROUTES": ";".join(API_ROUTES),  # the fallback's 404/405 (stacks/routes.py)
                "REQUEST_RETENTION_DAYS": str(config.request_retention_days),
                # File answers must name a scanned-clean upload: the web stack names its bucket here.
                "UPLOADS_BUCKET_PARAMETER": config.uploads_bucket_parameter,
                # Postcode and email search keys written at submission (shared/search_keys.py).
                "SEARCH_KEY_SECRET_ID": search_key_name(config),
            },
        ).function
        grant_table(self.catalogue, requests_table, key, write=True)
        search_key = secretsmanager.Secret.from_secret_name_v2(self, "SearchKey", search_key_name(config))
        grant_secret_value(self.catalogue, search_key)
        grant_table(self.catalogue, idempotency_table, key, write=True)

        # The console-only catalogue function (decision 0007): staff submitting for a resident. The catalogue's
        # code with a direct-invoke handler: no route integrates it, and only the console's role may invoke it
        # (stacks/console_stack.py). It only creates requests (the one conditional PutItem of `submit_request`).
        self.assisted_catalogue = BoroughFunction(
            self,
            "AssistedCatalogue",
            config=config,
            service="catalogue",
            handler="catalogue.assisted_handler.handler",
            layer=layer,
            log_key=key,
            description="Submissions by staff for residents (assisted digital), invoked by the staff console only",
            environment={
                **common_env,
                "REQUEST_RETENTION_DAYS": str(config.request_retention_days),
                # Postcode and email search keys written at submission, as the public catalogue's.
                "SEARCH_KEY_SECRET_ID": search_key_name(config),
            },
        ).function
        grant_items(self.assisted_catalogue, requests_table, key, ["dynamodb:PutItem"])
        grant_secret_value(self.assisted_catalogue, search_key)

        self.cases = BoroughFunction(
            self,
            "Cases",
            config=config,
            service="cases",
            handler="cases.handler.handler",
            layer=layer,
            log_key=key,
            description="Public status of requests and staff status changes",
            environment=common_env,
        ).function
        grant_table(self.cases, requests_table, key, write=True)
        self.outbox = OutboxPublisher(
            self, "Outbox", config=config, layer=layer, key=key, table=requests_table, topic=events_topic
        )
        for function in (self.catalogue, self.cases):
            require_origin_verify(function, self.origin_verify)

        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=log_retention(config.log_retention_days), encryption_key=key
        )
        self.http_api = apigw.HttpApi(
            self, "Api", description=f"Borough {config.name} public API", create_default_stage=False
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(rate_limit=config.api_throttle_rate, burst_limit=config.api_throttle_burst),
            access_log_settings=_AccessLogs(access_logs),
        )
        # Status lookups get a tenth of the stage's rate: the WAF limits each address (waf_stack.py), this bounds
        # guessing spread over many addresses, which no per-address rule sees. Far above residents' real use.
        lookup_rate = max(1, config.api_throttle_rate // LOOKUP_THROTTLE_DIVISOR)
        lookup_burst = max(1, config.api_throttle_burst // LOOKUP_THROTTLE_DIVISOR)
        stage_resource = self.stage.node.default_child
        assert isinstance(stage_resource, apigw.CfnStage)
        stage_resource.route_settings = {
            route: {"ThrottlingRateLimit": lookup_rate, "ThrottlingBurstLimit": lookup_burst}
            for route in CASES_PUBLIC_ROUTES
        }
        # The staff pool's JWT authorizer, for the staff routes here and in the payments stack (its refund API).
        self.staff_authorizer = staff_authorizer = authorizers.HttpUserPoolAuthorizer(
            "StaffAuthorizer", user_pool, user_pool_clients=[user_pool_client]
        )
        catalogue_integration = integrations.HttpLambdaIntegration("CatalogueIntegration", self.catalogue)
        cases_integration = integrations.HttpLambdaIntegration("CasesIntegration", self.cases)
        for route in (*CATALOGUE_ROUTES, FALLBACK_ROUTE):
            self._route(route, catalogue_integration)
        for route in CASES_PUBLIC_ROUTES:
            self._route(route, cases_integration)
        for route in CASES_STAFF_ROUTES:
            self._route(route, cases_integration, authorizer=staff_authorizer)

        CfnOutput(self, "ApiUrl", value=self.http_api.api_endpoint)
        CfnOutput(self, "OriginVerifySecretArn", value=self.origin_verify.secret_arn)

    def _route(
        self,
        route_key: str,
        integration: apigw.HttpRouteIntegration,
        authorizer: apigw.IHttpRouteAuthorizer | None = None,
    ) -> None:
        method, path = route_key.split(" ", 1)
        (route,) = self.http_api.add_routes(
            path=path,
            methods=[apigw.HttpMethod[method]],
            integration=integration,
            authorizer=authorizer,
        )
        if authorizer is None:
            suppress(
                route.node.default_child,  # the AWS::ApiGatewayV2::Route itself
                "AwsSolutions-APIG4",
                f"{route_key} is a public resident route: residents browse services, report problems and follow "
                "a request by its reference without an account (digital by default, assisted digital). Only "
                "CloudFront reaches it (the function answers 403 without the origin-verify header, decision 0003), "
                "so the WAF's managed rules and per-address rate limits (status lookups their own) apply, then "
                "the stage and route throttles; submissions take idempotency keys. Staff routes use the Cognito "
                "JWT authorizer.",
            )


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogs:
    """Access log settings for the HTTP API stage (JSON, one line a request)."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(ACCESS_LOG_FORMAT)
