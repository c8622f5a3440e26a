"""The resident web: its function behind the HTTP API, drafts, upload buckets with malware scanning, static assets,
and the CloudFront distribution residents reach (`/` and `/api/*` to the HTTP API, `/assets/*` to S3).

The web routes are added to the API here (`GET /` and `ANY /{proxy+}`); the API's own `/api/v1/*` routes stay more
specific, so they keep answering the API. Stacks hold no business logic: see functions/web/.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct

from shared import maps, origin_verify
from stacks.config import EnvironmentConfig
from stacks.constructs.function import BoroughFunction
from stacks.constructs.grants import (
    KEY_DECRYPT_ACTIONS,
    TABLE_READ_ACTIONS,
    grant_publish,
    grant_secret_value,
    grant_table,
    require_origin_verify,
)
from stacks.constructs.nag import suppress

ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = ROOT / ".build" / "assets"  # built by `make assets` (web/build_assets.py); built here if missing
ASSET_MANIFEST = ROOT / "functions" / "web" / "assets.json"
WEB_ROUTES = ("GET /", "ANY /{proxy+}")
QUARANTINE_DAYS = 1  # an upload not released within a day was abandoned (or is being held as infected)
ASSET_MAX_AGE = Duration.days(365)  # file names carry a hash of their content, so they never change
SCAN_TAG = "GuardDutyMalwareScanStatus"
OS_PLACES_BASE_URL = "https://api.os.uk"  # Ordnance Survey's OS Places API; the local cloud points it at a stand-in
MAP_TILES_FUNCTION = ROOT / "stacks" / "cloudfront" / "map_tiles.js"
MAP_TILE_MAX_AGE = Duration.days(7)
REMINDER_INDEX = "ByReminderDay"
ORIGIN_VERIFY_ROTATION_CONTEXT = "origin_verify_rotation"  # `-c origin_verify_rotation=<label>` after a rotation


def map_tiles_function_code(settings: maps.MapSettings) -> str:
    """The `/map-tiles/*` viewer function (stacks/cloudfront/map_tiles.js) with the environment's settings."""
    code = MAP_TILES_FUNCTION.read_text()
    ranges = {str(zoom): list(bounds) for zoom, bounds in maps.tile_ranges(settings).items()}
    for placeholder, value in {
        "__TILE_RANGES__": json.dumps(ranges, separators=(",", ":")),
        "__KEY_NAME__": settings.key_name,
        "__KEY_PARAMETER__": settings.key_parameter,
    }.items():
        code = code.replace(placeholder, value)
    return code


def ensure_assets() -> Path:
    """The built assets folder (and the web function's manifest), building them first if they are missing."""
    if not (ASSETS_DIR.is_dir() and any(ASSETS_DIR.iterdir()) and ASSET_MANIFEST.exists()):
        runpy.run_path(str(ROOT / "web" / "build_assets.py"))["build"]()
    return ASSETS_DIR


