"""Staff sign-in: a Cognito user pool (no self sign-up) whose tokens the API's JWT authorizer checks."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.nag import suppress

CASEWORKERS_GROUP = "caseworkers"


class AuthStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.user_pool = cognito.UserPool(
            self,
            "StaffUsers",
            self_sign_up_enabled=False,  # staff accounts are created by the council's administrators
            sign_in_aliases=cognito.SignInAliases(email=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED if config.deletion_protection else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            removal_policy=RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY,
        )
        if not config.deletion_protection:
            suppress(
                self.user_pool.node.default_child,
                "AwsSolutions-COG2",
                f"MFA is required in production; in the {config.name} environment it is optional so that seeded "
                "test staff and automated end-to-end tests can sign in with a password. This pool holds no real "
                "staff accounts.",
            )
        self.client = self.user_pool.add_client(
            "StaffConsole",
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            generate_secret=False,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            prevent_user_existence_errors=True,
        )
        cognito.CfnUserPoolGroup(
            self,
            "Caseworkers",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=CASEWORKERS_GROUP,
            description="Staff who can change the status of residents' requests",
        )
        CfnOutput(self, "StaffUserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "StaffClientId", value=self.client.user_pool_client_id)
