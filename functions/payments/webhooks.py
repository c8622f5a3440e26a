"""`POST /api/v1/payments/webhooks`: GOV.UK Pay's webhooks, answered fast and worked on behind a queue.

The signature (`Pay-Signature`, HMAC-SHA256 of the raw body) is checked in constant time against the signing
secret(s); a message that fails is 401 and goes nowhere. A valid one is only a hint: what is queued is the payment
id and the message id, never the body's state (the worker reads the payment from Pay). Answered 200 once the queue
has the hint, so Pay's retries (60 s, 5 min, 1 h, 1 day, 2 days) cover a queue that failed; a repeat is harmless.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from payments import provider
from payments.adapters import pay_webhooks
from payments.settings import webhook_settings
from shared import aws
from shared.api import http_handler, json_response, make_resolver
from shared.errors import BadRequest, DependencyFailed, Unauthorized
from shared.observability import logger

app = make_resolver(webhook_settings)


@app.post("/api/v1/payments/webhooks")
def receive() -> Response[str]:
    event = app.current_event
    # The body's size, encoding and media type were checked before any route ran (shared.request_body).
    raw = (event.decoded_body or "").encode("utf-8")
    configured = webhook_settings()
    header = event.headers.get(pay_webhooks.SIGNATURE_HEADER.lower())
    if not pay_webhooks.signature_valid(raw, header, provider.signing_secrets(configured.pay_webhook_secret_id)):
        logger.warning("Webhook refused: signature not valid")
        raise Unauthorized("The Pay-Signature header is missing or does not match the body.")
    try:
        message = pay_webhooks.parse(raw)
    except pay_webhooks.WebhookInvalid as error:
        raise BadRequest("The body is not a GOV.UK Pay webhook message.") from error
    if not message.about_a_payment:
        return json_response(200, {"queued": False})
    hint: dict[str, Any] = {
        "payment_id": message.resource_id,
        "webhook_message_id": message.webhook_message_id,
        "event_type": message.event_type,
    }
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        aws.client("sqs").send_message(QueueUrl=configured.webhook_queue_url, MessageBody=json.dumps(hint))
    except (BotoCoreError, ClientError) as error:
        raise DependencyFailed("Not queued; Pay will send it again.") from error
    logger.info("Webhook queued", extra=hint)
    return json_response(200, {"queued": True})


handler = http_handler(app, webhook_settings)
