"""One Lambda function construct for every Borough function: arm64, JSON logs with retention, tracing, the layer."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.layer import RUNTIME
from stacks.constructs.nag import suppress

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"


class BoroughFunction(Construct):
    """A function whose code is the package `functions/<service>/` and whose entry point is `handler`.

    `handler` is a dotted path inside that package, e.g. `catalogue.handler.handler`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        service: str,
        handler: str,
        layer: lambda_.ILayerVersion,
        description: str,
        environment: dict[str, str] | None = None,
        memory_size: int = 256,  # MB: 256 on arm64 keeps pydantic cold starts under a second
        timeout: Duration | None = None,
        log_key: kms.IKey | None = None,
        function_name: str | None = None,  # only for a function another stack invokes by name (no cycle)
    ) -> None:
        super().__init__(scope, construct_id)
        timeout = timeout or Duration.seconds(10)
        if not (FUNCTIONS_DIR / service / "__init__.py").exists():
            raise ValueError(f"functions/{service}/ is not a Python package: add functions/{service}/__init__.py")
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=log_retention(config.log_retention_days),
            encryption_key=log_key,
            removal_policy=RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY,
        )
        # A role of its own instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Borough {config.name} {service}: {description}"[:1000],
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=description,
            role=self.role,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            # Only this service's package goes into its code asset.
            code=lambda_.Code.from_asset(
                str(FUNCTIONS_DIR), exclude=["*", f"!{service}", f"!{service}/**", "**/__pycache__"]
            ),
            handler=handler,
            layers=[layer],
            memory_size=memory_size,
            timeout=timeout,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=self.log_group,
            environment={
                "POWERTOOLS_SERVICE_NAME": service,
                "POWERTOOLS_METRICS_NAMESPACE": "Borough",
                # Traces carry no responses (pages, cookies) or error details (shared/observability.py).
                "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
                "POWERTOOLS_TRACER_CAPTURE_ERROR": "false",
                "BOROUGH_ENVIRONMENT": config.name,
                "BOROUGH_COUNCIL_NAME": config.council_name,
                # The SDK clients' timeouts and retries are derived from it (shared/aws.py).
                "BOROUGH_FUNCTION_TIMEOUT_SECONDS": str(int(timeout.to_seconds())),
                **(environment or {}),
            },
        )
        # Active tracing adds xray:PutTraceSegments/PutTelemetryRecords on "*" to the role's default policy.
        suppress(
            self.role.node.find_child("DefaultPolicy").node.default_child,
            "AwsSolutions-IAM5",
            "X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so tracing "
            "needs Resource '*'; every data action in this policy names its table, topic, queue or state machine.",
            applies_to=["Resource::*"],
        )


class ServiceFunctions:
    """Makes a service's functions: the same service package, layer, log key and settings for each, in `scope`
    (so construct ids, and the logical ids made of them, are as if each were a `BoroughFunction` of the stack)."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: EnvironmentConfig,
        service: str,
        layer: lambda_.ILayerVersion,
        log_key: kms.IKey | None,
    ) -> None:
        self._scope, self._config, self._service, self._layer, self._log_key = scope, config, service, layer, log_key

    def __call__(
        self,
        construct_id: str,
        handler: str,
        description: str,
        environment: dict[str, str],
        timeout: Duration | None = None,
        function_name: str | None = None,
    ) -> lambda_.Function:
        return BoroughFunction(
            self._scope,
            construct_id,
            config=self._config,
            service=self._service,
            handler=handler,
            layer=self._layer,
            log_key=self._log_key,
            description=description,
            environment=environment,
            timeout=timeout,
            function_name=function_name,
        ).function


# CloudWatch Logs' allowed retention periods in days, in the order of `logs.RetentionDays` (INFINITE left out).
_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def log_retention(days: int) -> logs.RetentionDays:
    """The shortest CloudWatch retention that keeps logs at least `days` days."""
    members = [member for member in logs.RetentionDays if member.name != "INFINITE"]
    for allowed, member in zip(_RETENTION_DAYS, members, strict=True):
        if allowed >= days:
            return member
    return members[-1]
