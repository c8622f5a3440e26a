"""The staff console in the local cloud, end to end through the front door: a resident's report is triaged; the
demo caseworker signs in through the managed-login stand-in (authorization code with PKCE), sees it in the queue,
and signs out, which revokes the session. The stand-in refuses a wrong verifier and a code used twice."""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse

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
