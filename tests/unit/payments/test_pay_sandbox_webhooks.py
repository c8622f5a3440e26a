"""The local Pay's webhooks: Pay's body fields and events, the Pay-Signature HMAC, and Pay's retry schedule."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from local.sandbox.pay import webhooks
from local.sandbox.pay.webhooks import FIRST_ATTEMPT_DELAY_SECONDS, RETRY_DELAYS_SECONDS, Webhooks
from tests.unit.payments.pay_support import START, Clock, Receiver, Scheduled, call, card_form, create, open_card_page

pytestmark = pytest.mark.unit
URL = "http://127.0.0.1:9/api/v1/payments/webhooks"


def pay(sandbox, key, number="4242424242424242") -> str:
    browser, created, card_page = open_card_page(sandbox, key)
    _, headers, _ = browser.post(card_page, card_form(number))
    if number == "4242424242424242":
        browser.post(headers["Location"])
    return created["payment_id"]


def deliver_all(scheduled: Scheduled) -> list[float]:
    waits = []
    while scheduled.jobs:
        waits.append(scheduled.run_next())
    return waits


def test_the_signature_is_lower_case_hex_hmac_sha256_of_the_raw_body():
    body = b'{"a":1}'
    expected = hmac.new(b"webhook_test_secret", body, hashlib.sha256).hexdigest()
    assert webhooks.sign(body, "webhook_test_secret") == expected
    assert webhooks.sign(body, "webhook_test_secret") == expected.lower()
    assert webhooks.sign(b'{"a":2}', "webhook_test_secret") != expected


def test_a_successful_payment_sends_succeeded_then_captured_signed(sandbox, api_key, scheduled, receiver):
    subscription = sandbox.webhooks.subscribe(URL)
    payment_id = pay(sandbox, api_key)
    assert [seconds for seconds, _ in scheduled.jobs] == [FIRST_ATTEMPT_DELAY_SECONDS] * 2
    assert receiver.received == []  # nothing before the first wait
    deliver_all(scheduled)
    bodies = receiver.bodies()
    assert [b["event_type"] for b in bodies] == ["card_payment_succeeded", "card_payment_captured"]
    first = bodies[0]
    assert set(first) >= {
        "webhook_message_id",
        "api_version",
        "created_date",
        "resource_id",
        "resource_type",
        "event_type",
        "resource",
    }
    assert (first["resource_id"], first["resource_type"], first["api_version"]) == (payment_id, "payment", 1)
    assert first["resource"]["payment_id"] == payment_id
    assert first["resource"]["state"]["status"] == "success"
    assert first["created_date"] == "2026-03-02T09:00:00.000Z"
    assert len({b["webhook_message_id"] for b in bodies}) == 2
    for url, headers, raw in receiver.received:
        assert url == URL
        assert headers["Content-Type"] == "application/json"
        assert headers["Pay-Signature"] == webhooks.sign(raw, subscription.signing_secret)
    assert subscription.signing_secret.startswith("webhook_test_")


@pytest.mark.parametrize(
    ("number", "event"),
    [("4000000000000002", "card_payment_failed"), ("4000000000000069", "card_payment_failed")],
)
def test_a_rejected_card_sends_failed(sandbox, api_key, scheduled, receiver, number, event):
    sandbox.webhooks.subscribe(URL)
    pay(sandbox, api_key, number)
    deliver_all(scheduled)
    assert [b["event_type"] for b in receiver.bodies()] == [event]


def test_expiry_sends_expired_when_the_clock_passes_90_minutes(sandbox, api_key, scheduled, receiver, clock):
    sandbox.webhooks.subscribe(URL)
    payment_id = create(sandbox, api_key)["payment_id"]
    clock.advance(minutes=90)
    sandbox.advance()
    deliver_all(scheduled)
    body = receiver.bodies()[0]
    assert (body["event_type"], body["resource_id"]) == ("card_payment_expired", payment_id)
    assert body["resource"]["state"]["code"] == "P0020"


def test_a_settled_refund_sends_refunded(sandbox, api_key, scheduled, receiver, clock):
    payment_id = pay(sandbox, api_key)
    sandbox.webhooks.subscribe(URL, events=("card_payment_refunded",))
    call(
        sandbox,
        "POST",
        f"/v1/payments/{payment_id}/refunds",
        {"amount": 100, "refund_amount_available": 2500},
        key=api_key,
    )
    deliver_all(scheduled)
    assert receiver.received == []  # submitted: nothing yet
    clock.advance(seconds=5)
    sandbox.advance()
    deliver_all(scheduled)
    body = receiver.bodies()[0]
    assert body["event_type"] == "card_payment_refunded"
    assert body["resource"]["refund_summary"]["amount_submitted"] == 100


def test_subscriptions_get_only_the_events_they_chose(sandbox, api_key, scheduled, receiver):
    sandbox.webhooks.subscribe(URL, events=("card_payment_captured",))
    pay(sandbox, api_key)
    deliver_all(scheduled)
    assert [b["event_type"] for b in receiver.bodies()] == ["card_payment_captured"]
    with pytest.raises(ValueError, match="not Pay webhook events"):
        sandbox.webhooks.subscribe(URL, events=("card_payment_cancelled",))


def test_failed_deliveries_follow_pays_retry_schedule_then_stop():
    scheduled, receiver = Scheduled(), Receiver()
    receiver.statuses = [500, 503, TimeoutError(), 404, 500, 500]
    hooks = Webhooks(
        clock=Clock(START), ids=iter(str(n) for n in range(100)).__next__, sender=receiver, scheduler=scheduled
    )
    hooks.subscribe(URL)
    hooks.announce("card_payment_succeeded", "pay1", {"payment_id": "pay1"}, START)
    waits = deliver_all(scheduled)
    assert waits == [3.0, 60.0, 300.0, 3600.0, 86400.0, 172800.0]
    assert tuple(waits[1:]) == RETRY_DELAYS_SECONDS
    message = hooks.messages[0]
    assert message.state == "failed"
    assert [a.status for a in message.attempts] == [500, 503, None, 404, 500, 500]
    assert message.attempts[2].error == "TimeoutError"
    assert len({body for _, _, body in receiver.received}) == 1  # the same message, the same bytes, each time


def test_a_retry_that_gets_a_2xx_stops_and_time_scale_shrinks_the_waits():
    scheduled, receiver = Scheduled(), Receiver()
    receiver.statuses = [500, 204]
    hooks = Webhooks(clock=Clock(), ids=lambda: "m1", sender=receiver, scheduler=scheduled, time_scale=0.001)
    hooks.subscribe(URL)
    hooks.announce("card_payment_captured", "pay1", {}, START)
    assert deliver_all(scheduled) == [pytest.approx(0.003), pytest.approx(0.06)]
    assert hooks.messages[0].state == "delivered"
    assert len(receiver.received) == 2


def test_the_default_scheduler_and_sender_deliver_over_http(running, api_key):
    """With `threading.Timer` and `urllib`, a compressed schedule reaches a real loopback receiver."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    got: list[tuple[str, bytes]] = []
    arrived = threading.Event()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append((self.headers["Pay-Signature"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            arrived.set()

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sandbox = running.sandbox
        sandbox.webhooks.sender, sandbox.webhooks.scheduler = webhooks.urllib_sender, webhooks.timer_scheduler
        sandbox.webhooks.time_scale = 0.001
        subscription = sandbox.webhooks.subscribe(f"http://127.0.0.1:{server.server_address[1]}/hook")
        sandbox.webhooks.announce("card_payment_succeeded", "p1", {"payment_id": "p1"}, START)
        assert arrived.wait(5)
        signature, raw = got[0]
        assert signature == webhooks.sign(raw, subscription.signing_secret)
        assert json.loads(raw)["resource_id"] == "p1"
    finally:
        server.shutdown()
        server.server_close()
