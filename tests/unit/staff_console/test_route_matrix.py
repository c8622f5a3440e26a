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
    bulk = {"caseworker": True, "team-lead": True, "finance": False, "admin": False}
    assert matrix[("POST", "/staff/cases/bulk-assign")] == matrix[("GET", "/staff/cases/bulk-assign")] == bulk
    view_permits = {"caseworker": True, "team-lead": True, "finance": True, "admin": False}
    for route in (("GET", "/staff/permits"), ("POST", "/staff/permits"), ("GET", "/staff/permits/<key>")):
        assert matrix[route] == view_permits, route
    act_for_resident = {"caseworker": True, "team-lead": True, "finance": False, "admin": False}
    for path in ("/staff/permits/apply", "/staff/permits/apply/pay", "/staff/permits/apply/pay/status"):
        assert matrix[("POST", path)] == act_for_resident, path
    for action in ("verify", "revoke", "visitor-balance"):
        assert matrix[("POST", f"/staff/permits/<key>/{action}")] == bulk  # manage-permits: not finance or admin


REFERENCE = new_reference()  # a case of the staff's team, for routes that name one
FORMS = {
    "/staff/search": {"q": REFERENCE},
    "/staff/subject-access": {"email": "resident@example.org"},
    "/staff/permits": {"by": "vrm", "vrm": "LB19 PTR"},
    "/staff/permits/<key>/verify": {"outcome": "confirmed", "note": "Checked with DVLA"},
    "/staff/permits/<key>/revoke": {"reason": "Sold the car", "refund": "none"},
    "/staff/permits/<key>/evidence": {"outcome": "verified", "note": "Hire agreement checked"},
    "/staff/permits/<key>/visitor-balance": {"change": "2", "reason": "Hospital stays"},
    "/staff/permits/apply": {
        "channel": "phone",
        "reason": "No internet",
        "uprn": "100000000001",
        "postcode": "ME14 1HQ",
        "kind": "resident",
        "months": "12",
        "vrm": "KX68DSL",
        "email": "resident@example.org",
    },
    "/staff/permits/apply/pay": {"reference": REFERENCE, **dict.fromkeys(("card_number", "expiry_date", "cvc"), "x")},
    "/staff/permits/apply/pay/status": {"reference": REFERENCE},
}  # what a POST route's form needs besides its CSRF token


# Path parameters that are not a case's reference: a value each route knows.
EXAMPLES = {"table": "backlog", "question": "photo", "kind": "keepership"}


def _concrete(path: str) -> str:
    return re.sub(r"<(\w+)>", lambda found: EXAMPLES.get(found.group(1), REFERENCE), path)


@pytest.mark.parametrize("route", [r for r in ROUTES if not isinstance(r.access, Access)], ids=lambda r: r.path)
def test_each_route_refuses_roles_without_its_permission_and_allows_those_with_it(
    console: Console, route: ConsoleRoute
) -> None:
    console.add_case(REFERENCE, team="Street scene", due="2026-12-01")
    if route.view == "download_attachment":  # a case with a clean photo, which a download let through links to
        _with_a_clean_photo(console)
    for role, allowed in route_role_matrix()[(route.method, route.path)].items():
        console.add_permit(REFERENCE)  # afresh for each role: active, its declared details not yet verified
        if route.view in ("download_evidence", "check_evidence"):  # its application's documents, waiting
            from tests.unit.staff_console.test_permit_evidence_pages import add_application

            add_application(console, REFERENCE)
        tokens = console.staff(role, roles=(role,), teams=("street-scene",))
        if route.method == "POST":
            form = {"csrf_token": console.csrf(tokens), **_valid_form(console, route), **FORMS.get(route.path, {})}
            answer = console.post(_concrete(route.path), tokens, form)
        else:
            answer = console.get(_concrete(route.path), tokens)
        if (
            allowed
            and route.method == "POST"
            and answer["statusCode"] == 400
            and route.path.startswith(("/staff/assisted", "/staff/permits/apply/pay"))
        ):
            # A form posted without its answers is answered by its own view (its error summary), not by the guard.
            assert "The form has expired" not in answer["body"], role
            assert "there is a problem" in answer["body"].lower(), role
        elif allowed:  # a POST that is let through makes its change and goes back to the case page
            assert answer["statusCode"] == _allowed_status(route), (role, answer["statusCode"])
            assert "You do not have permission" not in str(answer["body"])
        else:
            assert answer["statusCode"] == 403, role
            assert "You do not have permission" in answer["body"]


def _with_a_clean_photo(console: Console) -> None:
    import boto3

    from shared.uploads import clean_key
    from tests.unit.staff_console.conftest import UPLOADS_BUCKET

    photo = {"upload_id": "u1", "filename": "a.png", "content_type": "image/png", "size_bytes": 4}
    console.add_case(
        REFERENCE, team="Street scene", due="2026-12-01", service_id="fly-tipping", answers={"photo": photo}
    )
    boto3.client("s3").put_object(
        Bucket=UPLOADS_BUCKET, Key=clean_key("fly-tipping", "u1"), Body=b"\x89PNG", ContentType="image/png"
    )


def _allowed_status(route: ConsoleRoute) -> int:
    if route.view in ("download_attachment", "download_evidence"):
        return 303  # to the presigned link
    if route.method == "GET":
        return 200
    # A case change goes back to the case page; no payments service is connected here, so a refund let through
    # answers on the case page with that message; a search or an export answers with its page or its download.
    if route.path.startswith("/staff/permits/apply"):  # the price and card form, or the payment's outcome
        return 200
    if route.path.startswith("/staff/permits/"):  # a verification or a revocation goes back to the permit's page
        return 303
    return 303 if route.path.startswith("/staff/cases/") and not route.path.endswith("/refunds") else 200


def _valid_form(console: Console, route: ConsoleRoute) -> dict[str, str]:
    """A form the route accepts for the case as it is now (its current version; a status it may move to)."""
    item = console.table.get_item(Key={"reference": REFERENCE})["Item"]
    form = {"version": str(item.get("version", 0))}
    if route.path == "/staff/cases/bulk-assign":  # the queue's checkbox of the case, at its version
        form = {f"case:{REFERENCE}": form["version"], "assignee": "me"}
    elif route.path.endswith("/assign"):
        form["assign"] = "me"
    elif route.path.endswith("/status"):
        form["status"] = "investigating" if item["status"] != "investigating" else "in-progress"
    elif route.path.endswith("/notes"):
        form["note"] = "Checked the site"
    elif route.path.endswith("/refunds"):
        form.update({"amount": "5.00", "reason": "Collection missed"})
    return form


@pytest.mark.parametrize("route", [r for r in ROUTES if r.access is not Access.PUBLIC], ids=lambda r: r.path)
def test_each_signed_in_route_refuses_someone_not_signed_in(console: Console, route: ConsoleRoute) -> None:
    answer = console.request(route.method, _concrete(route.path), None, body="csrf_token=x")
    if route.method == "GET":
        assert answer["statusCode"] == 303
        assert answer["headers"]["location"] == "/staff/sign-in"
    else:
        assert answer["statusCode"] == 401
