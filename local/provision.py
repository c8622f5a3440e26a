"""Provision every resource the synthesized templates declare into moto, stack by stack, in dependency order.

moto's own CloudFormation is not used: it skips SNS subscriptions, queue policies and all of API Gateway v2, so
each resource type the project uses has a small function (in its family's module, joined in `local.resources`)
that creates it through moto's API from the template's resolved properties. Types the local cloud does not serve
still get a physical id (so references to them resolve) and are reported, never silently skipped; so are resources
of a served type whose provisioner raises `NotServed` for a shape it cannot run (e.g. a pipe with an enrichment).
"""

from __future__ import annotations

from graphlib import TopologicalSorter
from pathlib import Path

from local.intrinsics import Scope, references, resolve
from local.lambda_runtime import LambdaRuntime
from local.model import Context, Inventory, NotServed, ProvisioningError, Resource, placeholder
from local.moto_session import ACCOUNT_ID, REGION, MotoSession
from local.resources import NOT_SERVED, PROVISIONERS
from local.templates import Stack


def provision(
    stacks: list[Stack], session: MotoSession, runtime: LambdaRuntime, *, api_endpoint: str, inline_code_dir: Path
) -> Inventory:
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
                resource.not_served_reason = NOT_SERVED.get(type_, "unknown to the local cloud")
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
