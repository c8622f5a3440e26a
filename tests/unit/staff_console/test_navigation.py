"""The console's primary navigation links only the pages a member of staff may use, from the route table."""

from __future__ import annotations

import pytest

from console import navigation as nav
from console.navigation import navigation
from console.permissions import StaffMember


def _staff(*roles: str) -> StaffMember:
    return StaffMember(subject="s-1", email="staff@example.org", roles=frozenset(roles), teams=frozenset({"Waste"}))


def test_a_caseworker_sees_cases_permits_and_their_account_with_the_current_section_marked() -> None:
    items = navigation(_staff("caseworker"), "/staff/cases/AB12-CD34")
    assert [(i.text, i.href, i.active) for i in items] == [
        ("Cases", "/staff/cases", True),
        ("Parking permits", "/staff/permits", False),
        ("Your account", "/staff/home", False),
    ]
    on_a_permit = navigation(_staff("caseworker"), "/staff/permits/AB12-CD34")
    assert [i.text for i in on_a_permit if i.active] == ["Parking permits"]


def test_an_admin_without_read_case_is_not_linked_to_the_queue() -> None:
    assert "Cases" not in [i.text for i in navigation(_staff("admin"), "/staff/home")]
    assert "Your account" in [i.text for i in navigation(_staff("admin"), "/staff/home")]
    assert "Parking permits" not in [i.text for i in navigation(_staff("admin"), "/staff/home")]


def test_nobody_signed_in_gets_no_navigation() -> None:
    assert navigation(None, "/staff") == []


@pytest.mark.parametrize("role", ["caseworker", "team-lead", "finance", "admin"])
def test_a_page_without_a_route_is_never_linked(role: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nav, "ENTRIES", (*nav.ENTRIES, ("Nowhere", "/staff/nowhere")))
    assert "/staff/nowhere" not in [i.href for i in navigation(_staff(role), "/staff/nowhere")]
