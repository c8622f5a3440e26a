"""The staff console in the local cloud, end to end through the front door: a resident's report is triaged; the
demo caseworker signs in through the managed-login stand-in (authorization code with PKCE), sees it in the queue,
and signs out, which revokes the session. The stand-in refuses a wrong verifier and a code used twice."""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse
import uuid

import pytest

from local.staff import DEMO_PASSWORD, DEMO_STAFF

pytestmark = pytest.mark.local
CASEWORKER = DEMO_STAFF["caseworker"]


class Browser:
    """Follows the console's cookies as a browser would (path /staff; Max-Age=0 deletes)."""

    def __init__(self, cloud) -> None:
        self.cloud = cloud
        self.jar: dict[str, str] = {}

    def request(self, method: str, url: str, form: dict[str, str] | None = None):
        path = url.removeprefix(self.cloud.url)
        headers = [("cookie", "; ".join(f"{k}={v}" for k, v in self.jar.items()))] if self.jar else []
        body = None
        if form is not None:
            headers.append(("content-type", "application/x-www-form-urlencoded"))
            body = urllib.parse.urlencode(form)
        response = self.cloud.handle(method, path, headers, body)
        for name, value in response.headers:
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, cookie_value = pair.partition("=")
                if "max-age=0" in value.lower() or not cookie_value:
                    self.jar.pop(key, None)
                else:
                    self.jar[key] = cookie_value
        return response


def _hidden_fields(page: str) -> dict[str, str]:
    return {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    }


def _sign_in_as(browser: Browser, username: str):
    """Up to the stand-in's redirect back to the console: (the callback URL, the PKCE verifier in the cookie)."""
    start = browser.request("GET", "/staff")
    assert start.status == 200, start.body
    assert b"Sign in" in start.body
    redirected = browser.request("GET", "/staff/sign-in")
    assert redirected.status == 303
    authorize = redirected.header("location")
    assert authorize.startswith(browser.cloud.url + "/sandbox/cognito/oauth2/authorize?")
    form_page = browser.request("GET", authorize)
    assert form_page.status == 200, form_page.body
    fields = _hidden_fields(form_page.body.decode())
    assert fields["code_challenge_method"] == "S256"
    answered = browser.request(
        "POST", "/sandbox/cognito/oauth2/authorize", {**fields, "username": username, "password": DEMO_PASSWORD}
    )
    assert answered.status == 302, answered.body
    payload = browser.jar["borough_staff_sign_in"].split(".")[0]
    verifier = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["v"]
    return answered.header("location"), verifier


def test_a_caseworker_signs_in_sees_the_queue_and_signs_out(local_cloud):
    submitted = local_cloud.handle(
        "POST",
        "/api/v1/services/fly-tipping/requests",
        json_body={"description": "Fridge on the verge", "location": {"postcode": "ME15 6JQ"}},
    )
    assert submitted.status == 201, submitted.body
    reference = submitted.json()["reference"]
    local_cloud.wait_for_idle(timeout_s=30)

    browser = Browser(local_cloud)
    callback, _ = _sign_in_as(browser, CASEWORKER)
    assert callback.startswith(local_cloud.url + "/staff/callback?")
    signed_in = browser.request("GET", callback)
    assert signed_in.status == 303, signed_in.body
    assert signed_in.header("location") == "/staff/cases"
    assert {"borough_staff_id", "borough_staff_refresh"} <= set(browser.jar)

    queue = browser.request("GET", "/staff/cases")
    assert queue.status == 200, queue.body
    assert reference.encode() in queue.body
    found = browser.request("GET", f"/staff/cases?reference={reference}")
    assert reference.encode() in found.body
    case = browser.request("GET", f"/staff/cases/{reference}")
    assert case.status == 200, case.body
    assert b"Fridge on the verge" in case.body
    audit = local_cloud.physical_id("Borough-dev-Console/Audit")
    trail = local_cloud.client("dynamodb").query(
        TableName=audit,
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": {"S": reference}},
    )["Items"]
    assert [entry["action"]["S"] for entry in trail] == ["read-case"]

    refresh_token = browser.jar["borough_staff_refresh"]
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', queue.body).group(1).decode()
    signing_out = browser.request("POST", "/staff/sign-out", {"csrf_token": csrf})
    assert signing_out.status == 200, signing_out.body
    logout = html.unescape(re.search(r'url=([^"]+)"', signing_out.body.decode()).group(1))
    assert "borough_staff_id" not in browser.jar
    back = browser.request("GET", logout)
    assert back.status == 302
    assert back.header("location") == local_cloud.url + "/staff/signed-out"
    assert browser.request("GET", back.header("location")).status == 200

    # The refresh token was revoked: with it, and no valid ID token, the console asks for a new sign-in.
    browser.jar = {"borough_staff_id": "expired", "borough_staff_refresh": refresh_token}
    after = browser.request("GET", "/staff/cases")
    assert after.status == 303
    assert after.header("location") == "/staff/sign-in"


