"""Where the resolver finds a route's view: the console's pages are split by job into sections (sign-in and
queue in `console.pages`, case working, payments, KPIs... in modules of their own), each an object whose methods
are views named by `console.routes.ROUTES`.

Panels add to the case page without editing it: each gives the partial template it fills and that partial's
context for one case (for example the payments panel, the attachments panel).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from console.app import StaffRequest
    from console.permissions import StaffMember


class Views:
    """`views(name)` is the one section method called `name`; a name no section has, or two sections have, fails
    when the resolver is built (at the first request), never at a request for that page."""

    def __init__(self, *sections: object) -> None:
        self.sections = sections

    def __call__(self, name: str) -> Callable[..., Any]:
        found = [getattr(section, name) for section in self.sections if callable(getattr(section, name, None))]
        if len(found) != 1:
            raise LookupError(f"{len(found)} console sections define the view {name!r}: exactly one must")
        return found[0]


class CasePanel(Protocol):
    template: str  # a partial under console/templates/, included in the case page in the order panels are given

    def context(self, staff: StaffMember, case: dict[str, Any], request: StaffRequest) -> dict[str, Any]:
        """What the partial shows for this case (it reads it as `panel`). The case is already one of the staff
        member's teams' and its read already audited."""
        ...
