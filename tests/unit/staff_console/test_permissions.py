"""Roles and permissions are data (functions/console/data/roles.yaml), validated on load."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from console.permissions import Permission, StaffMember, parse_roles, roles


def test_the_councils_roles_load_and_every_permission_is_held_by_some_role() -> None:
    loaded = roles()
    assert set(loaded) == {"caseworker", "team-lead", "finance", "admin"}
    held = {p for role in loaded.values() for p in role.permissions}
    assert held == set(Permission)


def test_only_finance_refunds_and_caseworkers_cannot_see_kpis() -> None:
    loaded = roles()
    assert [name for name, role in loaded.items() if Permission.REFUND in role.permissions] == ["finance"]
    assert Permission.VIEW_KPIS not in loaded["caseworker"].permissions


@pytest.mark.parametrize(
    "text",
    [
        "roles: {caseworker: {description: x, permissions: [read-case, fly]}}",  # not a permission
        "roles: {caseworker: {description: x, permissions: []}}",  # a role that can do nothing
        "roles: {Case Worker: {description: x, permissions: [read-case]}}",  # not a name
        "roles: {caseworker: {description: x, permissions: [read-case], extra: 1}}",  # a misspelt key
        "roles: {}",
    ],
)
def test_a_wrong_roles_file_is_refused_on_load(text: str) -> None:
    with pytest.raises((ValidationError, ValueError)):
        parse_roles(text)


def test_a_council_changes_the_mapping_by_editing_data() -> None:
    edited = parse_roles("roles: {caseworker: {description: Works cases, permissions: [read-case, refund]}}")
    assert edited.roles["caseworker"].permissions == {Permission.READ_CASE, Permission.REFUND}


def test_staff_roles_and_teams_come_from_their_groups_and_unknown_roles_give_nothing() -> None:
    staff = StaffMember.from_claims(
        {"sub": "s1", "cognito:groups": "[role:finance role:wizard team:waste caseworkers]"}
    )
    assert staff.roles == {"finance"}
    assert staff.teams == {"waste"}
    assert staff.may(Permission.REFUND)
    assert not staff.may(Permission.EDIT_CASE)
    assert staff.works_for("waste")
    assert not staff.works_for("highways")
    assert not staff.works_for(None)
