"""The provisioning model: what the engine (`local.provision`) and the resource families (`local.resources_*`)
share. A resource family maps CloudFormation types to provisioners; a provisioner turns a resource's resolved
properties into moto API calls and returns what `Ref` and `Fn::GetAtt` give for it.

This module imports no other provisioning module, so the engine, the families and the table that joins them
(`local.resources`) form no import cycle.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore import xform_name

from local.intrinsics import Provisioned
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
    not_served_reason: str = ""  # why it is not run: its type's reason, or what `NotServed` said

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
        reasons: dict[str, str] = {}
        for resource in self.resources:
            if resource.served:
                continue
            reason = resource.not_served_reason or "unknown to the local cloud"
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


Provisioner = Callable[[Context, dict[str, Any]], Provisioned]


def api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
    """Call `operation` with those of `params` that the API accepts (template properties mostly match).

    Tags are left out: their shape differs between the template and most APIs, and nothing local reads them.
    """
    members = client.meta.service_model.operation_model(operation).input_shape.members
    accepted = {k: v for k, v in params.items() if k in members and k != "Tags"}
    return getattr(client, xform_name(operation))(**accepted)


def zip_placeholder(files: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (files or {"README": "Code runs from the working tree: see local/lambda_runtime.py"}).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def placeholder(type_: str, context: Context) -> Provisioned:
    """A physical id (and ARN) for a resource that is not served, so that references to it still resolve."""
    name = context.name(512)
    service = type_.split("::")[1].lower() if type_.count("::") == 2 else "local"
    if type_ == "AWS::Logs::LogGroup":
        name = f"/aws/local/{name}"
        return Provisioned(name, {"Arn": context.arn("logs", f"log-group:{name}:*")})
    arn = context.arn(service, name)
    return Provisioned(name, {"Arn": arn, "Id": name, "FunctionARN": arn})