class WebStack(Stack):
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
        self._config = config
        self._web_acl_arn = web_acl_arn  # the WAF stack's web ACL (us-east-1), read across regions
        self._origin_verify = origin_verify_secret  # the API stack's: CloudFront sends it to the API (decision 0003)
        assets_dir = ensure_assets()
        protect = config.deletion_protection
        removal = RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY

        # -- drafts: answers between pages, 28 days after the last save (TTL) --------------------------------------
        self.drafts = dynamodb.Table(
            self,
            "Drafts",
            partition_key=dynamodb.Attribute(name="draft_id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",
            deletion_protection=protect,
            removal_policy=removal,
        )
        # Save-and-return reminders, found by the day they are due (a sparse index: only reminder items have it).
        self.drafts.add_global_secondary_index(
            index_name=REMINDER_INDEX,
            partition_key=dynamodb.Attribute(name="remind_on", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="draft_id", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=["reminds", "days_left", "draft_expires_at", "service_id"],
        )

        # -- buckets -----------------------------------------------------------------------------------------------
        self.logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(max(config.log_retention_days, 1)))],
            removal_policy=removal,
        )
        suppress(
            self.logs_bucket.node.default_child,
            "AwsSolutions-S1",
            "This is the server access log bucket of the web's buckets; logging its own access would loop.",
        )
        self.quarantine = self._bucket("Quarantine", expire_days=QUARANTINE_DAYS, removal=removal, prefix="quarantine/")
        self.clean = self._bucket(
            "Uploads", expire_days=config.request_retention_days, removal=removal, prefix="uploads/"
        )
        self.assets = self._bucket("Assets", expire_days=None, removal=removal, prefix="assets/")
        self._malware_protection()

        # -- the CSRF and upload-token signing key -----------------------------------------------------------------
        self.signing_secret = secretsmanager.Secret(
            self,
            "SigningKey",
            description=f"Borough {config.name} web: signs CSRF and upload tokens (HMAC-SHA256)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=removal,
        )
        suppress(
            self.signing_secret.node.default_child,
            "AwsSolutions-SMG4",
            "The key signs short-lived CSRF and upload tokens only; rotating it means replacing the secret value "
            "(forms open at that moment are asked to reload). No rotation Lambda is worth its cost here.",
        )

        # -- the web function --------------------------------------------------------------------------------------
        # The OS Places API key for address lookups: created by a person, not this stack (`aws secretsmanager
        # create-secret --name borough/<env>/os-places-api-key --secret-string <key>`). Until it exists, addresses
        # are typed in (see docs/web.md).
        self.os_places_key = secretsmanager.Secret.from_secret_name_v2(
            self, "OsPlacesApiKey", f"borough/{config.name}/os-places-api-key"
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
                "SIGNING_SECRET_ARN": self.signing_secret.secret_arn,
                # The reminder pages (sign up, confirm, unsubscribe) go through the subscriptions function.
                "SUBSCRIPTIONS_FUNCTION": config.reminder_subscriptions_function,
                # Address lookup by postcode (OS Places); the key's secret by name (Secrets Manager takes a name).
                "OS_PLACES_BASE_URL": OS_PLACES_BASE_URL,
                "OS_PLACES_API_KEY_SECRET_ARN": self.os_places_key.secret_name,
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
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[catalogue_function.function_arn, cases_function.function_arn, subscriptions_arn],
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
        self.reminders.add_to_role_policy(
            iam.PolicyStatement(
                actions=list(TABLE_READ_ACTIONS),
                resources=[self.drafts.table_arn, f"{self.drafts.table_arn}/index/{REMINDER_INDEX}"],
            )
        )
        self.reminders.add_to_role_policy(
            iam.PolicyStatement(
                actions=list(KEY_DECRYPT_ACTIONS),
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{Aws.REGION}.amazonaws.com"}},
            )
        )
        grant_publish(self.reminders, events_topic)
        events.Rule(
            self,
            "DailyDraftReminders",
            description="Remind residents of saved drafts about to expire",
            schedule=events.Schedule.cron(minute="0", hour="9"),  # 09:00 UTC: 9 or 10 in the morning in the UK
            targets=[targets.LambdaFunction(self.reminders, retry_attempts=2)],
        )

        # -- web routes on the HTTP API ----------------------------------------------------------------------------
        integration = integrations.HttpLambdaIntegration("WebIntegration", self.function)
        for route_key in WEB_ROUTES:
            method, path = route_key.split(" ", 1)
            route = apigw.HttpRoute(
                self,
                f"Route{'Root' if path == '/' else 'Pages'}",
                http_api=http_api,
                route_key=apigw.HttpRouteKey.with_(path, apigw.HttpMethod[method]),
                integration=integration,
            )
            suppress(
                route.node.default_child,
                "AwsSolutions-APIG4",
                f"{route_key} serves the resident web's public pages, used without an account. Only CloudFront "
                "reaches it: the web function answers 403 to a request without CloudFront's origin-verify header "
                "(shared/origin_verify.py, decision 0003), so every request has passed the WAF's managed rules and "
                "per-address rate limits, then the stage throttle. Form posts need a signed CSRF token. No staff "
                "page is served here: staff use the API's routes behind the Cognito JWT authorizer.",
            )

        # -- CloudFront --------------------------------------------------------------------------------------------
        self.distribution = self._distribution(http_api)
        s3_deployment.BucketDeployment(
            self,
            "DeployAssets",
            sources=[s3_deployment.Source.asset(str(assets_dir))],
            destination_bucket=self.assets,
            destination_key_prefix="assets/",
            cache_control=[
                s3_deployment.CacheControl.from_string(f"public, max-age={int(ASSET_MAX_AGE.to_seconds())}, immutable")
            ],
            prune=False,  # old fingerprinted files stay for pages still open in browsers (lifecycle removes none)
            memory_limit=256,
        )
        self._suppress_deployment_findings()

        CfnOutput(self, "WebUrl", value=f"https://{self.distribution.distribution_domain_name}/")

    def _bucket(self, name: str, *, expire_days: int | None, removal: RemovalPolicy, prefix: str) -> s3.Bucket:
        rules = [s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1))]
        if expire_days is not None:
            rules.append(s3.LifecycleRule(expiration=Duration.days(expire_days)))
        bucket = s3.Bucket(
            self,
            name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=rules,
            removal_policy=removal,
        )
        # Server access logs through the log bucket's policy (not the legacy LogDeliveryWrite ACL).
        cfn_bucket: s3.CfnBucket = bucket.node.default_child  # type: ignore[assignment]
        cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
            destination_bucket_name=self.logs_bucket.bucket_name, log_file_prefix=f"s3/{prefix}"
        )
        self.logs_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
                actions=["s3:PutObject"],
                resources=[self.logs_bucket.arn_for_objects(f"s3/{prefix}*")],
                conditions={
                    "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            )
        )
        return bucket

    def _malware_protection(self) -> None:
        """GuardDuty Malware Protection for S3 scans each new quarantine object and tags it with the result."""
        bucket = self.quarantine
        role = iam.Role(
            self,
            "MalwareScanRole",
            assumed_by=iam.ServicePrincipal("malware-protection-plan.guardduty.amazonaws.com"),
            description="GuardDuty Malware Protection for S3: scans and tags uploads in the quarantine bucket",
        )
        rule_arn = (
            f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/"
            "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*"
        )
        statements = [
            iam.PolicyStatement(
                actions=["events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"],
                resources=[rule_arn],
                conditions={"StringLike": {"events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com"}},
            ),
            iam.PolicyStatement(actions=["events:DescribeRule", "events:ListTargetsByRule"], resources=[rule_arn]),
            iam.PolicyStatement(
                actions=["s3:PutBucketNotification", "s3:GetBucketNotification", "s3:ListBucket"],
                resources=[bucket.bucket_arn],
            ),
            iam.PolicyStatement(
                actions=[
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:PutObjectTagging",
                    "s3:GetObjectTagging",
                    "s3:PutObjectVersionTagging",
                    "s3:GetObjectVersionTagging",
                ],
                resources=[bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[bucket.arn_for_objects("malware-protection-resource-validation-object")],
            ),
        ]
        policy = iam.Policy(self, "MalwareScanPolicy", statements=statements, roles=[role])
        suppress(
            policy.node.default_child,
            "AwsSolutions-IAM5",
            "GuardDuty scans every object uploaded to the quarantine bucket (whose keys are random), and manages "
            "its own EventBridge rules named DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*.",
            applies_to=[
                f"Resource::<{self.get_logical_id(bucket.node.default_child)}.Arn>/*",  # type: ignore[arg-type]
                "Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/"
                "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*",
            ],
        )
        plan = guardduty.CfnMalwareProtectionPlan(
            self,
            "QuarantineScan",
            role=role.role_arn,
            protected_resource=guardduty.CfnMalwareProtectionPlan.CFNProtectedResourceProperty(
                s3_bucket=guardduty.CfnMalwareProtectionPlan.S3BucketProperty(bucket_name=bucket.bucket_name)
            ),
            actions=guardduty.CfnMalwareProtectionPlan.CFNActionsProperty(
                tagging=guardduty.CfnMalwareProtectionPlan.CFNTaggingProperty(status="ENABLED")
            ),
        )
        plan.node.add_dependency(policy)
        # Nothing but GuardDuty reads an object before it is tagged clean (the web checks the tag, then copies).
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEquals": {f"s3:ExistingObjectTag/{SCAN_TAG}": "NO_THREATS_FOUND"},
                    "ArnNotEquals": {"aws:PrincipalArn": role.role_arn},
                },
            )
        )

    def _distribution(self, http_api: apigw.HttpApi) -> cloudfront.Distribution:
        api_domain = Fn.select(2, Fn.split("/", http_api.api_endpoint))
        # The origin-verify header: the functions behind the API refuse requests without it, so the API's own
        # execute-api address cannot be used to skip the WAF (shared/origin_verify.py, decision 0003). The value is
        # unwrapped here only, and what the template holds is CloudFormation's dynamic reference
        # `{{resolve:secretsmanager:<arn>:SecretString:::}}`, resolved at deploy time: never the value itself.
        # CloudFormation resolves it again only when the distribution changes: rotating is a new secret value and
        # a deploy with `-c origin_verify_rotation=<label>` (decision 0003).
        verify_value = self._origin_verify.secret_value.unsafe_unwrap()
        api_origin = origins.HttpOrigin(
            api_domain,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            custom_headers={origin_verify.HEADER: verify_value},
        )
        # API Gateway needs its own Host; the site's host and scheme travel in X-Forwarded-* for links and cookies.
        forward_host = cloudfront.Function(
            self,
            "ForwardHost",
            comment="Pass the site's host to the web function (API Gateway needs its own Host header)",
            code=cloudfront.FunctionCode.from_inline(
                "function handler(event) {\n"
                "  var request = event.request;\n"
                "  request.headers['x-forwarded-host'] = {value: request.headers.host.value};\n"
                "  request.headers['x-forwarded-proto'] = {value: 'https'};\n"
                "  return request;\n"
                "}\n"
            ),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        uploads_origins = (
            f"https://{self.quarantine.bucket_domain_name} https://{self.quarantine.bucket_regional_domain_name}"
        )
        csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            f"connect-src 'self'; form-action 'self' {uploads_origins}; frame-ancestors 'none'; base-uri 'self'; "
            "object-src 'none'"
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Borough web: security headers on every response",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
            ),
        )
        assets_cache = cloudfront.CachePolicy(
            self,
            "AssetsCache",
            comment="Fingerprinted static assets: cache for a year",
            default_ttl=ASSET_MAX_AGE,
            max_ttl=ASSET_MAX_AGE,
            min_ttl=Duration.days(1),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        pages = cloudfront.BehaviorOptions(
            origin=api_origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=headers,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=forward_host, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                )
            ],
            compress=True,
        )
        behaviours = {
            "/api/*": pages,
            "/assets/*": cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.assets),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=assets_cache,
                response_headers_policy=headers,
                compress=True,
            ),
        }
        if self._config.map is not None:
            behaviours[f"{maps.TILES_PATH}/*"] = self._map_tiles(self._config.map, headers)
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Borough {self._config.name}: resident web, API and assets{self._rotation_label()}",
            default_behavior=pages,
            additional_behaviors=behaviours,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            web_acl_id=self._web_acl_arn,  # WAFv2: the ACL's ARN (not its id)
        )
        resource = distribution.node.default_child
        suppress(
            resource,
            "AwsSolutions-CFR3",
            "CloudFront standard logs need a bucket with legacy ACLs. Page and API requests are logged by the HTTP "
            "API's access logs and asset reads by S3 server access logs; real-time logs can be added per council.",
        )
        suppress(
            resource,
            "AwsSolutions-CFR1",
            "No geo restriction: residents, and people reporting problems in the borough, may be abroad; the "
            "services are public and protected by WAF rate rules rather than by location.",
        )
        suppress(
            resource,
            "AwsSolutions-CFR4",
            "Without a council's own domain the distribution uses CloudFront's default certificate, whose "
            "minimum TLS version cannot be set; with a custom domain TLS 1.2 (2021) applies.",
        )
        return distribution

    def _rotation_label(self) -> str:
        """A change here updates the distribution, so CloudFormation resolves the origin-verify secret again."""
        label = self.node.try_get_context(ORIGIN_VERIFY_ROTATION_CONTEXT)
        return f" (origin verify: {str(label)[:40]})" if label else ""

    def _map_tiles(
        self, settings: maps.MapSettings, headers: cloudfront.IResponseHeadersPolicy
    ) -> cloudfront.BehaviorOptions:
        """`/map-tiles/{z}/{x}/{y}.png` from the tile service, with its API key added at the edge and cached a week.

        The key lives in a CloudFront key value store that a person fills once (docs/web.md); until then tiles
        answer 503 and the map widget removes itself (residents still have the postcode and description)."""
        store = cloudfront.KeyValueStore(self, "MapKeys", comment="The map tile service's API key (docs/web.md)")
        add_key = cloudfront.Function(
            self,
            "MapTilesKey",
            comment="Check a map tile's address and add the tile service's API key",
            code=cloudfront.FunctionCode.from_inline(map_tiles_function_code(settings)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            key_value_store=store,
        )
        cache = cloudfront.CachePolicy(
            self,
            "MapTilesCache",
            comment="Map tiles: a week at the edge; the API key is not part of the cache key",
            default_ttl=MAP_TILE_MAX_AGE,
            max_ttl=MAP_TILE_MAX_AGE,
            min_ttl=Duration.days(1),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.none(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
        )
        forward = cloudfront.OriginRequestPolicy(
            self,
            "MapTilesRequest",
            comment="Map tiles: send the tile service only the API key parameter",
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.allow_list(settings.key_parameter),
            header_behavior=cloudfront.OriginRequestHeaderBehavior.none(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        return cloudfront.BehaviorOptions(
            origin=origins.HttpOrigin(
                settings.tiles_origin,
                origin_path=settings.tiles_path or None,
                protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            ),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cache_policy=cache,
            origin_request_policy=forward,
            response_headers_policy=headers,
            function_associations=[
                cloudfront.FunctionAssociation(function=add_key, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)
            ],
            compress=False,  # PNG is compressed already
        )

    def _suppress_deployment_findings(self) -> None:
        """BucketDeployment's handler is CDK's own singleton function; suppress its findings on exactly it."""
        for child in self.node.children:
            if not child.node.id.startswith("Custom::CDKBucketDeployment"):
                continue
            function = child.node.default_child
            role = child.node.find_child("ServiceRole")
            suppress(
                role.node.default_child,
                "AwsSolutions-IAM4",
                "CDK's BucketDeployment handler uses AWSLambdaBasicExecutionRole to write its own logs; it runs "
                "only during deployments.",
                applies_to=["Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
            )
            suppress(
                role.node.find_child("DefaultPolicy").node.default_child,
                "AwsSolutions-IAM5",
                "CDK's BucketDeployment copies the asset zip from the CDK assets bucket into the assets bucket: "
                "it needs object wildcards on both buckets, during deployments only.",
                applies_to=[
                    *(f"Action::s3:{a}*" for a in ("GetBucket", "GetObject", "List", "Abort", "DeleteObject")),
                    # The stack's region is explicit (decision 0003), so CDK writes it and the partition literally.
                    f"Resource::arn:{self.partition}:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{self.region}/*",
                    f"Resource::<{self.get_logical_id(self.assets.node.default_child)}.Arn>/*",  # type: ignore[arg-type]
                ],
            )
            suppress(
                function,
                "AwsSolutions-L1",
                "CDK's BucketDeployment handler runtime is chosen by the CDK version, not by this app; it runs "
                "only during deployments.",
            )
