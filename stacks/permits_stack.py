"""Permits: the Permits table, the enforcement look-up and the devices that may call it. See docs/permits.md.

- The table (pk + sk, the council's key, PITR, deletion protection in prod) has four indexes, the only ways the code
  reads more than one item: `by-vrm` (a mark's permits and sessions in every zone: the enforcement look-up),
  `by-household` (a UPRN's permits, by zone), `by-change` (the devices' feed) and `by-due` (the daily schedule).
  No function scans it. Visitor sessions expire (TTL `expires_at`) two years after they end; permits carry no TTL.
- The enforcement look-up (`GET` and `POST /api/v1/permits/check`) is served by the check function behind the HTTP
  API's JWT authorizer: an access token of the enforcement devices' own user pool (OAuth 2.0 client credentials,
  its domain's token endpoint) carrying the resource server's `permits/check` scope. Staff tokens (another pool)
  and tokens without the scope are refused by API Gateway before the function runs. Each device or contractor is
  an app client of that pool declared here (dev and test: one demo device).
- Every look-up is appended to the PermitLookups table: the check function may PutItem there and nothing else.
- The devices' offline feed (`GET /api/v1/permits/feed`, `GET /api/v1/permits/feed/key`), behind the same
  authorizer and scope, is served by the feed function: it Queries the `by-change` index (which projects what a
  device needs, never the household), signs each page with the feed's own asymmetric KMS key (kms:Sign and
  kms:GetPublicKey on that key only) and appends each page given to PermitLookups.
- Applications (`permits.application_handler`, invoked directly by the web, not routed): the Applications function
  reads the two indexes (the household's permits, the mark's), puts a new application and gets one back, and reads
  the DVLA key (`borough/<env>/dvla-api-key`, created by a person) by name, and invokes the payments function
  (`register-order`: the application's amount, docs/decisions/0010) before it stores the application.
- Issuing: the PermitIssuer function consumes the permits queue (payments' `order-paid`) and issues the permit once
  (or applies a paid change of vehicle; both functions may invoke payments' OrderRefunds, `refund-order`);
  the application's move to `issued` stores the `permit-issued` event with it (the outbox), and the table's stream
  (new and old images) runs the permits' own OutboxPublisher, which forwards it to the events topic.
- The permit journey (`permits.journey`, workflows/permit_journey.asl.json): a Standard state machine, one execution
  per application, started by the applications function once the application is stored (StartExecution on it);
  its Lambda tasks are the PermitJourney function's steps (wait for the payment with a task token, issue, schedule
  the reminders, cancel after 30 days unpaid), and its role may invoke that function only. The issuer resumes a
  waiting execution on `order-paid` (SendTaskSuccess on this machine only).
- The daily schedule (`permits.schedule_job`, an EventBridge rule at 08:00 UTC): the PermitSchedule function
  Queries the sparse `by-due` index (keys only) for the unpaid applications to warn or cancel and the permits to
  remind or expire, and claims each step with a conditional write carrying its event (the outbox).
- Staff (`permits.staff_handler`, the PermitsStaff function, named: the console invokes it by name, not routed):
  GetItem on the table, Query on `by-vrm` and `by-household`, UpdateItem (verifying declared details; revoking:
  the permit and the household counter) and DeleteItem (revoking: the VRM guard), in transactions. No Put, no Scan.
- Throttling: the look-up's routes have their own rate and burst (config `permits_check_throttle_rate`/`burst`),
  set on the API's stage once they exist (`RouteThrottles`); the feed has the stage's. The WAF's per-address limits
  apply to all of them.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import ServiceFunctions, log_retention
from stacks.constructs.grants import grant_items, grant_secret_value, require_origin_verify
from stacks.constructs.nag import suppress
from stacks.constructs.outbox import OutboxPublisher
from stacks.constructs.route_throttle import RouteThrottles
from stacks.constructs.tables import council_table
from stacks.payments_stack import refund_roles as roles_holding
from stacks.routes import PERMITS_CHECK_ROUTES, PERMITS_FEED_ROUTES
from stacks.workflows_stack import WORKFLOWS_DIR

BY_VRM = "by-vrm"  # functions/permits/store.py
BY_HOUSEHOLD = "by-household"  # functions/permits/store.py
BY_CHANGE = "by-change"  # functions/permits/store.py
BY_DUE = "by-due"  # functions/permits/schedule.py
# 08:00 UTC (08:00 or 09:00 in the UK): the same date in London and UTC, and a civil hour for a reminder.
SCHEDULE = events.Schedule.cron(minute="0", hour="8")
SCHEDULE_TIMEOUT = Duration.seconds(300)  # a day's steps: about 2 s each at worst, and every one is resumable
# The daily job: an item by key, its step claimed (Update), a cancellation's check that no permit was issued
# (ConditionCheck), and store.end's transaction for an expiry (the permit Updated, its guard Deleted, the
# household counter Updated). No Put, no Scan.
SCHEDULE_ACTIONS = ("dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem")
# What `by-change` projects: functions/permits/feed.py FEED_ATTRIBUTES (tests/infra/test_infra_permits.py compares).
FEED_ATTRIBUTES = (
    "record",
    "permit_id",
    "session_id",
    "vrm",
    "zone",
    "kind",
    "valid_from",
    "valid_to",
    "status",
    "start",
    "end",
)
RESOURCE_SERVER = "permits"
CHECK_SCOPE = "check"  # the token's scope is `permits/check` (functions/permits/check.py)
DEVICE_TOKEN_VALIDITY = Duration.hours(1)
DEMO_DEVICE_CLIENTS = ("DemoDevice",)  # dev and test: the local cloud's demo device gets tokens for this client
PROD_DEVICE_CLIENTS = ("EnforcementContractor",)  # the civil enforcement contractor's handhelds
DVLA_BASE_URL = "https://driver-vehicle-licensing.api.gov.uk"  # the local cloud points this at its DVLA stand-in
# The journey's state machine, named (its executions are `<name>:<reference>`: the history found by reference).
JOURNEY_MACHINE_NAME = "{prefix}-PermitJourney"
# Item actions of the applications function and the issuer on the Permits table (no Query but the indexes, no Scan).
CHANGE_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]


class PermitsStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        key: kms.IKey,
        layer: lambda_.ILayerVersion,
        http_api: apigw.IHttpApi,
        origin_verify_secret: secretsmanager.ISecret,
        payments_function: lambda_.IFunction,
        order_refunds_function: lambda_.IFunction,
        queue: sqs.IQueue,
        events_topic: sns.ITopic,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        protect = config.deletion_protection
        # Its stream (new and old images) is the permits' transactional outbox: an event stored with a write (the
        # issuer's `issued`, shared/outbox.py) is published from it, as the Requests table's are.
        self.table = council_table(
            self,
            "Permits",
            config=config,
            key=key,
            partition_key="pk",
            sort_key="sk",
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        )
        self.table.add_global_secondary_index(
            index_name=BY_VRM,
            partition_key=dynamodb.Attribute(name="vrm", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.table.add_global_secondary_index(
            index_name=BY_HOUSEHOLD,
            partition_key=dynamodb.Attribute(name="household", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="zone", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.table.add_global_secondary_index(
            index_name=BY_CHANGE,
            partition_key=dynamodb.Attribute(name="feed_month", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="feed_at", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=list(FEED_ATTRIBUTES),
        )
        # Sparse: only unpaid applications and issued permits with a step to come carry `due_on` (a London date).
        self.table.add_global_secondary_index(
            index_name=BY_DUE,
            partition_key=dynamodb.Attribute(name="due_on", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )

        # TTL: lookups_audit.py (visitor sessions and look-ups expire; permits carry none)
        self.lookups = council_table(
            self, "PermitLookups", config=config, key=key, partition_key="device", sort_key="at"
        )

        # -- enforcement devices: a user pool of machine clients only (no users sign in to it) -----------------
        self.devices = cognito.UserPool(
            self,
            "EnforcementDevices",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True),
            password_policy=cognito.PasswordPolicy(
                min_length=16, require_digits=True, require_lowercase=True, require_uppercase=True, require_symbols=True
            ),
            mfa=cognito.Mfa.OFF,
            account_recovery=cognito.AccountRecovery.NONE,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
        )
        pool_resource = self.devices.node.default_child
        for rule, reason in (
            (
                "AwsSolutions-COG2",
                "No person signs in to this pool: its app clients are enforcement devices using "
                "OAuth 2.0 client credentials (a client id and secret), for which Cognito has no MFA.",
            ),
            (
                "AwsSolutions-COG8",
                "No person signs in to this pool, so the Plus plan's threat protection (which judges user "
                "sign-ins) has nothing to judge: machine tokens come from the client credentials grant only.",
            ),
        ):
            suppress(pool_resource, rule, reason)
        check_scope = cognito.ResourceServerScope(
            scope_name=CHECK_SCOPE, scope_description="Check a vehicle's parking permit (enforcement look-up)"
        )
        server = self.devices.add_resource_server(
            "PermitsResourceServer", identifier=RESOURCE_SERVER, scopes=[check_scope]
        )
        self.domain = self.devices.add_domain(
            "DevicesDomain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=f"{config.prefix.lower()}-devices"),
        )
        self.check_scope = cognito.OAuthScope.resource_server(server, check_scope)
        # One app client per device fleet or contractor; the authorizer admits these clients only. Adding one is a
        # template change (reviewed, deployed); its secret is read by an administrator from Cognito.
        self.device_clients = [
            self.devices.add_client(
                name,
                generate_secret=True,
                o_auth=cognito.OAuthSettings(
                    flows=cognito.OAuthFlows(client_credentials=True), scopes=[self.check_scope]
                ),
                access_token_validity=DEVICE_TOKEN_VALIDITY,
                enable_token_revocation=True,
                prevent_user_existence_errors=True,
            )
            for name in (PROD_DEVICE_CLIENTS if protect else DEMO_DEVICE_CLIENTS)
        ]
        for client in self.device_clients:
            CfnOutput(self, f"{client.node.id}ClientId", value=client.user_pool_client_id)

        self._function = ServiceFunctions(self, config=config, service="permits", layer=layer, log_key=key)
        self.check = self._function(
            "PermitCheck",
            "permits.check.handler",
            "Enforcement look-up: is this vehicle permitted in this zone now (audited)",
            {"PERMITS_TABLE": self.table.table_name, "LOOKUPS_TABLE": self.lookups.table_name},
        )
        grant_items(self.check, self.table, key, ["dynamodb:Query"], index=BY_VRM)
        grant_items(self.check, self.lookups, key, ["dynamodb:PutItem"])
        require_origin_verify(self.check, origin_verify_secret)

        self.dvla_key = secretsmanager.Secret.from_secret_name_v2(
            self, "DvlaApiKey", f"borough/{config.name}/dvla-api-key"
        )
        # Signs the manage links in the permit-issued email (permits.manage_links), as the renewals' key signs theirs.
        self.manage_link_key = secretsmanager.Secret(
            self,
            "PermitManageLinkKey",
            description=f"Borough {config.name} permits: signs the manage links in permit emails (HMAC)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
        )
        suppress(
            self.manage_link_key.node.default_child,
            "AwsSolutions-SMG4",
            "The key signs manage links (valid until 30 days after a permit's last day); rotating it means replacing "
            "the value, which ends the links already sent (the parking team can still change or cancel a permit).",
        )
        self.applications = self._function(
            "PermitApplications",
            "permits.application_handler.handler",
            "Permit applications: eligibility, the vehicle from DVLA, the price; stored pending payment",
            {
                "PERMITS_TABLE": self.table.table_name,
                "DVLA_BASE_URL": DVLA_BASE_URL,
                "DVLA_API_KEY_SECRET_ID": self.dvla_key.secret_name,
                "PAYMENTS_FUNCTION": payments_function.function_name,
                "ORDER_REFUNDS_FUNCTION": order_refunds_function.function_name,
                "MANAGE_LINK_KEY_SECRET_ID": self.manage_link_key.secret_arn,
            },
            # Named: the notifications consumer (made before this stack) invokes it by name for `contact`.
            function_name=config.permit_applications_function,
        )
        # register-order (docs/decisions/0010) and refund-order (a change's or a cancellation's refund): those two
        # functions (CDK's grant_invoke adds `<arn>:*`, every version)
        self.applications.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[payments_function.function_arn, order_refunds_function.function_arn],
            )
        )
        grant_items(self.applications, self.table, key, ["dynamodb:Query"], index=BY_VRM)
        grant_items(self.applications, self.table, key, ["dynamodb:Query"], index=BY_HOUSEHOLD)
        # Applications put and read; a change of vehicle or a cancellation updates the permit, the application and
        # the household counter and deletes the old mark's guard, in one transaction (permits.changes); a free
        # permit (£0) is issued at once, in the issuer's transaction with its check that the application is unpaid.
        grant_items(self.applications, self.table, key, [*CHANGE_ACTIONS, "dynamodb:ConditionCheckItem"])
        grant_secret_value(self.applications, self.dvla_key)
        grant_secret_value(self.applications, self.manage_link_key)

        # Issuing on payment: payments' order-paid, from the queue the events stack made (shared/events.py CONSUMERS).
        self.issuer = self._function(
            "PermitIssuer",
            "permits.issue_handler.handler",
            "Issues a paid permit application's permit, once (order-paid from payments)",
            {"PERMITS_TABLE": self.table.table_name, "ORDER_REFUNDS_FUNCTION": order_refunds_function.function_name},
        )
        # Get the application; the permit, its VRM guard (Put) and the household counter (Update) in one
        # transaction, which checks the application is still unpaid (ConditionCheck: not cancelled meanwhile); the
        # application marked issued (Update). A paid change of vehicle: the old mark's guard deleted and the new one
        # put with the permit's update (permits.changes). No Query, no Scan.
        grant_items(self.issuer, self.table, key, [*CHANGE_ACTIONS, "dynamodb:ConditionCheckItem"])
        # What was paid but cannot be issued or applied is refunded through payments (refund-order): that function.
        self.issuer.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[order_refunds_function.function_arn])
        )
        self.issuer.add_event_source(event_sources.SqsEventSource(queue, batch_size=1, report_batch_item_failures=True))
        self._journey(config, key, order_refunds_function)
        # The permit events (permit-issued, ...) are stored with the writes that make them and published from here.
        self.outbox = OutboxPublisher(
            self,
            "Outbox",
            config=config,
            layer=layer,
            key=key,
            table=self.table,
            topic=events_topic,
            source="Permits",
        )

        # The daily schedule: unpaid applications warned (day 25) and cancelled (day 30), permits reminded (28 and
        # 7 days before their last day) and expired (the day after).
        self.schedule_job = self._function(
            "PermitSchedule",
            "permits.schedule_job.handler",
            "Daily: warns and cancels unpaid permit applications, reminds and expires permits",
            {"PERMITS_TABLE": self.table.table_name},
            timeout=SCHEDULE_TIMEOUT,
        )
        grant_items(self.schedule_job, self.table, key, ["dynamodb:Query"], index=BY_DUE)
        grant_items(self.schedule_job, self.table, key, SCHEDULE_ACTIONS)
        self.schedule_rule = events.Rule(
            self,
            "DailyPermitSchedule",
            description="Warn and cancel unpaid permit applications, remind and expire permits, due today",
            schedule=SCHEDULE,
            targets=[targets.LambdaFunction(self.schedule_job, retry_attempts=2)],  # a rerun does nothing twice
        )

        # Permits for staff: invoked by the console alone, by name (the console stack is made before this one).
        self.staff = self._function(
            "PermitsStaff",
            "permits.staff_handler.handler",
            "Permits for staff: search by mark, reference or UPRN, a permit's record, verify details, revoke, refund",
            # the console's roles holding manage-permits (its roles.yaml, read as data): checked here too
            {
                "PERMITS_TABLE": self.table.table_name,
                "MANAGE_ROLES": roles_holding("manage-permits"),
                "PAYMENTS_FUNCTION": payments_function.function_name,
                "ORDER_REFUNDS_FUNCTION": order_refunds_function.function_name,
            },
            function_name=config.permits_staff_function,
        )
        # A correction of declared details reprices the permit (permits.corrections): register-order for a charge,
        # refund-order for a refund (and a revocation's refund, when staff choose one); those two functions.
        self.staff.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[payments_function.function_arn, order_refunds_function.function_arn],
            )
        )
        grant_items(self.staff, self.table, key, ["dynamodb:Query"], index=BY_VRM)
        grant_items(self.staff, self.table, key, ["dynamodb:Query"], index=BY_HOUSEHOLD)
        # PutItem: a correction's record (CHANGE#<reference>, new), in one transaction with the verification
        grant_items(
            self.staff,
            self.table,
            key,
            ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:PutItem"],
        )
        # API Gateway checks the token: this pool's issuer, an app client of it, and the check scope. Declared here
        # (an L1): CDK's JWT authorizer would put itself in the API's stack, which would then refer to this one's
        # clients (a cycle).
        self.authorizer = apigw.CfnAuthorizer(
            self,
            "DeviceAuthorizer",
            api_id=http_api.api_id,
            name="EnforcementDevices",
            authorizer_type="JWT",
            identity_source=["$request.header.Authorization"],
            jwt_configuration=apigw.CfnAuthorizer.JWTConfigurationProperty(
                issuer=self.devices.user_pool_provider_url,
                audience=[client.user_pool_client_id for client in self.device_clients],
            ),
        )
        check_routes = self._device_routes(
            http_api, "PermitsCheck", "PermitCheckIntegration", PERMITS_CHECK_ROUTES, self.check
        )
        # The look-up's own throttle on the API stage, set once its routes exist (stacks/constructs/route_throttle.py).
        RouteThrottles(
            self,
            "PermitsCheckThrottle",
            http_api=http_api,
            routes=check_routes,
            rate=config.permits_check_throttle[0],
            burst=config.permits_check_throttle[1],
            key=key,
            log_retention_days=config.log_retention_days,
        )

        # -- the devices' offline feed: signed pages of what changed since a cursor ---------------------------------
        self.feed_key = kms.Key(
            self,
            "FeedSigningKey",
            description=f"Borough {config.name} permits: signs the enforcement devices' offline feed (ECDSA P-256)",
            key_spec=kms.KeySpec.ECC_NIST_P256,
            key_usage=kms.KeyUsage.SIGN_VERIFY,
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
        )
        self.feed = self._function(
            "PermitFeed",
            "permits.feed_handler.handler",
            "Enforcement devices' offline feed: signed pages of permits and sessions changed since a cursor",
            {
                "PERMITS_TABLE": self.table.table_name,
                "LOOKUPS_TABLE": self.lookups.table_name,
                "FEED_SIGNING_KEY": self.feed_key.key_arn,
            },
        )
        grant_items(self.feed, self.table, key, ["dynamodb:Query"], index=BY_CHANGE)
        grant_items(self.feed, self.lookups, key, ["dynamodb:PutItem"])
        self.feed_key.grant(self.feed, "kms:Sign", "kms:GetPublicKey")
        require_origin_verify(self.feed, origin_verify_secret)
        self._device_routes(http_api, "PermitsFeed", "PermitFeedIntegration", PERMITS_FEED_ROUTES, self.feed)
        CfnOutput(self, "DevicesTokenUrl", value=f"{self.domain.base_url()}/oauth2/token")

    def _journey(self, config: EnvironmentConfig, key: kms.IKey, order_refunds_function: lambda_.IFunction) -> None:
        """The permit journey: a Standard state machine per application (workflows/permit_journey.asl.json), whose
        Lambda tasks are the PermitJourney function's steps (permits.journey). The applications function starts it
        once an application is stored; the issuer resumes it (SendTaskSuccess) when the order is paid."""
        self.journey_function = self._function(
            "PermitJourney",
            "permits.journey_handler.handler",
            "Permit journey steps (its state machine's tasks): await payment, issue, schedule reminders, cancel unpaid",
            {"PERMITS_TABLE": self.table.table_name, "ORDER_REFUNDS_FUNCTION": order_refunds_function.function_name},
        )
        # The token kept on the application (Update); issuing as the issuer does (permits.issuing: the permit, its
        # guard and the household counter in one transaction with the application's ConditionCheck); the schedule's
        # due_on (Update); the cancellation's transaction (Update, ConditionCheck). No Query, no Scan.
        grant_items(self.journey_function, self.table, key, [*CHANGE_ACTIONS, "dynamodb:ConditionCheckItem"])
        self.journey_function.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[order_refunds_function.function_arn])
        )
        execution_logs = logs.LogGroup(
            self, "PermitJourneyLogs", retention=log_retention(config.log_retention_days), encryption_key=key
        )
        self.journey = sfn.StateMachine(
            self,
            "PermitJourneyMachine",
            state_machine_name=JOURNEY_MACHINE_NAME.format(prefix=config.prefix),
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(str(WORKFLOWS_DIR / "permit_journey.asl.json")),
            definition_substitutions={"JourneyFunctionArn": self.journey_function.function_arn},
            # Every event, without execution data (the payment's event, a task token): states and errors only.
            logs=sfn.LogOptions(destination=execution_logs, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        # The definition invokes the unqualified function ARN: that function only, no `:*` grant.
        self.journey.add_to_role_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.journey_function.function_arn])
        )
        suppress(
            self.journey.role.node.find_child("DefaultPolicy").node.default_child,
            "AwsSolutions-IAM5",
            "Step Functions execution logging needs the CloudWatch Logs delivery actions (logs:CreateLogDelivery, "
            "PutResourcePolicy, ...) and tracing needs X-Ray actions; neither supports resource-level "
            "permissions. The invoke statement names its function.",
            applies_to=["Resource::*"],
        )
        # Started by the apply path (one execution per application, named by its reference).
        self.applications.add_environment("PERMIT_JOURNEY", self.journey.state_machine_arn)
        self.journey.grant_start_execution(self.applications)
        # Resumed by the order-paid consumer: SendTaskSuccess on this machine only (nothing fails a wait: a failed
        # attempt at Pay leaves the order payable).
        self.issuer.add_environment("PERMIT_JOURNEY", self.journey.state_machine_arn)
        self.issuer.add_to_role_policy(
            iam.PolicyStatement(actions=["states:SendTaskSuccess"], resources=[self.journey.state_machine_arn])
        )

    def _device_routes(
        self,
        http_api: apigw.IHttpApi,
        name: str,
        integration_id: str,
        route_keys: tuple[str, ...],
        function: lambda_.IFunction,
    ) -> dict[str, apigw.HttpRoute]:
        """Routes for the enforcement devices: each behind the devices' JWT authorizer with the check scope."""
        integration = integrations.HttpLambdaIntegration(integration_id, function)
        routes = {}
        for number, route_key in enumerate(route_keys):
            method, path = route_key.split(" ", 1)
            route = apigw.HttpRoute(
                self,
                f"Route{name}{number}",
                http_api=http_api,
                route_key=apigw.HttpRouteKey.with_(path, apigw.HttpMethod[method]),
                integration=integration,
            )
            resource = route.node.default_child
            assert isinstance(resource, apigw.CfnRoute)
            resource.authorization_type = "JWT"
            resource.authorizer_id = self.authorizer.ref
            resource.authorization_scopes = [self.check_scope.scope_name]
            routes[route_key] = route
        return routes
