"""GOV.UK Notify's delivery receipts (its "callback"): POST /api/v1/notifications/receipts.

Notify POSTs JSON (id, reference, to, status, created_at, completed_at, sent_at, notification_type, ...) with
`Authorization: Bearer <the token we gave it>`. The token is checked in constant time; the receipt moves the
message (found by `reference`, which is our message id) forwards through Notify's states, never backwards.
The recipient (`to`) is neither read nor logged.
"""

from __future__ import annotations

import hmac
from typing import Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field

from notifications import settings
from notifications.store import MessageStore
from shared.api import http_handler, json_response, make_resolver, read_json_object
from shared.errors import Unauthorized
from shared.observability import logger, metrics

RECEIPTS_PATH = "/api/v1/notifications/receipts"

app = make_resolver()


class Receipt(BaseModel):
    """The fields of Notify's callback that we use; the rest (including `to`) are ignored, never stored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    reference: str | None = Field(default=None, max_length=1000)
    status: str = Field(min_length=1, max_length=40)
    notification_type: Literal["email", "sms", "letter"]
    created_at: str | None = None
    sent_at: str | None = None
    completed_at: str | None = None


def check_bearer(authorization: str | None, expected: str) -> None:
    """Constant-time comparison of the bearer token with the one we gave Notify."""
    scheme, _, token = (authorization or "").partition(" ")
    supplied = token.strip().encode("utf-8")
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(supplied, expected.encode("utf-8")):
        raise Unauthorized("Send the callback bearer token.", headers={"WWW-Authenticate": "Bearer"})


def apply(receipt: Receipt, table_name: str) -> bool:
    if not receipt.reference:
        logger.info("Receipt for a notification we did not reference; ignored", extra={"notify_id": receipt.id})
        return False
    at = receipt.completed_at or receipt.sent_at or receipt.created_at or ""
    applied = MessageStore(table_name).apply_receipt(
        receipt.reference, provider_status=receipt.status, provider_id=receipt.id, at=at
    )
    log = {"message_id": receipt.reference, "notify_id": receipt.id, "provider_status": receipt.status}
    if applied:
        metrics.add_metric(name=f"Receipt-{receipt.status}", unit=MetricUnit.Count, value=1)
        logger.info("Delivery receipt applied", extra=log)
    else:
        logger.info("Delivery receipt stale, repeated or for an unknown message; ignored", extra=log)
    return applied


@app.post(RECEIPTS_PATH)
def receive() -> Response[str]:
    config = settings.settings()
    expected = settings.secret(config.notify_callback_token_secret_id, config.notify_callback_token, "token")
    check_bearer(app.current_event.headers.get("authorization"), expected)
    receipt = Receipt.model_validate(read_json_object(app))
    # 200 whatever happened to it: Notify retries non-2xx answers, and a stale receipt will not become fresh.
    return json_response(200, {"applied": apply(receipt, config.notifications_table)})


handler = settings.entry_point(settings.ReceiptsSettings, http_handler(app))
