"""cdk-nag suppressions, one resource at a time, each with a rule, a reason and (where it applies) its finding."""

from __future__ import annotations

from collections.abc import Sequence

from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct

MIN_REASON_LENGTH = 40  # characters: "a real reason", not "needed" or "ok"


def suppress(resource: IConstruct | None, rule: str, reason: str, *, applies_to: Sequence[str] | None = None) -> None:
    """Suppress `rule` on exactly `resource` (an L1 resource, never a stack or a whole construct tree)."""
    if resource is None:
        raise ValueError(f"No resource to suppress {rule} on")
    if len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"The reason for suppressing {rule} must explain it: {reason!r}")
    suppression = NagPackSuppression(id=rule, reason=reason, applies_to=list(applies_to) if applies_to else None)
    NagSuppressions.add_resource_suppressions(resource, [suppression], apply_to_children=False)
