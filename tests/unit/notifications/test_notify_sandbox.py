"""The Notify stand-in checks what Notify checks (JWT, request shape) and shows the outbox as residents read it."""

from __future__ import annotations

import json
import time

import jwt
import pytest

from local.sandbox import notify as sandbox_module
from local.sandbox.notify import SANDBOX_SECRET, SANDBOX_SERVICE_ID, NotifySandbox

pytestmark = pytest.mark.unit

EMAIL_TEMPLATE = "5c2c6ad8-6f3e-4d47-9d7e-0a1b2c3d4e01"
SMS_TEMPLATE = "5c2c6ad8-6f3e-4d47-9d7e-0a1b2c3d4e02"
VALUES = {"reference": "GRF-1", "team": "Parks", "expected_by": "Friday"}


def token(*, iss=SANDBOX_SERVICE_ID, iat_offset=0, secret=SANDBOX_SECRET, algorithm="HS256", claims=None) -> str:
    payload = {"iss": iss, "iat": int(time.time()) + iat_offset} if claims is None else claims
    return jwt.encode(payload, secret, algorithm=algorithm)


def call(box, method, path, body=None, bearer=None, headers=None):
    sent = dict(headers or {})
    if bearer is not None:
        sent["Authorization"] = f"Bearer {bearer}"
    raw = json.dumps(body).encode() if isinstance(body, dict) else (body or b"")
    status, response_headers, payload = box.handle(method, path, sent, raw)
    if response_headers["Content-Type"].startswith("application/json"):
        return status, json.loads(payload)
    return status, payload.decode()


def send_email(box, **overrides):
    body = {"template_id": EMAIL_TEMPLATE, "email_address": "a@example.org", "personalisation": VALUES} | overrides
    return call(box, "POST", "/v2/notifications/email", body, bearer=token())


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"iat_offset": -31}, 403, "Error: Your system clock must be accurate to within 30 seconds"),
        ({"iat_offset": 31}, 403, "Error: Your system clock must be accurate to within 30 seconds"),
        ({"secret": "another-secret-of-at-least-forty-eight-bytes-long-0000"}, 403, "Invalid token: API key not found"),
        ({"iss": "00000000-0000-4000-8000-000000000000"}, 403, "Invalid token: service not found"),
        ({"claims": {"iat": int(time.time())}}, 403, "Invalid token: iss field not provided"),
        ({"claims": {"iss": SANDBOX_SERVICE_ID}}, 403, "Invalid token: iat field not provided"),
        ({"algorithm": "HS384", "secret": "s" * 48}, 403, "Invalid token: algorithm used is not HS256"),
    ],
)
def test_tokens_are_checked_as_notify_documents(kwargs, status, message):
    box = NotifySandbox()
    answer_status, answer = call(box, "GET", "/v2/notifications", bearer=token(**kwargs))
    assert (answer_status, answer["errors"][0]["message"]) == (status, message)
    assert answer["errors"][0]["error"] == "AuthError"


def test_no_token_is_401():
    status, answer = call(NotifySandbox(), "GET", "/v2/notifications")
    assert status == 401
    assert answer["errors"][0]["message"] == "Unauthorized: authentication token must be provided"
    status, _ = call(NotifySandbox(), "GET", "/v2/notifications", headers={"Authorization": "Basic abc"})
    assert status == 401


def test_a_token_within_30_seconds_is_accepted():
    box = NotifySandbox()
    status, _ = call(box, "GET", "/v2/notifications", bearer=token(iat_offset=-25))
    assert status == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"template_id": "nope"}, "template_id is not a valid UUID"),
        ({"template_id": "00000000-0000-4000-8000-000000000000"}, "Template not found"),
        ({"template_id": SMS_TEMPLATE}, "sms template is not suitable for email notification"),
        ({"email_address": "nobody"}, "email_address Not a valid email address"),
        ({"personalisation": {"reference": "X"}}, "Missing personalisation: team, expected_by"),
        ({"personalisation": "text"}, "personalisation is not of type object"),
        ({"reference": 7}, "reference is not of type string"),
        ({"colour": "blue"}, "Additional properties are not allowed (colour was unexpected)"),
    ],
)
def test_the_request_shape_is_checked(overrides, message):
    status, answer = send_email(NotifySandbox(), **overrides)
    assert status == 400
    assert answer["errors"][0]["message"] == message
    assert answer["status_code"] == 400


def test_sms_numbers_length_and_letter_addresses_are_checked():
    box = NotifySandbox()
    sms = {"template_id": SMS_TEMPLATE, "phone_number": "01632 960001", "personalisation": VALUES}
    status, answer = call(box, "POST", "/v2/notifications/sms", sms, bearer=token())
    assert answer["errors"][0]["message"] == "phone_number Not a UK mobile number"
    long_values = VALUES | {"team": "x" * 900}
    status, answer = call(
        box,
        "POST",
        "/v2/notifications/sms",
        sms | {"phone_number": "07700900123", "personalisation": long_values},
        bearer=token(),
    )
    assert status == 400
    assert answer["errors"][0]["message"].startswith("Text messages cannot be longer than 918 characters.")
    letter = {
        "template_id": "5c2c6ad8-6f3e-4d47-9d7e-0a1b2c3d4e03",
        "personalisation": VALUES | {"address_line_1": "A"},
    }
    status, answer = call(box, "POST", "/v2/notifications/letter", letter, bearer=token())
    assert answer["errors"][0]["message"] == "Address must be at least 3 lines"


def test_notify_shaped_answers_and_lookups():
    box = NotifySandbox()
    status, created = send_email(box, reference="our-id")
    assert status == 201
    assert set(created) >= {"id", "reference", "content", "uri", "template"}
    assert created["content"]["subject"] == "We have received your report: GRF-1"
    status, found = call(box, "GET", f"/v2/notifications/{created['id']}", bearer=token())
    assert (status, found["status"], found["email_address"], found["type"]) == (
        200,
        "delivered",
        "a@example.org",
        "email",
    )
    status, listed = call(box, "GET", "/sandbox/notify/v2/notifications?reference=our-id", bearer=token())
    assert [n["id"] for n in listed["notifications"]] == [created["id"]]
    status, missing = call(box, "GET", "/v2/notifications/00000000-0000-4000-8000-000000000000", bearer=token())
    assert (status, missing["errors"][0]["error"]) == (404, "NoResultFound")


def test_simulated_recipients_fail_as_notify_documents():
    box = NotifySandbox()
    _, created = send_email(box, email_address="perm-fail@simulator.notify")
    assert box.messages[0].status == "permanent-failure"
    assert created["id"] == box.messages[0].id


def test_the_outbox_shows_messages_newest_first_and_escapes_everything():
    box = NotifySandbox()
    send_email(box, personalisation=VALUES | {"team": "<script>alert(1)</script>"})
    send_email(box, personalisation=VALUES | {"reference": "SECOND"})
    status, page = call(box, "GET", "/sandbox/outbox")
    assert status == 200
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.index("SECOND") < page.index("&lt;script&gt;")
    assert "We have received your report: GRF-1" in page
    status, listed = call(box, "GET", "/sandbox/outbox.json")
    assert len(listed["messages"]) == 2


def test_the_module_level_handle_serves_the_shared_sandbox():
    status, _, body = sandbox_module.handle("GET", "/sandbox/outbox", {}, b"")
    assert status == 200
    assert b"Outbox" in body
