"""The resident web's static assets: built (GOV.UK Frontend, the council's brand) and deployed to their bucket.

`make assets` builds them (web/build_assets.py) into .build/assets, with the manifest the web function reads to
link fingerprinted names; a synth builds them first if they are missing. CloudFront serves the bucket at
`/assets/*` (stacks/constructs/web_distribution.py).
"""

from __future__ import annotations

import runpy
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from stacks.constructs.buckets import logged_bucket
from stacks.constructs.logical_ids import Group
from stacks.constructs.nag import suppress

ROOT = Path(__file__).resolve().parents[2]
ASSETS_DIR = ROOT / ".build" / "assets"  # built by `make assets` (web/build_assets.py); built here if missing
ASSET_MANIFEST = ROOT / "functions" / "web" / "assets.json"
ASSET_MAX_AGE = Duration.days(365)  # file names carry a hash of their content, so they never change


def ensure_assets() -> Path:
    """The built assets folder (and the web function's manifest), building them first if they are missing."""
    if not (ASSETS_DIR.is_dir() and any(ASSETS_DIR.iterdir()) and ASSET_MANIFEST.exists()):
        runpy.run_path(str(ROOT / "web" / "build_assets.py"))["build"]()
    return ASSETS_DIR


class WebAssets(Group):
    """The assets bucket and the deployment that copies the built assets into it (under `assets/`)."""

    def __init__(self, scope: Construct, construct_id: str, *, logs: s3.Bucket, removal: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        assets_dir = ensure_assets()
        self.bucket = logged_bucket(self, "Assets", logs=logs, expire_days=None, removal=removal, prefix="assets/")
        s3_deployment.BucketDeployment(
            self,
            "DeployAssets",
            sources=[s3_deployment.Source.asset(str(assets_dir))],
            destination_bucket=self.bucket,
            destination_key_prefix="assets/",
            cache_control=[
                s3_deployment.CacheControl.from_string(f"public, max-age={int(ASSET_MAX_AGE.to_seconds())}, immutable")
            ],
            prune=False,  # old fingerprinted files stay for pages still open in browsers (lifecycle removes none)
            memory_limit=256,
        )
        self._suppress_deployment_findings()

    def _suppress_deployment_findings(self) -> None:
        """BucketDeployment's handler is CDK's own singleton function (in the stack, not in this construct); suppress
        its findings on exactly it."""
        stack = Stack.of(self)
        for child in stack.node.children:
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
                    f"Resource::arn:{stack.partition}:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{stack.region}/*",
                    f"Resource::<{stack.get_logical_id(self.bucket.node.default_child)}.Arn>/*",  # type: ignore[arg-type]
                ],
            )
            suppress(
                function,
                "AwsSolutions-L1",
                "CDK's BucketDeployment handler runtime is chosen by the CDK version, not by this app; it runs "
                "only during deployments.",
            )
