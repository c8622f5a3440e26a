"""The staff console: its function behind the HTTP API's /staff routes (reached through CloudFront's default
behaviour, uncached, cookies and query strings forwarded), Cognito's managed login for it (a user pool domain and
an app client for the authorization code flow with PKCE only), its signing key, and read-only grants on the
Requests table: GetItem and BatchGetItem on the table, Query on the team index and on the postcode and email search
indexes (docs/console.md, decision 0005).

The console's app client lives here, not in the auth stack: its callback URL names the web's CloudFront domain,
which exists only after the API (which needs the auth stack) and the web stack.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from aws_cdk import Aws, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.requests_repo import STAFF_WRITE_ATTRIBUTES
from shared.uploads import CLEAN_PREFIX as UPLOADS_PREFIX
from stacks.config import EnvironmentConfig
from stacks.constructs.function import FUNCTIONS_DIR, BoroughFunction, ServiceFunctions
from stacks.constructs.grants import grant_items, grant_secret_value, require_origin_verify
from stacks.constructs.nag import suppress
from stacks.constructs.public_route import public_route
from stacks.constructs.signing_key import signing_key
from stacks.data_stack import REQUESTS_BY_TEAM_DUE, SEARCH_INDEXES, search_key_name
from stacks.routes import CONSOLE_ROUTES
from stacks.web_stack import OS_PLACES_BASE_URL, os_places_key_name

ROLES_FILE = FUNCTIONS_DIR / "console" / "data" / "roles.yaml"  # read as data: stacks import no function code
WEB_ASSETS = FUNCTIONS_DIR / "web" / "assets.json"  # the built assets' manifest: the console's stylesheet and script
SESSION_HOURS = 8  # a working day; functions/console/session.py SESSION_SECONDS
CALLBACK_PATH = "/staff/callback"
SIGNED_OUT_PATH = "/staff/signed-out"


def role_groups() -> list[str]:
    """`role:<name>` for every role in the console's roles file."""
    return [f"role:{name}" for name in yaml.safe_load(ROLES_FILE.read_text())["roles"]]


def team_groups() -> list[str]:
    """`team:<name>` for every team a service in the catalogue routes requests to."""
    teams = set()
    for path in sorted((Path(__file__).resolve().parents[1] / "services").glob("*.y*ml")):
        definition = yaml.safe_load(path.read_text()) or {}
        if isinstance(definition, dict) and definition.get("team"):
            teams.add(str(definition["team"]))
    return [f"team:{team_slug(team)}" for team in sorted(teams)]


def team_slug(team: str) -> str:
    """As functions/console/permissions.py names a team's group (Cognito group names have no spaces); an infra
    test checks the two agree."""
    return re.sub(r"[^a-z0-9]+", "-", team.lower()).strip("-")


def _asset(name: str) -> str:
    """Where CloudFront serves one of the console's built assets (its fingerprinted name, once built)."""
    try:
        return "/assets/" + json.loads(WEB_ASSETS.read_text())[name]
    except (FileNotFoundError, KeyError):
        return f"/assets/{name}"


def _stylesheet() -> str:
    return _asset("console.css")


class ConsoleStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        key: kms.IKey,
        layer: lambda_.ILayerVersion,
        http_api: apigw.HttpApi,
        requests_table: dynamodb.ITable,
        assisted_function: lambda_.IFunction,
        moto_function: lambda_.IFunction,
        user_pool: cognito.UserPool,
        origin_verify_secret: secretsmanager.ISecret,
        public_base_url: str,
        kpi_queue: sqs.IQueue,
        uploads_bucket: s3.IBucket,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY

        # -- Cognito's managed login for the console -------------------------------------------------------------
        self.domain = cognito.UserPoolDomain(
            self,
            "StaffLogin",
            user_pool=user_pool,
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"{config.prefix.lower()}-staff"),
        )
        self.client = cognito.UserPoolClient(
            self,
            "ConsoleClient",
            user_pool=user_pool,
            generate_secret=False,  # a public client: PKCE proves the code's requester, no secret to keep
            auth_flows=cognito.AuthFlow(user_srp=True),  # managed login's own sign-in; no password flow
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
                callback_urls=[public_base_url + CALLBACK_PATH],
                logout_urls=[public_base_url + SIGNED_OUT_PATH],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(SESSION_HOURS),
            enable_token_revocation=True,
            prevent_user_existence_errors=True,
        )
        # Ids from the names, so that adding a role or a team never replaces (and empties) another's group.
        for group in [*role_groups(), *team_groups()]:
            kind, _, name = group.partition(":")
            cognito.CfnUserPoolGroup(
                self,
                kind.title() + "".join(word.title() for word in name.split("-")),
                user_pool_id=user_pool.user_pool_id,
                group_name=group,
                description="Staff console role" if group.startswith("role:") else "Staff console team",
            )

        # -- the signing key (sign-in cookie, CSRF) ---------------------------------------------------------------
        self.signing_secret = signing_key(
            self,
            "SigningKey",
            description=f"Borough {config.name} staff console: signs the sign-in cookie and CSRF tokens",
            removal=removal,
            why_no_rotation=(
                "The key signs ten-minute sign-in cookies and CSRF tokens bound to a session; rotating it means "
                "replacing the value (staff mid-sign-in start again). No rotation Lambda is worth its cost here."
            ),
        )

        # -- the audit record: append-only (PutItem and Query are the only grants any role has on it) ----------------
        self.audit = dynamodb.Table(
            self,
            "Audit",
            partition_key=dynamodb.Attribute(name="record", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="entry", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,  # staff ids and addresses: the council's key
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",  # kept a year longer than the requests it is about
            deletion_protection=config.deletion_protection,
            removal_policy=removal,
        )

        # -- the digital KPIs' counters: kept by their own consumer, read by the KPI page (never a scan) ----------
        self.kpis = dynamodb.Table(
            self,
            "Kpis",
            partition_key=dynamodb.Attribute(name="bucket", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="metric", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            # Counts, event ids, service ids and due dates: no personal data, so DynamoDB's own key (no key to pay
            # for, no KMS request per consumer container, docs/cost-model.md); PITR so a mistake can be undone.
            encryption=dynamodb.TableEncryption.DEFAULT,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",  # event markers and remembered due dates; counters never expire
            deletion_protection=config.deletion_protection,
            removal_policy=removal,
        )
        self.kpi_counters = ServiceFunctions(self, config=config, service="console", layer=layer, log_key=key)(
            "KpiCounters",
            "console.kpi_handler.handler",
            "Digital KPIs: counts submissions, closures on time and late, and payments by week",
            {"KPIS_TABLE": self.kpis.table_name},
        )
        # One transaction per event: the event id put (conditionally), its counters ADDed; a GetItem for the due
        # date it remembered. Nothing else, on this table only.
        self.kpis.grant(self.kpi_counters, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
        self.kpi_counters.add_event_source(
            event_sources.SqsEventSource(kpi_queue, batch_size=10, report_batch_item_failures=True)
        )

        # -- the console function ----------------------------------------------------------------------------------
        issuer = user_pool.user_pool_provider_url
        self.function = BoroughFunction(
            self,
            "Console",
            config=config,
            service="console",
            handler="console.handler.handler",
            layer=layer,
            log_key=key,
            description="Staff console: sign-in, permissions, the case queue, case working",
            environment={
                "REQUESTS_TABLE": requests_table.table_name,
                "AUDIT_TABLE": self.audit.table_name,
                "AUDIT_RETENTION_DAYS": str(config.request_retention_days + 365),
                "PUBLIC_BASE_URL": public_base_url,
                "STAFF_AUTH_BASE_URL": self.domain.base_url(),
                "STAFF_ISSUER": issuer,
                "STAFF_JWKS_URL": f"{issuer}/.well-known/jwks.json",
                "STAFF_CLIENT_ID": self.client.user_pool_client_id,
                "STAFF_USER_POOL_ID": user_pool.user_pool_id,
                "SIGNING_SECRET_ID": self.signing_secret.secret_arn,
                "STYLESHEET": _stylesheet(),
                "SCRIPT": _asset("console.js"),  # GOV.UK and MoJ Frontend's JavaScript (web/src/console.mjs)
                # The payments panel and refunds: the payments stack's staff function, by name (no cross-stack ref).
                "STAFF_PAYMENTS_FUNCTION": config.staff_payments_function,
                "SEARCH_KEY_SECRET_ID": search_key_name(config),  # search by postcode and email
                "ASSISTED_FUNCTION": assisted_function.function_name,
                "MOTO_FUNCTION": moto_function.function_name,
                "KPIS_TABLE": self.kpis.table_name,
                "UPLOADS_BUCKET": uploads_bucket.bucket_name,  # the residents' files (console/attachments.py)
                # Parking permits (console/permit_pages.py): the permits stack's staff function, by name.
                "PERMITS_STAFF_FUNCTION": config.permits_staff_function,
                # A permit applied for for a resident (console/permit_apply.py): the applications function, by name.
                "PERMIT_APPLICATIONS_FUNCTION": config.permit_applications_function,
                # The permits search by postcode (console/permit_pages.py): OS Places, as the web looks addresses up.
                "OS_PLACES_BASE_URL": OS_PLACES_BASE_URL,
                "OS_PLACES_API_KEY_SECRET_ID": os_places_key_name(config),
            },
        ).function
        # GetSecretValue only, on the OS Places key by name (a person creates it: stacks/web_stack.py).
        grant_secret_value(
            self.function, secretsmanager.Secret.from_secret_name_v2(self, "OsPlacesApiKey", os_places_key_name(config))
        )
        # Reads: one case by its reference, a team's cases by the index; the versions of the queue's rows in one
        # BatchGetItem (console/queue.py `versions`: the index does not project them; bulk assign carries them).
        grant_items(self.function, requests_table, key, ["dynamodb:GetItem", "dynamodb:BatchGetItem"])
        grant_items(self.function, requests_table, key, ["dynamodb:Query"], index=REQUESTS_BY_TEAM_DUE)
        # Search by postcode and email: Query on their keyed-hash indexes, and the key to hash what staff type.
        for search_index in SEARCH_INDEXES:
            grant_items(self.function, requests_table, key, ["dynamodb:Query"], index=search_index)
        grant_secret_value(
            self.function, secretsmanager.Secret.from_secret_name_v2(self, "SearchKey", search_key_name(config))
        )
        grant_items(self.function, self.audit, key, ["dynamodb:PutItem"])  # appends only: no update, no delete
        # Case working (shared/case_changes.py): UpdateItem only (no PutItem, no DeleteItem), only of the attributes a
        # staff change writes (never the resident's answers or contact details), returning only what it wrote. The
        # key's encrypt use through DynamoDB comes with the audit's PutItem grant above (one key, both tables).
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:UpdateItem"],
                resources=[requests_table.table_arn],
                conditions={
                    "ForAllValues:StringEquals": {"dynamodb:Attributes": list(STAFF_WRITE_ATTRIBUTES)},
                    "StringEqualsIfExists": {"dynamodb:ReturnValues": ["NONE", "UPDATED_NEW"]},
                },
            )
        )
        # Who a case can be assigned to: the members of its team's group (console/team_members.py). Reads only.
        self.function.add_to_role_policy(
            iam.PolicyStatement(actions=["cognito-idp:ListUsersInGroup"], resources=[user_pool.user_pool_arn])
        )
        # and reads one record's entries, for a resident's subject access export (console/records.py)
        grant_items(self.function, self.audit, key, ["dynamodb:Query"])
        self.kpis.grant(self.function, "dynamodb:Query")  # the KPI page: a Query per week, never a Scan
        grant_secret_value(self.function, self.signing_secret)
        require_origin_verify(self.function, origin_verify_secret)
        # Payments and refunds go through the payments service's staff function, parking permits through the permits
        # service's staff and applications functions: exactly those three (the console never reads their tables).
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{name}"
                    for name in (
                        config.staff_payments_function,
                        config.permits_staff_function,
                        config.permit_applications_function,
                    )
                ],
            )
        )
        # Submitting for a resident (decision 0007) and taking the fee by phone: exactly those two functions, no
        # version or alias.
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[assisted_function.function_arn, moto_function.function_arn],
            )
        )

        # The files residents sent: read (a HEAD, and the presigned GET the download redirects to, signed by this
        # role) under uploads/ only, where only scanned-clean files are ever put. No list, no write, no tags.
        uploads = uploads_bucket.arn_for_objects(f"{UPLOADS_PREFIX}*")
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[uploads]))
        bucket_id = Stack.of(uploads_bucket).get_logical_id(uploads_bucket.node.default_child)  # type: ignore[arg-type]
        suppress(
            self.function.role.node.find_child("DefaultPolicy").node.default_child,  # type: ignore[union-attr]
            "AwsSolutions-IAM5",
            "Upload ids are random per upload: staff download any file a resident sent with one of their cases, so "
            "the read names the uploads bucket's uploads/ prefix (scanned-clean files only), not single keys.",
            applies_to=[f"Resource::<{bucket_id}.Arn>/{UPLOADS_PREFIX}*"],
        )

        integration = integrations.HttpLambdaIntegration("ConsoleIntegration", self.function)
        for index, route_key in enumerate(CONSOLE_ROUTES):
            public_route(
                self,
                f"Route{index}",
                http_api=http_api,
                route_key=route_key,
                integration=integration,
                reason=(
                    f"{route_key} is the staff console, which authenticates in its own code: every route but the "
                    "sign-in journey needs a Cognito ID token (from an HttpOnly cookie, which an HTTP API's JWT "
                    "authorizer cannot read) verified against the pool's JWKS, and a permission from the route "
                    "table (functions/console/routes.py). Only CloudFront reaches it (origin-verify, decision 0003)."
                ),
            )
        CfnOutput(self, "StaffLoginUrl", value=self.domain.base_url())
        CfnOutput(self, "ConsoleClientId", value=self.client.user_pool_client_id)
