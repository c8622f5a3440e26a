"""The web's payments function, invoked directly by the resident web (never routed on the HTTP API).

`{"action": "start", "reference": ..., "correlation_id": ...}`: the attempt to pay through (Pay's `next_url` while
the card page is unopened); `{"action": "return", "token": ..., "correlation_id": ...}`: the attempt's state as
Pay has it now; `{"action": "register-order", "reference", "service_id", "title", "amount_pence"}` (from the
permits service only: an order it priced, docs/decisions/0010): 201 new, 200 the same order again, 409 another;
`{"action": "progress", "reference": ...}`: where the latest attempt stands, creating nothing (the
"setting up your payment" page while a create Pay rate-limited is queued, payments.creator). Answers
`{"status": <HTTP-like status>, "body": {...}}`. Thin: the work is in `payments.logic` and `payments.creator`.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from payments import creator
from payments.service import payments
from payments.settings import settings
from shared.errors import BoroughError
from shared.observability import logger, observed

_REFERENCE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SERVICE_ID = re.compile(r"^[a-z][a-z0-9-]{1,47}$")
MAX_ORDER_PENCE = 1_000_000  # £10,000: far above any permit; a larger amount is a bug, refused


def _register(event: dict[str, Any]) -> dict[str, Any]:
    reference, service_id, title = (str(event.get(k, "")) for k in ("reference", "service_id", "title"))
    amount = event.get("amount_pence")
    valid_amount = isinstance(amount, int) and not isinstance(amount, bool) and 0 < amount <= MAX_ORDER_PENCE
    if not (_REFERENCE.match(reference) and _SERVICE_ID.match(service_id) and 0 < len(title) <= 100 and valid_amount):
        return {"status": 400, "body": {"detail": "An order needs a reference, service_id, title and amount_pence."}}
    assert isinstance(amount, int)
    try:
        new = payments().register_order(reference, service_id=service_id, title=title, amount=amount)
    except BoroughError as error:
        return {"status": error.status, "body": {"detail": error.detail}}
    logger.info("Order registered", extra={"reference": reference, "service_id": service_id, "new": new})
    return {"status": 201 if new else 200, "body": {"reference": reference, "amount_pence": amount}}


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings()  # a missing or malformed variable fails the first invocation with its name
    correlation_id = str(event.get("correlation_id") or "unknown")[:128]
    logger.set_correlation_id(correlation_id)
    action = event.get("action")
    if action == "register-order":
        return _register(event)
    try:
        if action == "start" and _REFERENCE.match(str(event.get("reference", ""))):
            outcome = payments().start(str(event["reference"]), correlation_id=correlation_id)
        elif action == "progress" and _REFERENCE.match(str(event.get("reference", ""))):
            outcome = creator.progress(payments(), str(event["reference"]), correlation_id=correlation_id)
        elif action == "return" and _TOKEN.match(str(event.get("token", ""))):
            outcome = payments().on_return(str(event["token"]), correlation_id=correlation_id)
        else:
            return {"status": 400, "body": {"detail": "Unknown action or malformed identifier."}}
    except BoroughError as error:
        return {"status": error.status, "body": {"detail": error.detail}}
    logger.info(
        "Payment attempt", extra={"reference": outcome.reference, "attempt": outcome.attempt, "status": outcome.status}
    )
    return {"status": 200, "body": outcome.public()}
