"""Search by postcode and email in the local cloud, end to end: a report with an email and a postcode is submitted
through the API and triaged; the demo caseworker signs in and finds it by each (and by its reference), each search
audited by kind and key; a caseworker of another team finds nothing. The demo admin downloads the resident's subject
access export by their email."""

from __future__ import annotations

import json
import re

import pytest

from local.staff import DEMO_PASSWORD, DEMO_STAFF
from tests.local.test_local_console import Browser, _sign_in_as

pytestmark = pytest.mark.local
OTHER_TEAM = "waste-caseworker@example.org"


def _signed_in(local_cloud, username: str) -> tuple[Browser, str]:
    """A browser signed in as `username`, and the CSRF token of its forms."""
    browser = Browser(local_cloud)
    callback, _ = _sign_in_as(browser, username)
    assert browser.request("GET", callback).status == 303
    queue = browser.request("GET", "/staff/cases")
    assert queue.status == 200, queue.body
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', queue.body).group(1).decode()
    return browser, csrf


def _report(local_cloud, description: str, *, postcode: str, email: str) -> str:
    """A fly-tipping report through the API, triaged (which gives it its team and due date): its reference."""
    body = {"description": description, "location": {"postcode": postcode}, "contact": {"email": email}}
    submitted = local_cloud.handle("POST", "/api/v1/services/fly-tipping/requests", json_body=body)
    assert submitted.status == 201, submitted.body
    local_cloud.wait_for_idle(timeout_s=30)
    return str(submitted.json()["reference"])


def _found(page) -> list[str]:
    return re.findall(r'href="/staff/cases/([A-Z0-9]{4}-[A-Z0-9]{4})"', page.body.decode())


def _caseworker_of_another_team(local_cloud) -> None:
    cognito = local_cloud.client("cognito-idp")
    pool = {"Id": local_cloud.physical_id("Borough-dev-Auth/StaffUsers")}
    cognito.admin_create_user(
        UserPoolId=pool["Id"],
        Username=OTHER_TEAM,
        UserAttributes=[{"Name": "email", "Value": OTHER_TEAM}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool["Id"], Username=OTHER_TEAM, Password=DEMO_PASSWORD, Permanent=True)
    for group in ("role:caseworker", "team:waste-services"):
        cognito.admin_add_user_to_group(UserPoolId=pool["Id"], Username=OTHER_TEAM, GroupName=group)


def test_staff_find_a_report_by_postcode_and_email_and_another_team_finds_nothing(local_cloud):
    reference = _report(local_cloud, "Sofa in the alley", postcode="ME14 1XX", email="records.resident@example.org")

    browser, csrf = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    for typed in ("me14 1xx", "ME141XX", " Records.Resident@example.ORG ", reference.lower()):
        page = browser.request("POST", "/staff/search", {"csrf_token": csrf, "q": typed})
        assert page.status == 200, page.body
        assert reference in _found(page), typed
        assert b"Sofa in the alley" not in page.body  # a search shows the queue's fields, never the answers
    refused = browser.request("POST", "/staff/search", {"csrf_token": csrf, "q": "not a postcode"})
    assert refused.status == 400
    assert b"Enter a case reference like 7KXM-3RAH" in refused.body

    audit = local_cloud.physical_id("Borough-dev-Console/Audit")
    written = json.dumps(local_cloud.client("dynamodb").scan(TableName=audit)["Items"])  # the test looks
    assert "ME14" not in written.upper()
    assert "records.resident" not in written.lower()
    for action in ("search-postcode", "search-email", "search-reference"):
        assert f'"{action}"' in written

    _caseworker_of_another_team(local_cloud)
    other, other_csrf = _signed_in(local_cloud, OTHER_TEAM)
    for typed in ("ME14 1XX", "records.resident@example.org", reference):
        page = other.request("POST", "/staff/search", {"csrf_token": other_csrf, "q": typed})
        assert page.status == 200, page.body
        assert _found(page) == [], typed
        assert b"None of your teams has a case with that" in page.body


def test_the_admin_exports_a_residents_requests_by_email(local_cloud):
    reference = _report(local_cloud, "Tyres on the verge", postcode="ME15 6JQ", email="export.resident@example.org")
    worker, worker_csrf = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    assert worker.request("GET", f"/staff/cases/{reference}").status == 200  # a read, audited
    refused = worker.request("POST", "/staff/subject-access", {"csrf_token": worker_csrf, "email": "x@example.org"})
    assert refused.status == 403

    admin = Browser(local_cloud)
    callback, _ = _sign_in_as(admin, DEMO_STAFF["admin"])
    assert admin.request("GET", callback).status == 303
    form = admin.request("GET", "/staff/subject-access")
    assert form.status == 200, form.body
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', form.body).group(1).decode()
    download = admin.request(
        "POST", "/staff/subject-access", {"csrf_token": csrf, "email": "Export.Resident@example.org"}
    )
    assert download.status == 200, download.body
    assert download.header("content-type").startswith("application/json")
    export = json.loads(download.body)
    (request,) = export["requests"]
    assert request["reference"] == reference
    assert request["answers"]["description"] == "Tyres on the verge"
    assert request["contact"]["email"] == "export.resident@example.org"
    assert [entry["action"] for entry in request["audit"]] == ["read-case", "export-subject-access"]
