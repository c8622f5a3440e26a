"""IAM policy evaluation for the local cloud: one request (action, resource, principal, condition values) against
identity policies and resource policies (bucket policies, key policies), as AWS's evaluation logic does it.

moto's own access control (`moto.iam.access_control`) is not enough on its own: it judges most services' calls
against the resource `*` (so a grant on a table's ARN never matches) and does not evaluate conditions. This module
follows the same shape (statements give ALLOW, DENY or nothing) with resources and conditions.

Condition keys this module can evaluate are in `EVALUATED_KEYS` (and `s3:ExistingObjectTag/<key>`); a statement
whose condition names another key is reported by `unevaluated_keys` and judged as if the key were absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any

# Keys whose value the local cloud knows for every call a function makes (absent ones are absent in AWS too: a
# function's call has no aws:SourceArn, only a service acting for a resource has).
EVALUATED_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:securetransport",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:calledvia",
        "kms:viaservice",
        "kms:calleraccount",
        "events:managedby",
        # For PutItem and UpdateItem only (local/access_requests.py dynamodb_condition_context).
        "dynamodb:attributes",
        "dynamodb:returnvalues",
    }
)
EVALUATED_PREFIXES = ("s3:existingobjecttag/", "kms:encryptioncontext:")


class Effect(Enum):
    ALLOW = "allow"
    DENY = "deny"
    NONE = "none"  # no statement applies


@dataclass(frozen=True)
class Request:
    action: str  # service:Operation, e.g. s3:GetObject
    resource: str  # an ARN, or "*"
    principal_arn: str  # the role's ARN (aws:PrincipalArn)
    account_id: str
    context: Mapping[str, str | list[str]] = field(default_factory=dict)  # condition key (any case) -> value(s)

    def value(self, key: str) -> list[str] | None:
        lowered: dict[str, str | list[str]] = {
            "aws:principalarn": self.principal_arn,
            "aws:principalaccount": self.account_id,
        }
        lowered.update({k.lower(): v for k, v in self.context.items()})
        found = lowered.get(key.lower())
        if found is None:
            return None
        return [found] if isinstance(found, str) else list(found)


def evaluate(document: Mapping[str, Any], request: Request, *, resource_policy: bool = False) -> Effect:
    """DENY if any statement denies, else ALLOW if one allows, else NONE. In a resource policy a statement applies
    only to the principals it names (`*`, the role, or the account: see `grants_account`)."""
    allowed = False
    for statement in statements(document):
        if not _applies(statement, request, resource_policy):
            continue
        if statement.get("Effect") == "Deny":
            return Effect.DENY
        if resource_policy and _names_account_only(statement, request):
            continue  # the account as principal delegates to IAM: it grants no one by itself
        allowed = True
    return Effect.ALLOW if allowed else Effect.NONE


def grants_account(document: Mapping[str, Any], request: Request) -> bool:
    """Whether a resource policy (a key policy) lets the account's IAM policies decide: an Allow of the action to
    the account's root principal."""
    return any(
        statement.get("Effect") == "Allow"
        and _applies(statement, request, True)
        and _names_account_only(statement, request)
        for statement in statements(document)
    )


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def unevaluated_keys(documents: Iterable[Mapping[str, Any]]) -> set[str]:
    """Condition keys in these documents that this module cannot evaluate."""
    keys: set[str] = set()
    for document in documents:
        for statement in statements(document):
            for values in (statement.get("Condition") or {}).values():
                keys |= {key for key in values if not _evaluated(key)}
    return keys


def _evaluated(key: str) -> bool:
    lowered = key.lower()
    return lowered in EVALUATED_KEYS or lowered.startswith(EVALUATED_PREFIXES)


def _applies(statement: Mapping[str, Any], request: Request, resource_policy: bool) -> bool:
    if "NotAction" in statement:
        if _any_match(statement["NotAction"], request.action, ignore_case=True):
            return False
    elif not _any_match(statement.get("Action", []), request.action, ignore_case=True):
        return False
    if "NotResource" in statement:
        if _any_match(statement["NotResource"], request.resource):
            return False
    elif "Resource" in statement and not _any_match(statement["Resource"], request.resource):
        return False
    if resource_policy and not _principal_matches(statement, request):
        return False
    return conditions_hold(statement.get("Condition") or {}, request)


def _principal_matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "NotPrincipal" in statement:
        return not _principal_in(statement["NotPrincipal"], request)
    return _principal_in(statement.get("Principal"), request)


def _principal_in(principal: Any, request: Request) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    names = principal.get("AWS", [])
    names = [names] if isinstance(names, str) else list(names)
    root = f"arn:aws:iam::{request.account_id}:root"
    return any(name in ("*", request.principal_arn, root, request.account_id) for name in names)


def _names_account_only(statement: Mapping[str, Any], request: Request) -> bool:
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping):
        return False
    names = principal.get("AWS", [])
    names = [names] if isinstance(names, str) else list(names)
    root = {f"arn:aws:iam::{request.account_id}:root", request.account_id}
    return request.principal_arn not in names and "*" not in names and bool(root & set(names))


def _any_match(patterns: Any, value: str, *, ignore_case: bool = False) -> bool:
    listed = [patterns] if isinstance(patterns, str) else list(patterns)
    return any(_wildcard(str(p), ignore_case).fullmatch(value) for p in listed)


@cache
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    text = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(text, re.IGNORECASE if ignore_case else 0)


# -- conditions ------------------------------------------------------------------------------------------------------
_NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike")


def conditions_hold(conditions: Mapping[str, Mapping[str, Any]], request: Request) -> bool:
    """Every operator's every key must hold (AND); a key's listed values are alternatives (OR)."""
    for operator, keys in conditions.items():
        for key, expected in keys.items():
            if not _condition_holds(operator, key, expected, request):
                return False
    return True


def _condition_holds(operator: str, key: str, expected: Any, request: Request) -> bool:
    wanted = [
        str(v).lower() if isinstance(v, bool) else str(v)
        for v in (expected if isinstance(expected, list) else [expected])
    ]
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    actual = request.value(key)
    if base == "Null":
        return (actual is None) == (wanted[0].lower() == "true")
    if actual is None:
        return if_exists or base in _NEGATED
    compare = _OPERATORS.get(base)
    if compare is None:
        return False  # an operator not understood never holds: the statement does not apply
    if base in _NEGATED:
        holds = [not any(compare(value, w) for w in wanted) for value in actual]
    else:
        holds = [any(compare(value, w) for w in wanted) for value in actual]
    return all(holds) if qualifier == "ForAllValues" else any(holds)


def _like(value: str, pattern: str, ignore_case: bool = False) -> bool:
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


_OPERATORS = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringNotEquals": lambda value, wanted: value == wanted,
    "StringEqualsIgnoreCase": lambda value, wanted: value.lower() == wanted.lower(),
    "StringNotEqualsIgnoreCase": lambda value, wanted: value.lower() == wanted.lower(),
    "StringLike": _like,
    "StringNotLike": _like,
    "ArnEquals": _like,
    "ArnLike": _like,
    "ArnNotEquals": _like,
    "ArnNotLike": _like,
    "Bool": lambda value, wanted: value.lower() == wanted.lower(),
}