def test_the_stand_in_refuses_a_wrong_verifier_and_a_code_used_twice(local_cloud):
    browser = Browser(local_cloud)
    callback, verifier = _sign_in_as(browser, CASEWORKER)
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(callback).query))
    client_id = re.search(r"client_id=([^&]+)", browser.request("GET", "/staff/sign-in").header("location")).group(1)
    token_form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": params["code"],
        "redirect_uri": local_cloud.url + "/staff/callback",
    }
    wrong = browser.request("POST", "/sandbox/cognito/oauth2/token", {**token_form, "code_verifier": "x" * 64})
    assert wrong.status == 400
    assert wrong.json() == {"error": "invalid_grant"}
    again = browser.request("POST", "/sandbox/cognito/oauth2/token", {**token_form, "code_verifier": verifier})
    assert again.status == 400  # one exchange per code, right or wrong

    callback, verifier = _sign_in_as(browser, CASEWORKER)
    token_form["code"] = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(callback).query))["code"]
    right = browser.request("POST", "/sandbox/cognito/oauth2/token", {**token_form, "code_verifier": verifier})
    assert right.status == 200
    assert right.json()["id_token"]
    twice = browser.request("POST", "/sandbox/cognito/oauth2/token", {**token_form, "code_verifier": verifier})
    assert twice.status == 400


def test_the_stand_in_refuses_an_authorize_request_without_pkce_or_with_another_redirect(local_cloud):
    browser = Browser(local_cloud)
    authorize = browser.request("GET", "/staff/sign-in").header("location")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(authorize).query))
    base = "/sandbox/cognito/oauth2/authorize?"
    no_pkce = {k: v for k, v in query.items() if not k.startswith("code_challenge")}
    assert browser.request("GET", base + urllib.parse.urlencode(no_pkce)).status == 400
    elsewhere = {**query, "redirect_uri": "https://attacker.example/staff/callback"}
    assert browser.request("GET", base + urllib.parse.urlencode(elsewhere)).status == 400


def test_every_demo_role_can_sign_in_and_only_those_with_read_case_see_the_queue(local_cloud):
    for role, username in DEMO_STAFF.items():
        browser = Browser(local_cloud)
        callback, _ = _sign_in_as(browser, username)
        signed_in = browser.request("GET", callback)
        assert signed_in.status == 303, (role, signed_in.body)
        queue = browser.request("GET", "/staff/cases")
        assert queue.status == (403 if role == "admin" else 200), role


def _form(page: bytes, action: str) -> dict[str, str]:
    """The hidden fields (CSRF token, case version) of the page's form posting to `action`."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page.decode(), re.S)
    assert found is not None, f"no form for {action}"
    return _hidden_fields(found.group(0))


def _report(local_cloud, service: str, description: str, **more) -> str:
    """A resident's report through the public API, triaged: its reference."""
    answers = {"description": description, "location": {"postcode": "ME15 6JQ"}, **more}
    submitted = local_cloud.handle("POST", f"/api/v1/services/{service}/requests", json_body=answers)
    assert submitted.status == 201, submitted.body
    local_cloud.wait_for_idle(timeout_s=30)
    return str(submitted.json()["reference"])


def _signed_in(local_cloud, username: str) -> Browser:
    browser = Browser(local_cloud)
    callback, _ = _sign_in_as(browser, username)
    assert browser.request("GET", callback).status == 303
    return browser


