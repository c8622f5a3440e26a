"""The reconciler (every 5 minutes): every open attempt is brought to a final state and followed up.

Webhooks are hints that may never come (Pay gives up after two days; a resident who closes the tab sends none until
expiry). Each run reads from Pay every attempt still open (unfinished at Pay, `creating` with no answer recorded,
or finished and not yet followed up, which is how a crash between "paid" and "request resumed" is completed).
An attempt queued because Pay rate-limited its create is left to the create queue's worker, and given up only
once it has been queued too long (payments.creator).
Then every request still unpaid past its service's time to pay is cancelled, and the resident told
(payments.unpaid).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from payments import creator
from payments.logic import CREATE_IN_FLIGHT, Payments
from payments.service import payments
from payments.settings import settings
from payments.store import QUEUED, Attempt
from payments.unpaid import cancel_unpaid
from shared.observability import logger, observed

# An attempt is begun only with this much of the invocation left: two Pay calls at their worst (6 s each) and the
# table's writes.
SECONDS_PER_ATTEMPT = 15.0


def reconcile(
    service: Payments,
    *,
    now: datetime | None = None,
    correlation_id: str = "reconciler",
    seconds_left: Callable[[], float] = lambda: float("inf"),
    give_up_stale: Callable[[Attempt], bool] | None = None,
) -> dict[str, int]:
    """One pass: counts of attempts looked at, followed up to the end (closed), failed to reach, and unpaid
    requests cancelled. It stops while time is left; the next run carries on from the oldest."""
    now = now or datetime.now(UTC)
    before = (now - CREATE_IN_FLIGHT - timedelta(seconds=1)).isoformat(timespec="seconds")
    counts = {"looked_at": 0, "closed": 0, "failed": 0, "cancelled": 0}
    for attempt in service.store.open_attempts(created_before=before):
        if seconds_left() < SECONDS_PER_ATTEMPT:
            break
        counts["looked_at"] += 1
        if attempt.status == QUEUED:  # the create queue's; given up only once the queue has (payments.creator)
            counts["closed"] += bool(give_up_stale and give_up_stale(attempt))
            continue
        try:
            latest = service.on_attempt(attempt, correlation_id=correlation_id)
        except Exception:
            logger.exception("Reconciler: attempt not reached", extra={"reference": attempt.reference})
            counts["failed"] += 1
            continue
        if not latest.open:
            counts["closed"] += 1
    for reference in service.store.unpaid_due(before=now.isoformat(timespec="seconds")):
        if seconds_left() < SECONDS_PER_ATTEMPT:
            break
        try:
            outcome = cancel_unpaid(service, reference, correlation_id=correlation_id)
        except Exception:
            logger.exception("Reconciler: unpaid request not cancelled", extra={"reference": reference})
            counts["failed"] += 1
            continue
        counts["cancelled"] += outcome == "cancelled"
    return counts


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    settings()
    counts = reconcile(
        payments(),
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
        give_up_stale=creator.create_queue().give_up_stale,
    )
    logger.info("Reconciled", extra=counts)
    return counts
