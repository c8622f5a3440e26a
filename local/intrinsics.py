"""CloudFormation intrinsic functions, resolved against what the local cloud has provisioned.

Only what CloudFormation itself would know at deploy time is used: the pseudo parameters, parameter defaults,
conditions, mappings, exports of stacks already deployed, and the physical ids and attributes of resources
already created in this stack.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

NO_VALUE = object()  # `Ref: AWS::NoValue`: the property is removed, as CloudFormation does
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class UnresolvedReferenceError(LookupError):
    """A reference to something not provisioned (yet): a missing resource, attribute, export or parameter."""


@dataclass
class Provisioned:
    """What a resource became: the value of `Ref` and the values of `Fn::GetAtt`."""

    ref: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scope:
    """Everything one stack's templates can refer to."""

    stack_name: str
    region: str
    account_id: str
    resources: dict[str, Provisioned]
    exports: Mapping[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    _condition_values: dict[str, bool] = field(default_factory=dict)

    @property
    def pseudo_parameters(self) -> dict[str, Any]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }

    def condition(self, name: str) -> bool:
        if name not in self._condition_values:
            if name not in self.conditions:
                raise UnresolvedReferenceError(f"{self.stack_name}: no condition named {name!r}")
            self._condition_values[name] = bool(resolve(self.conditions[name], self))
        return self._condition_values[name]