def test_a_caseworkers_day_take_the_oldest_overdue_case_note_it_update_the_resident_resolve(local_cloud):
    email = f"resident-{uuid.uuid4().hex[:10]}@example.org"
    reference = _report(local_cloud, "fly-tipping", "Mattress in the alley", contact={"email": email})
    # Time passing, not a console write: the case has been waiting long enough to be the oldest overdue one.
    local_cloud.client("dynamodb").update_item(
        TableName=local_cloud.physical_id("Borough-dev-Data/Requests"),
        Key={"reference": {"S": reference}},
        UpdateExpression="SET due_date = :due",
        ExpressionAttributeValues={":due": {"S": "2020-01-02"}},
    )

    browser = _signed_in(local_cloud, CASEWORKER)
    overdue = browser.request("GET", "/staff/cases?view=overdue")
    assert overdue.status == 200, overdue.body
    first = re.search(rb'href="/staff/cases/([A-Z0-9]{4}-[A-Z0-9]{4})"', overdue.body)
    assert first is not None
    assert first.group(1).decode() == reference  # overdue first, the oldest at the top
    case_path = f"/staff/cases/{reference}"

    def work(action: str, **fields: str) -> None:
        page = browser.request("GET", case_path)
        assert page.status == 200, page.body
        done = browser.request("POST", case_path + action, {**_form(page.body, case_path + action), **fields})
        assert done.status == 303, done.body
        assert done.header("location") == case_path
        local_cloud.wait_for_idle(timeout_s=30)

    work("/assign", assign="me")
    assert reference.encode() in browser.request("GET", "/staff/cases?view=mine").body
    work("/notes", note="Neighbour at no. 12 says it is theirs: 07700 900456")
    work("/status", status="in-progress", resident_update="An officer will collect it on Friday.")
    work("/status", status="fixed", resident_update="We collected the mattress today. Thank you for reporting it.")

    public = local_cloud.handle("GET", f"/api/v1/requests/{reference}")
    assert public.status == 200
    shown = public.json()
    assert shown["status"] == "fixed"
    updates = [entry["update"] for entry in shown["history"] if entry["update"]]
    assert updates[-2:] == [
        "An officer will collect it on Friday.",
        "We collected the mattress today. Thank you for reporting it.",
    ]
    assert "07700 900456" not in public.body.decode()  # the internal note is never public
    assert "Neighbour" not in public.body.decode()
    assert len(shown["history"]) == len([e for e in shown["history"] if e["status"]])  # no staff-only entries leak

    sent = local_cloud.handle("GET", "/sandbox/outbox.json").json()["messages"]
    bodies = [m["body"] for m in sent if m["email_address"] == email]
    assert any("An officer will collect it on Friday." in body for body in bodies)
    assert any("We collected the mattress today." in body for body in bodies)
    assert not any("07700 900456" in body for body in bodies)

    trail = local_cloud.client("dynamodb").query(
        TableName=local_cloud.physical_id("Borough-dev-Console/Audit"),
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": {"S": reference}},
    )["Items"]
    changes = [entry["action"]["S"] for entry in trail if entry["action"]["S"] != "read-case"]
    assert changes == ["assign", "internal-note", "change-status", "change-status"]
    case = browser.request("GET", case_path).body
    assert b"This case is closed" in case
    assert b"Neighbour at no. 12" in case  # staff still see the note


def test_the_console_role_may_update_only_the_staff_attributes_returning_only_what_it_wrote(local_cloud):
    """The local cloud judges the grant's dynamodb:Attributes and dynamodb:ReturnValues conditions as IAM does."""
    from botocore.exceptions import ClientError

    from tests.local.test_local_access import _client_as, _role_arn

    reference = _report(local_cloud, "fly-tipping", "Tyres by the gate")
    dynamodb = _client_as(local_cloud, _role_arn(local_cloud, "Borough-dev-Console/Console/Function"), "dynamodb")
    write = {
        "TableName": local_cloud.physical_id("Borough-dev-Data/Requests"),
        "Key": {"reference": {"S": reference}},
        "ConditionExpression": "attribute_exists(#ref)",
        "ExpressionAttributeNames": {"#ref": "reference"},
    }
    dynamodb.update_item(
        **write, UpdateExpression="SET assignee = :who", ExpressionAttributeValues={":who": {"S": "s"}}
    )
    for refused in (
        {"UpdateExpression": "SET answers = :x", "ExpressionAttributeValues": {":x": {"S": "overwritten"}}},
        {
            "UpdateExpression": "SET assignee = :x",
            "ExpressionAttributeValues": {":x": {"S": "s"}},
            "ReturnValues": "ALL_NEW",
        },
    ):
        with pytest.raises(ClientError) as denied:
            dynamodb.update_item(**write, **refused)
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    item = local_cloud.client("dynamodb").get_item(TableName=write["TableName"], Key=write["Key"])["Item"]
    assert "Tyres by the gate" in json.dumps(item)  # the answers are as the resident gave them


