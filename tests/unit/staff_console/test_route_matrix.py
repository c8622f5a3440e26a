"""The route x role matrix, generated from the console's route table: every route that needs a permission refuses
every role without it and lets through every role with it, checked in the console's own code."""

from __future__ import annotations

import re

import pytest

from console.permissions import roles
from console.routes import ROUTES, Access, ConsoleRoute, route_role_matrix
from shared.references import new_reference
from tests.unit.staff_console.conftest import Console


def test_every_route_declares_its_access() -> None:
    with pytest.raises(ValueError, match="declares no permission"):
        ConsoleRoute("GET", "/staff/secret", None, "secret")  # type: ignore[arg-type]
    assert all(isinstance(route.access, (Access,)) or route.access for route in ROUTES)


def test_the_matrix_covers_every_permission_route_and_every_role() -> None:
    matrix = route_role_matrix()
    gated = [route for route in ROUTES if not isinstance(route.access, Access)]
    assert set(matrix) == {(route.method, route.path) for route in gated}
    for row in matrix.values():
        assert set(row) == set(roles())
    assert matrix[("GET", "/staff/cases")] == {"caseworker": True, "team-lead": True, "finance": True, "admin": False}


REFERENCE = new_reference()  # a case of the staff's team, for routes that name one


EXAMPLES = {"table": "backlog"}  # path parameters that are not a case's reference: a value each route knows


def _concrete(path: str) -> str:
    return re.sub(r"<(\w+)>", lambda found: EXAMPLES.get(found.group(1), REFERENCE), path)


@pytest.mark.parametrize("route", [r for r in ROUTES if not isinstance(r.access, Access)], ids=lambda r: r.path)
def test_each_route_refuses_roles_without_its_permission_and_allows_those_with_it(
    console: Console, route: ConsoleRoute
) -> None:
    console.add_case(REFERENCE, team="Street scene", due="2026-12-01")
    for role, allowed in route_role_matrix()[(route.method, route.path)].items():
        tokens = console.staff(role, roles=(role,), teams=("street-scene",))
        if route.method == "POST":
            answer = console.post(_concrete(route.path), tokens, {"csrf_token": console.csrf(tokens)})
        else:
            answer = console.get(_concrete(route.path), tokens)
        if allowed:
            assert answer["statusCode"] == 200, (role, answer["statusCode"])
        else:
            assert answer["statusCode"] == 403, role
            assert "You do not have permission" in answer["body"]


@pytest.mark.parametrize("route", [r for r in ROUTES if r.access is not Access.PUBLIC], ids=lambda r: r.path)
def test_each_signed_in_route_refuses_someone_not_signed_in(console: Console, route: ConsoleRoute) -> None:
    answer = console.request(route.method, _concrete(route.path), None, body="csrf_token=x")
    if route.method == "GET":
        assert answer["statusCode"] == 303
        assert answer["headers"]["location"] == "/staff/sign-in"
    else:
        assert answer["statusCode"] == 401
