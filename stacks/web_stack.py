"""The resident web: its function behind the HTTP API, drafts, upload buckets with malware scanning, static assets,
and the CloudFront distribution residents reach (`/` and `/api/*` to the HTTP API, `/assets/*` to S3).

This stack holds the web's functions, their grants and routes; its parts are constructs of their own: drafts and
uploads (stacks/constructs/web_data.py), the asset build (web_assets.py) and the distribution (web_distribution.py).

The web routes are added to the API here (`GET /` and `ANY /{proxy+}`); the API's own `/api/v1/*` routes stay more
specific, so they keep answering the API. Stacks hold no business logic: see functions/web/.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnElement, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from shared import maps
from stacks.config import EnvironmentConfig
from stacks.constructs import logical_ids
from stacks.constructs.buckets import access_log_bucket
from stacks.constructs.function import BoroughFunction
from stacks.constructs.grants import (
    TABLE_READ_ACTIONS,
    grant_items,
    grant_publish,
    grant_secret_value,
    grant_table,
    require_origin_verify,
)
from stacks.constructs.nag import suppress
from stacks.constructs.public_route import public_route
from stacks.constructs.signing_key import signing_key
from stacks.constructs.web_assets import WebAssets
from stacks.constructs.web_data import REMINDER_INDEX, WebData
from stacks.constructs.web_distribution import WebDistribution
from stacks.routes import WEB_ROUTES

OS_PLACES_BASE_URL = "https://api.os.uk"  # Ordnance Survey's OS Places API; the local cloud points it at a stand-in


def os_places_key_name(config: EnvironmentConfig) -> str:
    """The OS Places API key's secret, created by a person; read by the web and the console (a permits search by
    postcode), each granted it by name."""
    return f"borough/{config.name}/os-places-api-key"


class WebStack(Stack):
    # The drafts, uploads, assets and distribution are grouped in constructs and keep their logical ids (a new id
    # would be a new table, new buckets and a distribution with a new domain): see stacks/constructs/logical_ids.py.
    def _allocate_logical_id(self, cfn_element: CfnElement) -> str:
        return logical_ids.allocate(self, cfn_element)

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        key: kms.IKey,
        layer: lambda_.ILayerVersion,
        http_api: apigw.HttpApi,
        catalogue_function: lambda_.IFunction,
        cases_function: lambda_.IFunction,
        events_topic: sns.ITopic,
        web_acl_arn: str,
        origin_verify_secret: secretsmanager.ISecret,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        protect = config.deletion_protection
        removal = RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY

        # -- drafts and uploads; static assets -------------------------------------------------------------------
        self.logs_bucket = access_log_bucket(
            self, "AccessLogs", retention_days=config.log_retention_days, removal=removal
        )
        data = WebData(self, "Data", config=config, key=key, logs=self.logs_bucket)
        self.drafts, self.quarantine, self.clean = data.drafts, data.quarantine, data.clean
        data.allow_upload_checks(catalogue_function)  # file answers through the API name a clean upload
        self.assets = WebAssets(self, "StaticAssets", logs=self.logs_bucket, removal=removal).bucket

        # -- the CSRF and upload-token signing key -----------------------------------------------------------------
        self.signing_secret = signing_key(
            self,
            "SigningKey",
            description=f"Borough {config.name} web: signs CSRF and upload tokens (HMAC-SHA256)",
            removal=removal,
            why_no_rotation=(
                "The key signs short-lived CSRF and upload tokens only; rotating it means replacing the secret value "
                "(forms open at that moment are asked to reload). No rotation Lambda is worth its cost here."
            ),
        )

        # -- the web function --------------------------------------------------------------------------------------
        # The OS Places API key for address lookups: created by a person, not this stack (`aws secretsmanager
        # create-secret --name borough/<env>/os-places-api-key --secret-string <key>`). Until it exists, addresses
        # are typed in (see docs/web.md).
        self.os_places_key = secretsmanager.Secret.from_secret_name_v2(
            self, "OsPlacesApiKey", os_places_key_name(config)
        )
        self.function = BoroughFunction(
            self,
            "Web",
            config=config,
            service="web",
            handler="web.handler.handler",
            layer=layer,
            log_key=key,
            description="Resident web pages (server-rendered GOV.UK Frontend)",
            environment={
                "DRAFTS_TABLE": self.drafts.table_name,
                "CATALOGUE_FUNCTION": catalogue_function.function_name,
                "CASES_FUNCTION": cases_function.function_name,
                "EVENTS_TOPIC_ARN": events_topic.topic_arn,
                "QUARANTINE_BUCKET": self.quarantine.bucket_name,
                "CLEAN_BUCKET": self.clean.bucket_name,
                "SIGNING_SECRET_ID": self.signing_secret.secret_arn,
                # The reminder pages (sign up, confirm, unsubscribe) go through the subscriptions function.
                "SUBSCRIPTIONS_FUNCTION": config.reminder_subscriptions_function,
                # Paying for a request: the payments function (payments stack, which depends on this one), by name.
                "PAYMENTS_FUNCTION": config.payments_function,
                # Applying for a parking permit: the permits stack's applications function, by name.
                "PERMITS_FUNCTION": config.permit_applications_function,
                # Renewing a subscription from a reminder's link: the renewals stack's function, by name.
                "RENEWALS_FUNCTION": config.renewal_links_function,
                # Address lookup by postcode (OS Places); the key's secret by name (Secrets Manager takes a name).
                "OS_PLACES_BASE_URL": OS_PLACES_BASE_URL,
                "OS_PLACES_API_KEY_SECRET_ID": self.os_places_key.secret_name,
                # The map widget on "where is it?" questions (tiles come through CloudFront: see _map_tiles).
                **({maps.ENVIRONMENT_VARIABLE: config.map.to_environment()} if config.map else {}),
            },
        ).function
        grant_table(self.function, self.drafts, key, write=True)
        grant_publish(self.function, events_topic)
        grant_secret_value(self.function, self.signing_secret)  # GetSecretValue only: no DescribeSecret
        grant_secret_value(self.function, self.os_places_key)
        require_origin_verify(self.function, origin_verify_secret)  # also sent on its calls to the API functions
        # Submissions, tracking and bin reminders go through the API's own functions: exactly those three, nothing
        # else. The subscriptions function (notifications stack, which depends on this one) is named, not referred to.
        subscriptions = config.reminder_subscriptions_function
        subscriptions_arn = f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{subscriptions}"
        payments_arn = f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{config.payments_function}"
        permits_arn = (
            f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{config.permit_applications_function}"
        )
        renewals_arn = (
            f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{config.renewal_links_function}"
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    catalogue_function.function_arn,
                    cases_function.function_arn,
                    subscriptions_arn,
                    payments_arn,
                    renewals_arn,  # the renewal links function (renewals stack, which depends on this one)
                    permits_arn,  # the permit applications function (permits stack, which depends on this one)
                ],
            )
        )
        # Uploads: sign the S3 POST (PutObject), read what arrived and its scan tag, delete, copy to clean.
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:GetObjectTagging", "s3:DeleteObject"],
                resources=[self.quarantine.arn_for_objects("*")],
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[self.clean.arn_for_objects("uploads/*")])
        )
        suppress(
            self.function.role.node.find_child("DefaultPolicy").node.default_child,  # type: ignore[union-attr]
            "AwsSolutions-IAM5",
            "Upload keys are random per draft and upload, so object permissions name each bucket's objects "
            "(quarantine/*, uploads/*) rather than single keys; X-Ray tracing needs Resource '*'.",
            applies_to=[
                "Resource::*",
                f"Resource::<{self.get_logical_id(self.quarantine.node.default_child)}.Arn>/*",  # type: ignore[arg-type]
                f"Resource::<{self.get_logical_id(self.clean.node.default_child)}.Arn>/uploads/*",  # type: ignore[arg-type]
            ],
        )

        # -- reminders: daily, for saved drafts that expire in 7 days or 1 day ------------------------------------
        self.reminders = BoroughFunction(
            self,
            "DraftReminders",
            config=config,
            service="web",
            handler="web.reminders.handler",
            layer=layer,
            log_key=key,
            description="Announces saved drafts that expire in 7 days or 1 day",
            environment={"DRAFTS_TABLE": self.drafts.table_name, "EVENTS_TOPIC_ARN": events_topic.topic_arn},
            timeout=Duration.seconds(60),
        ).function
        # Reads only: the table (by key) and its reminder index; the key through DynamoDB only, to decrypt.
        grant_items(self.reminders, self.drafts, key, TABLE_READ_ACTIONS)
        grant_items(self.reminders, self.drafts, key, TABLE_READ_ACTIONS, index=REMINDER_INDEX)
        grant_publish(self.reminders, events_topic)
        events.Rule(
            self,
            "DailyDraftReminders",
            description="Remind residents of saved drafts about to expire",
            schedule=events.Schedule.cron(minute="0", hour="9"),  # 09:00 UTC: 9 or 10 in the morning in the UK
            targets=[targets.LambdaFunction(self.reminders, retry_attempts=2)],
        )

        # -- save-and-return links, made when the notifications consumer asks (web/return_links.py) --------------
        self.return_links = BoroughFunction(
            self,
            "ReturnLinks",
            config=config,
            service="web",
            handler="web.return_links.handler",
            layer=layer,
            log_key=key,
            description="Makes a saved draft's single-use return link for its email",
            # The answer holds an email address and a bearer link: X-Ray must not record it.
            environment={"DRAFTS_TABLE": self.drafts.table_name, "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false"},
        ).function
        grant_items(self.return_links, self.drafts, key, ["dynamodb:GetItem", "dynamodb:PutItem"])

        # -- web routes on the HTTP API ----------------------------------------------------------------------------
        integration = integrations.HttpLambdaIntegration("WebIntegration", self.function)
        for route_key in WEB_ROUTES:
            public_route(
                self,
                f"Route{'Root' if route_key.endswith(' /') else 'Pages'}",
                http_api=http_api,
                route_key=route_key,
                integration=integration,
                reason=(
                    f"{route_key} serves the resident web's public pages, used without an account. Only CloudFront "
                    "reaches it: the web function answers 403 to a request without CloudFront's origin-verify header "
                    "(shared/origin_verify.py, decision 0003), so every request has passed the WAF's managed rules and "
                    "per-address rate limits, then the stage throttle. Form posts need a signed CSRF token. No staff "
                    "page is served here: staff use the API's routes behind the Cognito JWT authorizer."
                ),
            )

        # -- CloudFront --------------------------------------------------------------------------------------------
        # "Default": CDK leaves that id out of the names it generates too (functions, policies, the map key store,
        # origin ids), so they stay as they were when the distribution was built in the stack itself.
        self.distribution = WebDistribution(
            self,
            "Default",
            config=config,
            http_api=http_api,
            origin_verify_secret=origin_verify_secret,
            web_acl_arn=web_acl_arn,
            quarantine=self.quarantine,
            assets=self.assets,
        ).distribution
        CfnOutput(self, "WebUrl", value=f"https://{self.distribution.distribution_domain_name}/")
