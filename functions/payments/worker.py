"""The webhook queue's worker: each hint is applied once, from the payment as Pay has it now.

Messages arrive more than once and out of order; neither matters, because the state is read from Pay and the
first final state wins (payments.logic). A hint that fails (Pay unreachable) is handed back and retried; after five
receives it is on the dead-letter queue (alarmed), and the reconciler reaches the same payment anyway.
A `card_payment_refunded` hint brings the payment's open refunds up to date from Pay (payments.refunds).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.service import payments, refunds
from payments.settings import following_settings
from shared.observability import logger, observed

REFUNDED = "card_payment_refunded"  # a refund of the payment reached success at Pay


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    following_settings()
    failures = []
    for record in event.get("Records", []):
        try:
            hint = json.loads(record["body"])
            logger.set_correlation_id(str(hint.get("webhook_message_id", "webhook"))[:128])
            if hint.get("event_type") == REFUNDED:
                polled = refunds().on_refunded(str(hint["payment_id"]))
                logger.info("Webhook applied", extra={"event_type": REFUNDED, "refunds": [r.status for r in polled]})
                continue
            applied = payments().on_hint(str(hint["payment_id"]), correlation_id=logger.get_correlation_id() or "")
            logger.info(
                "Webhook applied",
                extra={"event_type": hint.get("event_type"), "status": applied.status if applied else "not ours"},
            )
        except (ValueError, KeyError, TypeError):
            logger.exception("Webhook hint unreadable: dropped")
        except Exception:
            logger.exception("Webhook hint not applied: handed back")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
