"""The reconciler (every 5 minutes): every open attempt is brought to a final state and followed up.

Webhooks are hints that may never come (Pay gives up after two days; a resident who closes the tab sends none until
expiry). Each run reads from Pay every attempt still open (unfinished at Pay, `creating` with no answer recorded,
or finished and not yet followed up, which is how a crash between "paid" and "request resumed" is completed).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.logic import CREATE_IN_FLIGHT, Payments
from payments.service import payments
from payments.settings import settings
from shared.observability import logger, observed


def reconcile(service: Payments, *, now: datetime | None = None, correlation_id: str = "reconciler") -> dict[str, int]:
    """One pass: counts of attempts looked at, finished now, and failed to reach."""
    now = now or datetime.now(UTC)
    before = (now - CREATE_IN_FLIGHT - timedelta(seconds=1)).isoformat(timespec="seconds")
    counts = {"looked_at": 0, "closed": 0, "failed": 0}
    for attempt in service.store.open_attempts(created_before=before):
        counts["looked_at"] += 1
        try:
            latest = service.on_attempt(attempt, correlation_id=correlation_id)
        except Exception:
            logger.exception("Reconciler: attempt not reached", extra={"reference": attempt.reference})
            counts["failed"] += 1
            continue
        if not latest.open:
            counts["closed"] += 1
    return counts


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    settings()
    counts = reconcile(payments())
    logger.info("Reconciled", extra=counts)
    return counts
