"""The order refunds function: another service refunds the payment of an order it registered (docs/decisions/0010),
invoked directly (never routed), by the permits functions only (their roles may invoke this one function).

`{"action": "refund-order", "service": "permits", "reference", "amount_pence", "reason", "idempotency_key",
"correlation_id"}` refunds `amount_pence` of the reference's paid attempt through GOV.UK Pay's refund API exactly as
a staff refund does (`Refunds.refund_for_service`): the Refunds table's record (`via: permits`, `staff:
service:permits`) written under a condition before Pay is asked, never more than Pay says is left, the same key twice
one refund. Answers `{"status", "body"}`: 201 a new refund, 200 the same key's refund again (its record as it stands,
`public_refund`), 400 a malformed request, 409 refused (`problem`: not-paid, fully-refunded, over-available,
not-refundable, changed, checking), 422 the key used for another refund, 502/503 Pay unreachable (no refund made, or
being checked). The reason is never logged.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.handler import MAX_ORDER_PENCE
from payments.refunds import RefundRefused, public_refund
from payments.service import refunds
from payments.settings import refunds_settings
from shared.errors import BoroughError
from shared.observability import logger, observed

ACTION = "refund-order"
SERVICES = frozenset({"permits"})  # the services whose functions may invoke this one (stacks/permits_stack.py)
_REFERENCE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
_KEY = re.compile(r"^[A-Za-z0-9:_-]{8,100}$")


def _malformed(detail: str) -> dict[str, Any]:
    return {"status": 400, "body": {"detail": detail}}


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refunds_settings()  # a missing or malformed variable fails the first invocation with its name
    logger.set_correlation_id(str(event.get("correlation_id") or "unknown")[:128])
    if event.get("action") != ACTION:
        return _malformed("Unknown action.")
    service, reference, key = (str(event.get(k, "")) for k in ("service", "reference", "idempotency_key"))
    amount, reason = event.get("amount_pence"), event.get("reason")
    if service not in SERVICES:
        return _malformed(f"service: one of {sorted(SERVICES)}.")
    if not _REFERENCE.match(reference):
        return _malformed("reference: the order's reference.")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_ORDER_PENCE:
        return _malformed(f"amount_pence: a whole number of pence from 1 to {MAX_ORDER_PENCE}.")
    if not isinstance(reason, str) or not reason.strip():
        return _malformed("reason: why the order is refunded.")
    if not _KEY.match(key):
        return _malformed("idempotency_key: 8 to 100 letters, digits, ':', '_' or '-'.")
    try:
        record, new = refunds().refund_for_service(reference, amount=amount, reason=reason, key=key, via=service)
    except RefundRefused as refused:
        logger.info("Order refund refused", extra={"reference": reference, "problem": refused.problem})
        return {"status": refused.status, "body": {"detail": refused.detail, "problem": refused.problem}}
    except BoroughError as error:
        return {"status": error.status, "body": {"detail": error.detail}}
    logger.info(
        "Order refund asked",
        extra={"reference": reference, "number": record.number, "status": record.status, "new": new, "via": service},
    )
    return {"status": 201 if new else 200, "body": public_refund(record)}
