"""Groups of a stack's resources that keep the logical ids the resources had before they were grouped.

A logical id is CloudFormation's name for a resource: change it and the next deploy creates a new resource and
deletes (or, retained, orphans) the old one. For the web stack's drafts table and buckets that would lose residents'
drafts and uploads, and a new CloudFront distribution would have a new domain name. So when resources move into a
`Group` (a construct that only organises the code), the stack leaves the group's id out of their logical ids,
exactly as CDK would have named them directly in the stack. The construct paths (`aws:cdk:path`) do show the group.

A stack opts in through CDK's documented hook, `Stack.allocateLogicalId` (`_allocate_logical_id` in Python),
returning `logical_ids.allocate(self, element)`. Two resources
with the same id in two groups of one stack would collide; CDK refuses such a template at synth.
"""

from __future__ import annotations

import hashlib
import re

from aws_cdk import CfnElement, Stack
from constructs import Construct

# CDK's own naming scheme (aws-cdk-lib core/lib/private/uniqueid.ts), which is not exported to Python.
_HIDDEN_ID = "Default"  # left out of logical ids altogether
_HIDDEN_FROM_HUMAN_ID = "Resource"  # left out of the readable part, kept in the hash
_HASH_LENGTH = 8
_MAX_HUMAN_LENGTH = 240
_MAX_ID_LENGTH = 255
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


class Group(Construct):
    """Resources that belong together in a stack; a stack using `allocate` leaves this id out of their logical ids."""


def allocate(stack: Stack, element: CfnElement) -> str:
    """The logical id CDK would give `element` if no `Group` stood between it and `stack`."""
    scopes = element.node.scopes
    below_stack = scopes[scopes.index(stack) + 1 :]
    return unique_id([scope.node.id for scope in below_stack if not isinstance(scope, Group)])


def unique_id(components: list[str]) -> str:
    """CDK's `makeUniqueId`: the path's readable part (without duplicates and `Resource`) and 8 hex digits of its
    MD5 hash; a top-level id as it is."""
    components = [c for c in components if c != _HIDDEN_ID]
    if not components:
        raise ValueError("No path components to make a logical id of")
    if len(components) == 1:
        candidate = _NOT_ALPHANUMERIC.sub("", components[0])
        if len(candidate) <= _MAX_ID_LENGTH:
            return candidate
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()
    human: list[str] = []
    for component in components:
        if not human or not human[-1].endswith(component):
            human.append(component)
    readable = "".join(_NOT_ALPHANUMERIC.sub("", c) for c in human if c != _HIDDEN_FROM_HUMAN_ID)
    return readable[:_MAX_HUMAN_LENGTH] + digest[:_HASH_LENGTH].upper()
