"""Provision every resource the synthesized templates declare into moto, stack by stack, in dependency order.

moto's own CloudFormation is not used: it skips SNS subscriptions, queue policies and all of API Gateway v2, so
each resource type the project uses has a small function here (in `local.resources`) that creates it through
moto's API from the template's resolved properties. Types the local cloud does not serve still get a physical
id (so references to them resolve) and are reported, never silently skipped; so are resources of a served type
whose provisioner raises `NotServed` for a shape it cannot run (e.g. a pipe with an enrichment).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from local.intrinsics import Provisioned, Scope, references, resolve
from local.lambda_runtime import LambdaRuntime
from local.moto_session import ACCOUNT_ID, REGION, MotoSession
from local.templates import Stack


@dataclass
class Resource:
    """One template resource as the local cloud sees it."""

    stack: str
    logical_id: str
    type: str
    path: str  # the construct path from `aws:cdk:path` metadata (stable), or stack/logicalId
    metadata: dict[str, Any]
    properties: dict[str, Any] = field(default_factory=dict)  # resolved (served types only)
    provisioned: Provisioned | None = None
    served: bool = True
    not_served_reason: str = ""  # why a resource of a served type is not run (see `NotServed`)

    @property
    def physical_id(self) -> str:
        return self.provisioned.ref if self.provisioned else ""


@dataclass
class Inventory:
    """Everything provisioned, looked up by construct path or by stack and logical id."""

    resources: list[Resource] = field(default_factory=list)
    exports: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # stack -> output name -> value

    def by_path(self, path: str) -> Resource:
        for resource in self.resources:
            if resource.path == path:
                return resource
        raise KeyError(f"No resource with construct path {path!r}")

    def by_logical_id(self, stack: str, logical_id: str) -> Resource:
        for resource in self.resources:
            if resource.stack == stack and resource.logical_id == logical_id:
                return resource
        raise KeyError(f"No resource {logical_id!r} in stack {stack!r}")

    def of_type(self, type_: str) -> list[Resource]:
        return [resource for resource in self.resources if resource.type == type_]

    def not_served(self) -> dict[str, str]:
        """Resource type -> why the local cloud does not serve it, for every such type declared."""
        from local.resources import NOT_SERVED

        reasons: dict[str, str] = {}
        for resource in self.resources:
            if resource.served:
                continue
            reason = resource.not_served_reason or NOT_SERVED.get(resource.type, "unknown to the local cloud")
            if reasons.get(resource.type, reason) != reason:
                reason = f"{reasons[resource.type]}; {reason}"
            reasons[resource.type] = reason
        return reasons


class ProvisioningError(RuntimeError):
    pass


class NotServed(Exception):
    """Raised by a provisioner for a resource it cannot run locally; the message says why (printed at start-up)."""


def physical_name(stack: str, logical_id: str, max_length: int = 64, suffix: str = "") -> str:
    """A deterministic name, `<stack>-<logicalId>`, within the service's length limit (so data survives restarts)."""
    name = f"{stack}-{logical_id}"
    if len(name) + len(suffix) > max_length:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = name[: max_length - len(suffix) - 9] + "-" + digest
    return name + suffix


@dataclass
class Context:
    """What a resource provisioner needs: clients, the Lambda runtime, naming, and where things live locally."""

    session: MotoSession
    runtime: LambdaRuntime
    api_endpoint: str
    stack: Stack
    logical_id: str
    metadata: dict[str, Any]
    inline_code_dir: Path

    @property
    def region(self) -> str:
        """The stack's own region: the local cloud's, except for the WAF stack (us-east-1)."""
        return self.stack.region or REGION

    def client(self, service: str, region: str = "") -> Any:
        """A client in the stack's region (or in `region`)."""
        return self.session.client(service, region or self.region)

    def name(self, max_length: int = 64, suffix: str = "") -> str:
        return physical_name(self.stack.name, self.logical_id, max_length, suffix)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"


def provision(
    stacks: list[Stack], session: MotoSession, runtime: LambdaRuntime, *, api_endpoint: str, inline_code_dir: Path
) -> Inventory:
    from local.resources import PROVISIONERS, placeholder

    inventory = Inventory()
    for stack in stacks:
        template = stack.template
        scope = Scope(
            stack_name=stack.name,
            region=stack.region or REGION,
            account_id=ACCOUNT_ID,
            resources={},
            exports=inventory.exports,
            parameters={name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()},
            conditions=template.get("Conditions", {}),
            mappings=template.get("Mappings", {}),
        )
        for logical_id in _order(stack):
            definition = stack.resources[logical_id]
            type_ = definition["Type"]
            metadata = definition.get("Metadata", {})
            resource = Resource(
                stack=stack.name,
                logical_id=logical_id,
                type=type_,
                path=metadata.get("aws:cdk:path", f"{stack.name}/{logical_id}"),
                metadata=metadata,
            )
            if "Condition" in definition and not scope.condition(definition["Condition"]):
                continue  # CloudFormation does not create it either
            context = Context(session, runtime, api_endpoint, stack, logical_id, metadata, inline_code_dir)
            provisioner = PROVISIONERS.get(type_)
            if provisioner is None:
                resource.served = False
                resource.provisioned = placeholder(type_, context)
            else:
                try:
                    resource.properties = resolve(definition.get("Properties", {}), scope)
                    resource.provisioned = provisioner(context, resource.properties)
                except NotServed as reason:
                    resource.served = False
                    resource.not_served_reason = f"{resource.path}: {reason}"
                    resource.provisioned = placeholder(type_, context)
                except Exception as error:
                    raise ProvisioningError(f"{resource.path} ({type_}): {error}") from error
            scope.resources[logical_id] = resource.provisioned
            inventory.resources.append(resource)
        outputs = {}
        for name, output in template.get("Outputs", {}).items():
            if "Condition" in output and not scope.condition(output["Condition"]):
                continue
            value = resolve(output["Value"], scope)
            outputs[name] = value
            if "Export" in output:
                inventory.exports[resolve(output["Export"]["Name"], scope)] = value
        inventory.outputs[stack.name] = outputs
    return inventory


def _order(stack: Stack) -> list[str]:
    graph: dict[str, set[str]] = {}
    for logical_id, definition in stack.resources.items():
        depends_on = definition.get("DependsOn", [])
        depends = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        depends |= references(definition.get("Properties", {}))
        graph[logical_id] = {name for name in depends if name in stack.resources}
    return list(TopologicalSorter(graph).static_order())