def resolve(value: Any, scope: Scope) -> Any:
    """`value` with every intrinsic function replaced by its result (AWS::NoValue removes the key or item)."""
    if isinstance(value, list):
        return [item for item in (resolve(v, scope) for v in value) if item is not NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((name, argument),) = value.items()
        function = _FUNCTIONS.get(name)
        # `{"Condition": "Name"}` is a function only with a name: an IAM statement's `Condition` is a map.
        if function is not None and not (name == "Condition" and not isinstance(argument, str)):
            return function(argument, scope)
    resolved = {key: resolve(item, scope) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not NO_VALUE}


def references(value: Any) -> set[str]:
    """The logical ids a template fragment refers to with Ref, Fn::GetAtt or Fn::Sub (to order provisioning)."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item.split(".", 1)[0] if isinstance(item, str) else item[0]
                found.add(target)
            elif key == "Fn::Sub":
                found |= _sub_references(item)
            else:
                found |= references(item)
    return {name for name in found if not name.startswith("AWS::")}


def _sub_references(argument: Any) -> set[str]:
    template = argument if isinstance(argument, str) else argument[0]
    explicit = set() if isinstance(argument, str) else set(argument[1])
    found = {
        variable.split(".", 1)[0]
        for variable in _SUB_VARIABLE.findall(template)
        if not variable.startswith("!") and variable.split(".", 1)[0] not in explicit
    }
    return found if isinstance(argument, str) else found | references(argument[1])


def _ref(name: str, scope: Scope) -> Any:
    pseudo = scope.pseudo_parameters
    if name in pseudo:
        return pseudo[name]
    if name in scope.parameters:
        return scope.parameters[name]
    if name in scope.resources:
        return scope.resources[name].ref
    raise UnresolvedReferenceError(f"{scope.stack_name}: Ref {name!r} is not a parameter or a provisioned resource")


def _get_att(argument: Any, scope: Scope) -> Any:
    if isinstance(argument, str):
        logical_id, attribute = argument.split(".", 1)
    else:
        logical_id, attribute = argument[0], resolve(argument[1], scope)
    resource = scope.resources.get(logical_id)
    if resource is None:
        raise UnresolvedReferenceError(f"{scope.stack_name}: Fn::GetAtt of {logical_id!r}, not provisioned")
    if attribute not in resource.attributes:
        raise UnresolvedReferenceError(
            f"{scope.stack_name}: {logical_id} has no attribute {attribute!r} locally "
            f"(known: {', '.join(sorted(resource.attributes)) or 'none'})"
        )
    return resource.attributes[attribute]


def _join(argument: Any, scope: Scope) -> str:
    delimiter, items = argument
    return str(resolve(delimiter, scope)).join(_text(item) for item in resolve(items, scope))


def _sub(argument: Any, scope: Scope) -> str:
    if isinstance(argument, str):
        template, variables = argument, {}
    else:
        template, variables = argument[0], resolve(argument[1], scope)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"  # `${!Literal}` writes `${Literal}`
        if name in variables:
            return _text(variables[name])
        if "." in name and name.split(".", 1)[0] in scope.resources:
            return _text(_get_att(name, scope))
        return _text(_ref(name, scope))

    return _SUB_VARIABLE.sub(replace, template)


def _import_value(argument: Any, scope: Scope) -> Any:
    name = resolve(argument, scope)
    if name not in scope.exports:
        raise UnresolvedReferenceError(f"{scope.stack_name}: Fn::ImportValue {name!r}: no stack exports it")
    return scope.exports[name]


def _select(argument: Any, scope: Scope) -> Any:
    index, items = resolve(argument, scope)
    return items[int(index)]


def _split(argument: Any, scope: Scope) -> list[str]:
    delimiter, text = resolve(argument, scope)
    return str(text).split(delimiter)


def _if(argument: Any, scope: Scope) -> Any:
    condition, when_true, when_false = argument
    return resolve(when_true if scope.condition(condition) else when_false, scope)


def _find_in_map(argument: Any, scope: Scope) -> Any:
    name, top, second = (resolve(item, scope) for item in argument[:3])
    return scope.mappings[name][top][second]


def _get_azs(argument: Any, scope: Scope) -> list[str]:
    region = resolve(argument, scope) or scope.region
    return [f"{region}{zone}" for zone in "abc"]


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_FUNCTIONS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": lambda argument, scope: _ref(argument, scope),
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Sub": _sub,
    "Fn::ImportValue": _import_value,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": lambda argument, scope: base64.b64encode(_text(resolve(argument, scope)).encode()).decode(),
    "Fn::Equals": lambda argument, scope: resolve(argument[0], scope) == resolve(argument[1], scope),
    "Fn::And": lambda argument, scope: all(resolve(item, scope) for item in argument),
    "Fn::Or": lambda argument, scope: any(resolve(item, scope) for item in argument),
    "Fn::Not": lambda argument, scope: not resolve(argument[0], scope),
    "Condition": lambda argument, scope: scope.condition(argument),
    "Fn::ToJsonString": lambda argument, scope: json.dumps(resolve(argument, scope), separators=(",", ":")),
    "Fn::Length": lambda argument, scope: len(resolve(argument, scope)),
}


_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:([a-z0-9-]+):(.*?)\}\}")


def resolve_dynamic_references(text: str, secretsmanager: Any) -> str:
    """CloudFormation's dynamic references to Secrets Manager in `text`, resolved from the local Secrets Manager as
    CloudFormation resolves them at deploy time:
    `{{resolve:secretsmanager:<name or ARN>[:SecretString[:<json key>[:<version stage>[:<version id>]]]]}}`.

    Resources keep the reference in their properties (as a template does); a consumer that needs the value (the
    front door's origin custom headers) calls this. Other services' references (`ssm`, `ssm-secure`) are refused."""

    def value(match: re.Match[str]) -> str:
        service, reference = match.group(1), match.group(2)
        if service != "secretsmanager":
            raise UnresolvedReferenceError(f"dynamic reference to {service!r}: only secretsmanager is served")
        parts = reference.split(":")
        count = 7 if reference.startswith("arn:") else 1  # arn:aws:secretsmanager:<region>:<account>:secret:<name>
        secret_id, rest = ":".join(parts[:count]), [*parts[count:], "", "", "", ""]
        field_name, json_key, stage, version_id = rest[:4]
        if field_name not in ("", "SecretString"):
            raise UnresolvedReferenceError(f"dynamic reference {match.group(0)!r}: only SecretString is served")
        request: dict[str, str] = {"SecretId": secret_id}
        if version_id:
            request["VersionId"] = version_id
        elif stage:
            request["VersionStage"] = stage
        secret = str(secretsmanager.get_secret_value(**request)["SecretString"])
        return str(json.loads(secret)[json_key]) if json_key else secret

    return _DYNAMIC_REFERENCE.sub(value, text)
