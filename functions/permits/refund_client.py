"""Refunds through the payments service: the OrderRefunds function's `refund-order` (payments.order_refunds), by
name, from the permits functions (their roles may invoke that one function).

`refund_order(RefundAsk(reference, amount, reason, key))` returns the refund's state at Pay (`submitted`, ...);
the same key again is the same refund. `RefundNotMade` when payments refused it (`problem`: not-paid,
fully-refunded, over-available, not-refundable, changed, checking) or could not be reached (`unavailable`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from shared import aws
from shared.observability import logger


@dataclass(frozen=True)
class RefundAsk:
    reference: str  # the order refunded: the application's, or a change of vehicle's
    amount: int  # pence, above zero
    reason: str  # kept by payments with the refund, shown to staff
    key: str  # the same key is the same refund (`cancel:<reference>`, `change:<reference>`, ...)


class RefundNotMade(Exception):
    """Payments made no refund (yet): `problem` says why."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


Refunder = Callable[[RefundAsk], str]


def invoking(function_name: str) -> Refunder:
    """A refunder that invokes the named OrderRefunds function."""

    def refund_order(ask: RefundAsk) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        payload = {
            "action": "refund-order",
            "service": "permits",
            "reference": ask.reference,
            "amount_pence": ask.amount,
            "reason": ask.reason,
            "idempotency_key": ask.key,
            "correlation_id": logger.get_correlation_id() or "",
        }
        try:
            response = aws.client("lambda").invoke(FunctionName=function_name, Payload=json.dumps(payload).encode())
            answer = json.loads(response["Payload"].read())
        except (BotoCoreError, ClientError, ValueError) as error:
            raise RefundNotMade("unavailable") from error
        if response.get("FunctionError") or not isinstance(answer, dict):
            raise RefundNotMade("unavailable")
        found = answer.get("body")
        body: dict[str, object] = found if isinstance(found, dict) else {}
        if answer.get("status") not in (200, 201):
            raise RefundNotMade(str(body.get("problem") or f"status-{answer.get('status')}"))
        return str(body.get("status", ""))

    return refund_order
