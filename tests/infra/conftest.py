"""The synthesized Borough app, once per test session (shared across xdist workers by ensure_assembly's lock).

`dev` and `prod` are `Synth` objects: every stack's template as JSON and as `aws_cdk.assertions.Template`, plus
resolution of cross-stack references so tests can ask which resource a value points at without logical ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from local.assembly import DEFAULT_OUTDIR, ROOT, ensure_assembly

PROD_OUTDIR = ROOT / ".build" / "cdk.prod.out"
# prod has deletion protection, so it needs an alarm address; cdk.json leaves it to the deployer (`-c alarm_email`).
PROD_ALARM_EMAIL = "borough-alarms@example.org"
ENVIRONMENTS = ("dev", "prod")


@dataclass(frozen=True)
class ResourceId:
    """Where a resource is declared: its stack and its logical id (compared, never hard-coded in tests)."""

    stack: str
    logical_id: str


@dataclass
class Resource:
    stack: str
    logical_id: str
    body: dict[str, Any]

    @property
    def id(self) -> ResourceId:
        return ResourceId(self.stack, self.logical_id)

    @property
    def props(self) -> dict[str, Any]:
        return self.body.get("Properties", {})


# CDK's own deploy-time handlers: BucketDeployment (web assets), the cross-region reference writer and reader
# (the WAF's ARN, decision 0003) and AwsCustomResource's (stacks/constructs/route_throttle.py).
_CDK_DEPLOY_TIME_PATHS = (
    "/Custom::CDKBucketDeployment",
    "/AwsCliLayer/",
    "/Custom::CrossRegionExportWriterCustomResourceProvider/",
    "/Custom::CrossRegionExportReaderCustomResourceProvider/",
    "/AWS679f53fac002430cb0da5b7982bd2287/",  # AwsCustomResource's handler (a route's throttle on the API stage)
)


def _cdk_deploy_time(body: dict[str, Any]) -> bool:
    """CDK's own deploy-time handlers: not Borough functions, so the functions' and roles' contracts do not apply
    to them; cfn-lint still checks them, and cdk-nag checks BucketDeployment's, with scoped suppressions."""
    path = body.get("Metadata", {}).get("aws:cdk:path", "")
    return any(part in path for part in _CDK_DEPLOY_TIME_PATHS)


@dataclass
class Synth:
    """One environment's cloud assembly."""

    environment: str
    outdir: Path
    _assertions: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def templates(self) -> dict[str, dict[str, Any]]:
        names = [
            name
            for name, artifact in self._manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        ]
        return {name: json.loads((self.outdir / f"{name}.template.json").read_text()) for name in names}

    @cached_property
    def _manifest(self) -> dict[str, Any]:
        manifest: dict[str, Any] = json.loads((self.outdir / "manifest.json").read_text())
        return manifest

    def region(self, stack: str) -> str:
        """The region a stack deploys to, from its environment (`aws://<account>/<region>`) in the manifest."""
        environment: str = self._manifest["artifacts"][stack]["environment"]
        return environment.rsplit("/", 1)[1]

    def stack(self, concern: str) -> str:
        return f"Borough-{self.environment}-{concern}"

    def template(self, concern: str) -> Any:
        """The stack `Borough-<env>-<concern>` as an `aws_cdk.assertions.Template`."""
        from aws_cdk.assertions import Template

        name = self.stack(concern)
        if name not in self._assertions:
            self._assertions[name] = Template.from_json(self.templates[name], skip_cyclical_dependencies_check=True)
        return self._assertions[name]

    def resources(self, type_: str) -> list[Resource]:
        found = [
            Resource(stack, logical_id, body)
            for stack, template in self.templates.items()
            for logical_id, body in template.get("Resources", {}).items()
            if body["Type"] == type_ and not _cdk_deploy_time(body)
        ]
        assert found, f"no {type_} in the {self.environment} assembly"
        return found

    def get(self, rid: ResourceId) -> Resource:
        return Resource(rid.stack, rid.logical_id, self.templates[rid.stack]["Resources"][rid.logical_id])

    def role_statements(self, function: Resource) -> list[dict[str, Any]]:
        """Every statement of the IAM policies attached to a function's role, in whatever stack they are."""
        role = self.refers_to(function.stack, function.props["Role"])
        return [
            statement
            for policy in self.resources("AWS::IAM::Policy")
            if role in {self.refers_to(policy.stack, r) for r in policy.props.get("Roles", [])}
            for statement in policy.props["PolicyDocument"]["Statement"]
        ]

    def dead_letter_queues(self) -> set[ResourceId]:
        """Queues that hold what failed: SQS redrive targets, and event source mappings' on-failure destinations
        (a stream's records cannot be redriven, so a failed batch's position goes to a queue instead)."""
        queues = self.resources("AWS::SQS::Queue")
        found = {
            self.refers_to(q.stack, q.props["RedrivePolicy"]["deadLetterTargetArn"])
            for q in queues
            if "RedrivePolicy" in q.props
        }
        for mapping in self.resources("AWS::Lambda::EventSourceMapping"):
            destination = mapping.props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if destination is not None:
                found.add(self.refers_to(mapping.stack, destination))
        return {rid for rid in found if rid is not None}

    @cached_property
    def _exports(self) -> dict[str, tuple[str, Any]]:
        exports = {}
        for stack, template in self.templates.items():
            for output in template.get("Outputs", {}).values():
                if "Export" in output:
                    exports[output["Export"]["Name"]] = (stack, output["Value"])
        return exports

    def refers_to(self, stack: str, value: Any) -> ResourceId | None:
        """The resource that `value` (a Ref, GetAtt or ImportValue in `stack`) names, else None."""
        if isinstance(value, dict):
            if "Ref" in value and not value["Ref"].startswith("AWS::"):
                return ResourceId(stack, value["Ref"])
            if "Fn::GetAtt" in value:
                target = value["Fn::GetAtt"]
                return ResourceId(stack, target[0] if isinstance(target, list) else target.split(".")[0])
            if "Fn::ImportValue" in value and isinstance(value["Fn::ImportValue"], str):
                exporter, exported = self._exports[value["Fn::ImportValue"]]
                return self.refers_to(exporter, exported)
        return None

    def references(self, stack: str, value: Any) -> Iterator[ResourceId]:
        """Every resource `value` mentions, at any depth (e.g. inside Fn::Join)."""
        direct = self.refers_to(stack, value)
        if direct is not None:
            yield direct
        elif isinstance(value, dict):
            for item in value.values():
                yield from self.references(stack, item)
        elif isinstance(value, list):
            for item in value:
                yield from self.references(stack, item)

    def metadata(self, stack: str) -> dict[str, list[dict[str, Any]]]:
        data: dict[str, list[dict[str, Any]]] = json.loads((self.outdir / f"{stack}.metadata.json").read_text())
        return data


@pytest.fixture(scope="session")
def dev() -> Synth:
    return Synth("dev", ensure_assembly(DEFAULT_OUTDIR, "dev"))


@pytest.fixture(scope="session")
def prod() -> Synth:
    return Synth("prod", ensure_assembly(PROD_OUTDIR, "prod", {"alarm_email": PROD_ALARM_EMAIL}))


@pytest.fixture(scope="session", params=ENVIRONMENTS)
def synth(request: pytest.FixtureRequest) -> Synth:
    """Each environment in turn: for properties that must hold in dev and prod alike."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]