def test_a_team_lead_assigns_a_case_to_a_caseworker_of_the_team(local_cloud):
    reference = _report(local_cloud, "graffiti", "Tag on the bus shelter")
    lead = _signed_in(local_cloud, DEMO_STAFF["team-lead"])
    case_path = f"/staff/cases/{reference}"
    page = lead.request("GET", case_path)
    assert page.status == 200, page.body
    options = {
        html.unescape(email): value
        for value, email in re.findall(r'<option value="([^"]+)">([^<]+@[^<]+)</option>', page.body.decode())
    }
    assert CASEWORKER in options  # read from the team's Cognito group, through the console's own grant
    assert DEMO_STAFF["finance"] not in options  # finance reads cases; it does not work them
    form = {**_form(page.body, case_path + "/assign"), "assign": "other", "assignee": options[CASEWORKER]}
    assigned = lead.request("POST", case_path + "/assign", form)
    assert assigned.status == 303, assigned.body
    caseworker = _signed_in(local_cloud, CASEWORKER)
    assert reference.encode() in caseworker.request("GET", "/staff/cases?view=mine").body


def test_bulk_assign_from_the_queue_assigns_two_and_skips_the_one_changed_meanwhile(local_cloud):
    """Through the deployed console function (its IAM policy judged by the local cloud): the caseworker ticks three
    cases on the queue; a team lead assigns one of them before the form is sent; two are assigned, the third is left
    with the lead and the result page says why."""
    references = [_report(local_cloud, "fly-tipping", f"Sofa number {n} by the bins") for n in range(3)]
    for reference in references:  # time passing, not a console write: these are the oldest overdue cases
        local_cloud.client("dynamodb").update_item(
            TableName=local_cloud.physical_id("Borough-dev-Data/Requests"),
            Key={"reference": {"S": reference}},
            UpdateExpression="SET due_date = :due",
            ExpressionAttributeValues={":due": {"S": "2019-06-01"}},
        )
    first, second, stale = references
    caseworker = _signed_in(local_cloud, CASEWORKER)
    queue = caseworker.request("GET", "/staff/cases?view=overdue")
    assert queue.status == 200, queue.body
    form = _form(queue.body, "/staff/cases/bulk-assign")  # the CSRF token
    page = queue.body.decode()
    ticked = {}
    for reference in references:
        box = re.search(rf'name="case:{reference}" type="checkbox" value="(\d+)"', page)
        assert box is not None, reference
        ticked[f"case:{reference}"] = box.group(1)

    lead = _signed_in(local_cloud, DEMO_STAFF["team-lead"])
    case_path = f"/staff/cases/{stale}"
    lead_page = lead.request("GET", case_path)
    taken = lead.request(
        "POST", case_path + "/assign", {**_form(lead_page.body, case_path + "/assign"), "assign": "me"}
    )
    assert taken.status == 303, taken.body

    sent = caseworker.request("POST", "/staff/cases/bulk-assign", {**form, **ticked, "assignee": "me"})
    assert sent.status == 303, sent.body
    assert sent.header("location") == "/staff/cases/bulk-assign"
    result = caseworker.request("GET", "/staff/cases/bulk-assign")
    assert result.status == 200, result.body
    body = html.unescape(result.body.decode())
    assert "2 of 3 cases assigned to you" in body
    assigned = re.search(r'id="assigned">(.*?)</ul>', body, re.S)
    assert assigned is not None
    assert sorted(re.findall(r">([A-Z0-9]{4}-[A-Z0-9]{4})</a>", assigned.group(1))) == sorted([first, second])
    not_assigned = re.search(r'id="not-assigned">(.*?)</table>', body, re.S)
    assert not_assigned is not None
    assert stale in not_assigned.group(1)
    assert "Someone else changed this case after the queue was shown" in not_assigned.group(1)

    requests_table = local_cloud.physical_id("Borough-dev-Data/Requests")
    audit_table = local_cloud.physical_id("Borough-dev-Console/Audit")

    def item(reference: str) -> dict:
        return local_cloud.client("dynamodb").get_item(TableName=requests_table, Key={"reference": {"S": reference}})[
            "Item"
        ]

    def changes(reference: str) -> list[str]:
        trail = local_cloud.client("dynamodb").query(
            TableName=audit_table,
            KeyConditionExpression="#r = :r",
            ExpressionAttributeNames={"#r": "record"},
            ExpressionAttributeValues={":r": {"S": reference}},
        )["Items"]
        return [entry["action"]["S"] for entry in trail if entry["action"]["S"] != "read-case"]

    assert item(first)["assignee_email"]["S"] == item(second)["assignee_email"]["S"] == CASEWORKER
    assert item(stale)["assignee_email"]["S"] == DEMO_STAFF["team-lead"]  # not overwritten
    assert changes(first) == changes(second) == ["assign"]
    assert changes(stale) == ["assign"]  # the lead's; the caseworker's skipped attempt wrote nothing
    mine = caseworker.request("GET", "/staff/cases?view=mine").body.decode()
    assert first in mine
    assert second in mine
    assert stale not in mine
