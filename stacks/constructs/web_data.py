"""The resident web's data: drafts (answers between pages) and uploads (quarantined, scanned by GuardDuty, released).

Uploads go from the browser straight to the quarantine bucket (a presigned POST); GuardDuty Malware Protection for
S3 scans each new object and tags it; the web copies a clean one to the uploads bucket, kept with the requests.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from shared.catalogue import load_catalogue
from shared.uploads import CLEAN, PERMIT_EVIDENCE_RETENTION_DAYS, PERMIT_EVIDENCE_SERVICE_ID, SCAN_TAG, service_prefix
from stacks.config import EnvironmentConfig
from stacks.constructs.buckets import logged_bucket
from stacks.constructs.logical_ids import Group
from stacks.constructs.nag import suppress
from stacks.constructs.tables import council_table

QUARANTINE_DAYS = 1  # an upload not released within a day was abandoned (or is being held as infected)
REMINDER_INDEX = "ByReminderDay"


class WebData(Group):
    """The Drafts table (with its reminder index), the quarantine and uploads buckets, and the malware scan."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        key: kms.IKey,
        logs: s3.Bucket,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY

        # -- drafts: answers between pages, 28 days after the last save (TTL) --------------------------------------
        self.drafts = council_table(self, "Drafts", config=config, key=key, partition_key="draft_id")
        # Save-and-return reminders, found by the day they are due (a sparse index: only reminder items have it).
        self.drafts.add_global_secondary_index(
            index_name=REMINDER_INDEX,
            partition_key=dynamodb.Attribute(name="remind_on", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="draft_id", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=["reminds", "days_left", "draft_expires_at", "service_id"],
        )

        # -- uploads -----------------------------------------------------------------------------------------------
        self.quarantine = logged_bucket(
            self, "Quarantine", logs=logs, expire_days=QUARANTINE_DAYS, removal=removal, prefix="quarantine/"
        )
        # Each service's uploads expire with its requests (`retention_days`, uploads/<service id>/); the rule for
        # the whole bucket catches anything else, and never cuts a service's retention short (the earliest
        # expiration of the rules that apply wins).
        services = load_catalogue().values()
        longest = max([config.request_retention_days, *(d.retention_days for d in services)])
        self.clean = logged_bucket(self, "Uploads", logs=logs, expire_days=longest, removal=removal, prefix="uploads/")
        for definition in sorted(services, key=lambda d: d.id):
            self.clean.add_lifecycle_rule(
                id=f"expire-{definition.id}",
                prefix=service_prefix(definition.id),
                expiration=Duration.days(definition.retention_days),
            )
        # Parking permit evidence (permits.evidence: uploads/parking-permit/): kept while staff check it, then gone.
        self.clean.add_lifecycle_rule(
            id=f"expire-{PERMIT_EVIDENCE_SERVICE_ID}",
            prefix=service_prefix(PERMIT_EVIDENCE_SERVICE_ID),
            expiration=Duration.days(PERMIT_EVIDENCE_RETENTION_DAYS),
        )
        self._malware_protection()
        self.clean_bucket_name = ssm.StringParameter(
            self,
            "UploadsBucketName",
            parameter_name=config.uploads_bucket_parameter,
            string_value=self.clean.bucket_name,
            description="The bucket of scanned-clean uploads: the catalogue accepts a file answer only if it is there",
        )

    def allow_upload_checks(self, function: lambda_.IFunction) -> None:
        """Let a function of another stack (the catalogue, which this stack depends on) find clean uploads: read
        the parameter and HEAD an object. The policy lives here, attached to its role: no reference back."""
        assert function.role is not None
        policy = iam.Policy(
            self,
            "CatalogueChecksUploads",
            roles=[function.role],
            statements=[
                iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[self.clean_bucket_name.parameter_arn]),
                iam.PolicyStatement(actions=["s3:GetObject"], resources=[self.clean.arn_for_objects("uploads/*")]),
            ],
        )
        suppress(
            policy.node.default_child,
            "AwsSolutions-IAM5",
            "Upload ids are random per upload: the catalogue reads (HEAD) any object under uploads/ to check that a "
            "file answer names a scanned-clean upload of its service.",
            applies_to=[f"Resource::<{Stack.of(self).get_logical_id(self.clean.node.default_child)}.Arn>/uploads/*"],  # type: ignore[arg-type]
        )

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
                f"Resource::<{Stack.of(self).get_logical_id(bucket.node.default_child)}.Arn>/*",  # type: ignore[arg-type]
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
        # Nothing but GuardDuty reads an object before it is tagged clean: not even HEAD (authorised as
        # s3:GetObject). The web reads only the tags until then (web/uploads.py).
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["s3:GetObject"],
                resources=[bucket.arn_for_objects("*")],
                conditions={
                    "StringNotEquals": {f"s3:ExistingObjectTag/{SCAN_TAG}": CLEAN},
                    "ArnNotEquals": {"aws:PrincipalArn": role.role_arn},
                },
            )
        )
