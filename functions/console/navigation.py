"""The console's primary navigation: the pages a member of staff may use, from the route table.

An entry is shown only if its route is in `console.routes.ROUTES` and the staff member's roles allow it (the same
check the guard makes), so a page nobody built, or one this member of staff may not use, is never linked.
"""

from __future__ import annotations

from dataclasses import dataclass

from console.permissions import StaffMember
from console.routes import ROUTES, allowed

# (text, path) in the order shown; add a page here once its GET route is in ROUTES.
ENTRIES: tuple[tuple[str, str], ...] = (
    ("Cases", "/staff/cases"),
    ("Parking permits", "/staff/permits"),
    ("Digital KPIs", "/staff/kpis"),
    ("Your account", "/staff/home"),
)


@dataclass(frozen=True)
class NavItem:
    text: str
    href: str
    active: bool


def navigation(staff: StaffMember | None, path: str) -> list[NavItem]:
    """The entries this member of staff may open; the one whose section `path` is in is marked active."""
    if staff is None:
        return []
    routes = {route.path: route for route in ROUTES if route.method == "GET"}
    return [
        NavItem(text, href, path == href or path.startswith(href + "/"))
        for text, href in ENTRIES
        if href in routes and allowed(routes[href], staff.roles)
    ]
