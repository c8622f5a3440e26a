"""The adapter's webhook checks against messages the local Pay really sends: signature, rotation, tampering, parsing."""

from __future__ import annotations

import pytest

from payments.adapters.pay_webhooks import SIGNATURE_HEADER, WebhookInvalid, parse, signature_valid
from tests.unit.payments.pay_support import card_form, open_card_page

pytestmark = pytest.mark.unit
URL = "http://127.0.0.1:9/api/v1/payments/webhooks"


@pytest.fixture
def sent(sandbox, api_key, scheduled, receiver):
    """(raw body, Pay-Signature, signing secret, payment id) of the first webhook of a successful payment."""
    subscription = sandbox.webhooks.subscribe(URL)
    browser, created, card_page = open_card_page(sandbox, api_key)
    _, headers, _ = browser.post(card_page, card_form("4242424242424242"))
    browser.post(headers["Location"])
    scheduled.run_next()
    _, headers, raw = receiver.received[0]
    return raw, headers[SIGNATURE_HEADER], subscription.signing_secret, created["payment_id"]


def test_a_message_from_the_local_pay_is_valid_and_parses(sent):
    raw, signature, secret, payment_id = sent
    assert signature_valid(raw, signature, [secret])
    message = parse(raw)
    assert (message.event_type, message.resource_id, message.resource_type) == (
        "card_payment_succeeded",
        payment_id,
        "payment",
    )
    assert message.about_a_payment
    assert message.resource["state"]["status"] == "success"


def test_either_secret_is_accepted_while_one_is_rotated(sent):
    raw, signature, secret, _ = sent
    assert signature_valid(raw, signature, ["webhook_test_old", secret])
    assert signature_valid(raw, signature.upper(), [secret])  # hex is hex, whatever its case


@pytest.mark.parametrize("change", ["body", "signature", "secret", "missing", "empty secrets"])
def test_forged_or_altered_messages_are_refused(sent, change):
    raw, signature, secret, _ = sent
    if change == "body":
        raw = raw.replace(b'"amount":2500', b'"amount":1')
        assert b'"amount":1' in raw
    if change == "signature":
        signature = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    if change == "secret":
        secret = "webhook_test_someone_else"
    if change == "missing":
        signature = ""
    secrets = [] if change == "empty secrets" else [secret, ""]
    assert not signature_valid(raw, signature, secrets)


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'{"event_type": "card_payment_succeeded"}'])
def test_a_body_that_is_not_a_pay_message_is_invalid(raw):
    with pytest.raises(WebhookInvalid):
        parse(raw)
