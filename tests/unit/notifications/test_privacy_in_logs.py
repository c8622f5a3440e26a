"""No personal data in logs: message ids are logged, never recipients, content, tokens or the API key."""

from __future__ import annotations

import logging

import pytest

from local.sandbox.notify import SANDBOX_SECRET
from notifications import callback, handler
from shared.events import EventType, new_event
from tests.helpers import FakeContext, function_logs, http_event, sqs_event

pytestmark = pytest.mark.unit

EMAIL = "private.person@example.org"
PHONE = "+447700900456"


@pytest.fixture
def logs():
    """Everything the functions' logger writes, formatted as in Lambda (JSON with every extra key)."""
    with function_logs() as stream:
        yield stream


def test_nothing_personal_is_logged_whatever_happens(use_notify, cloud, capsys, caplog, logs, put_request):
    caplog.set_level(logging.INFO)  # the functions log at INFO (botocore DEBUG would echo request bodies)
    put_request("P-1", {"email": EMAIL})
    put_request("P-2", {"phone": PHONE, "preference": "sms"})
    put_request("P-3", {"email": EMAIL})
    events = [
        new_event(
            EventType.REQUEST_ACKNOWLEDGED, source="t", correlation_id="c", data={"reference": r, "team": "Parks"}
        )
        for r in ("P-1", "P-2", "P-3")
    ]
    use_notify.sandbox.fail_next(400, "ValidationError", "email_address Not a valid email address")
    handler.handler(sqs_event(*(e.to_message() for e in events)), FakeContext())  # one refused, two sent
    use_notify.sandbox.fail_next(429, "RateLimitError", "Exceeded rate limit")
    later = new_event(
        EventType.STATUS_CHANGED, source="t", correlation_id="c", data={"reference": "P-1", "status": "closed"}
    )
    handler.handler(sqs_event(later.to_message()), FakeContext())  # rate limited
    sent = use_notify.sandbox.messages[0]
    receipt = {
        "id": sent.id,
        "reference": sent.reference,
        "to": sent.recipient,
        "status": "delivered",
        "notification_type": sent.type,
    }
    callback.handler(
        http_event(
            "POST",
            "/api/v1/notifications/receipts",
            body=receipt,
            headers={"authorization": "Bearer callback-token-for-tests"},
        ),
        FakeContext(),
    )

    output = logs.getvalue() + capsys.readouterr().out + caplog.text
    assert "Message sent" in output  # the logs are there...
    assert sent.reference in output  # ...and name messages by id
    for secret in (EMAIL, "private.person", PHONE, "7700900456", SANDBOX_SECRET, "callback-token-for-tests"):
        assert secret not in output
    assert "Thank you. Your reference is" not in output  # nor content


def test_outgoing_messages_do_not_print_their_recipient():
    from notifications.adapters import Outgoing

    text = repr(Outgoing(message_id="m", channel="email", template="t", recipient=EMAIL, body="secret body"))
    assert EMAIL not in text
    assert "secret body" not in text
