"""Notify's delivery receipts: bearer token checked, status moves forwards only, recipient never logged."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from local.sandbox.notify import SANDBOX_API_KEY, NotifySandbox, serve
from notifications import adapters, callback, handler, logic, settings
from notifications.store import MessageStore
from shared.events import EventType, new_event
from tests.helpers import FakeContext, http_event, sqs_event

pytestmark = pytest.mark.unit

TOKEN = "callback-token-for-tests"
PATH = "/api/v1/notifications/receipts"


def a_sent_message() -> str:
    event = new_event(
        EventType.REQUEST_ACKNOWLEDGED, source="t", correlation_id="c", data={"reference": "R-1", "team": "Parks"}
    )
    [message] = logic.compose(event, {"reference": "R-1", "contact": {"email": "resident@example.org"}})
    store = MessageStore("notifications_table")
    now = datetime.now(UTC)
    store.record([message], now)
    store.claim(message["message_id"], now)
    store.confirm(message["message_id"], provider="notify", provider_id="n-1", now=now)
    return str(message["message_id"])


def receipt(message_id: str, status: str, token: str | None = TOKEN) -> dict:
    body = {
        "id": "n-1",
        "reference": message_id,
        "to": "resident@example.org",
        "status": status,
        "created_at": "2026-11-24T10:00:00.000000Z",
        "completed_at": "2026-11-24T10:00:05.000000Z",
        "sent_at": "2026-11-24T10:00:01.000000Z",
        "notification_type": "email",
        "template_id": "5c2c6ad8-6f3e-4d47-9d7e-0a1b2c3d4e01",
        "template_version": 1,
    }
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return callback.handler(http_event("POST", PATH, body=body, headers=headers), FakeContext())


def test_a_delivered_receipt_moves_the_message_to_delivered(cloud):
    message_id = a_sent_message()
    response = receipt(message_id, "delivered")
    assert response["statusCode"] == 200
    message = cloud.message(message_id)
    assert (message["status"], message["provider_status"]) == ("delivered", "delivered")


def test_a_status_never_moves_backwards(cloud):
    message_id = a_sent_message()
    receipt(message_id, "sending")
    assert cloud.message(message_id)["status"] == "sent"  # not final yet: our status stays
    receipt(message_id, "permanent-failure")
    receipt(message_id, "sending")  # late and out of order
    receipt(message_id, "created")
    message = cloud.message(message_id)
    assert (message["status"], message["provider_status"]) == ("permanent-failure", "permanent-failure")


def test_a_receipt_that_comes_before_the_send_is_confirmed_keeps_its_status(cloud):
    """Notify can deliver and call back before its answer to the send reaches the consumer."""
    event = new_event(
        EventType.REQUEST_ACKNOWLEDGED, source="t", correlation_id="c", data={"reference": "R-2", "team": "Parks"}
    )
    [message] = logic.compose(event, {"reference": "R-2", "contact": {"email": "resident@example.org"}})
    store = MessageStore("notifications_table")
    now = datetime.now(UTC)
    store.record([message], now)
    store.claim(message["message_id"], now)
    assert receipt(message["message_id"], "delivered")["statusCode"] == 200
    store.confirm(message["message_id"], provider="notify", provider_id="n-1", now=now)
    stored = cloud.message(message["message_id"])
    assert (stored["status"], stored["provider_status"], stored["provider_id"]) == ("delivered", "delivered", "n-1")
    assert "lease_until" not in stored


@pytest.mark.parametrize("token", [None, "wrong", ""])
def test_the_bearer_token_is_required(cloud, token):
    message_id = a_sent_message()
    response = receipt(message_id, "delivered", token=token)
    assert response["statusCode"] == 401
    assert cloud.message(message_id)["status"] == "sent"


def test_receipts_for_unknown_or_unreferenced_messages_are_accepted_and_ignored(cloud):
    assert receipt("no-such-message", "delivered")["statusCode"] == 200
    assert cloud.items("NOTIFICATIONS_TABLE") == []


def test_a_malformed_receipt_is_a_problem(cloud):
    event = http_event("POST", PATH, body={"id": "x"}, headers={"authorization": f"Bearer {TOKEN}"})
    response = callback.handler(event, FakeContext())
    assert response["statusCode"] == 422
    assert "resident@" not in response["body"]


def test_the_stand_ins_receipts_are_understood_end_to_end(cloud, put_request, monkeypatch):
    """The Notify stand-in POSTs its receipt to a loopback server that hands it to the callback handler."""

    answered = threading.Event()
    # moto's conditional updates are not atomic across threads (DynamoDB's are): the receipt waits until the
    # consumer has confirmed the send, the usual order. A receipt that comes first has its own test.
    consumed = threading.Event()

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            consumed.wait(5)
            event = http_event("POST", PATH, body=body, headers={"authorization": self.headers["Authorization"]})
            response = callback.handler(event, FakeContext())
            self.send_response(response["statusCode"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            answered.set()

        def log_message(self, *args):
            return

    gateway = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=gateway.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    box = NotifySandbox(callback_url=f"http://127.0.0.1:{gateway.server_address[1]}{PATH}", callback_token=TOKEN)
    try:
        with serve(box) as running:
            monkeypatch.setenv("NOTIFY_PROVIDER", "notify")
            monkeypatch.setenv("NOTIFY_BASE_URL", running.url)
            monkeypatch.setenv("NOTIFY_API_KEY", SANDBOX_API_KEY)
            settings.reset()
            adapters.from_environment.cache_clear()
            put_request("R-9", {"email": "resident@example.org"})
            event = new_event(EventType.REQUEST_ACKNOWLEDGED, source="t", correlation_id="c", data={"reference": "R-9"})
            assert handler.handler(sqs_event(event.to_message()), FakeContext())["batchItemFailures"] == []
            consumed.set()
            assert answered.wait(5)
    finally:
        gateway.shutdown()
        gateway.server_close()
    [message] = cloud.items("NOTIFICATIONS_TABLE")
    assert (message["status"], message["provider_status"]) == ("delivered", "delivered")
    assert message["provider_id"] == box.messages[0].id
