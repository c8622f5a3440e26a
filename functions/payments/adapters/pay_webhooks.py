"""GOV.UK Pay's webhook messages: checking `Pay-Signature` and reading the body.

Pay signs each message with the webhook's signing secret: `Pay-Signature` is the lower-case hex HMAC-SHA256 of the
raw body. `signature_valid` checks it in constant time against every secret given (two while a secret is rotated).
A valid signature says the message came from Pay, not that it is new or in order: Pay retries, and messages can
arrive more than once and out of order. The body is a hint: the service reads the payment from Pay before acting.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

SIGNATURE_HEADER = "Pay-Signature"
PAYMENT_EVENTS = frozenset(
    {
        "card_payment_succeeded",
        "card_payment_captured",
        "card_payment_refunded",
        "card_payment_failed",
        "card_payment_expired",
    }
)


class WebhookInvalid(ValueError):
    """The body is not a Pay webhook message (never shown to the sender: it only learns 'rejected')."""


class PayWebhook(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    webhook_message_id: str
    created_date: str
    resource_id: str
    api_version: int
    resource_type: str
    event_type: str
    resource: dict[str, Any] = {}

    @property
    def about_a_payment(self) -> bool:
        return self.resource_type == "payment" and self.event_type in PAYMENT_EVENTS


def signature_valid(raw_body: bytes, signature: str | None, signing_secrets: Iterable[str]) -> bool:
    """Whether `signature` (the `Pay-Signature` header) is Pay's signature of `raw_body` with one of the secrets."""
    if not signature:
        return False
    given = signature.strip().lower().encode("ascii", "replace")
    valid = False
    for secret in signing_secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest().encode("ascii")
        valid |= hmac.compare_digest(expected, given)  # every secret is tried: the time says nothing
    return valid


def parse(raw_body: bytes) -> PayWebhook:
    try:
        return PayWebhook.model_validate(json.loads(raw_body))
    except (ValueError, ValidationError):
        raise WebhookInvalid("not a GOV.UK Pay webhook message") from None
