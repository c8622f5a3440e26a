"""The PermitJourney function: the permit journey state machine's Lambda tasks (workflows/permit_journey.asl.json).

`{"step": "await-payment", "reference", "token"}` keeps the task token on the unpaid application (the execution
then waits for the order-paid consumer's SendTaskSuccess); `{"step": "issue", "payment"}` issues the permit from the
paid order's event; `{"step": "schedule", "reference"}` the permit's reminders and expiry for the daily job;
`{"step": "cancel", "reference"}` the application left unpaid for 30 days. Thin: the work is in `permits.journey`.
Invoked only by the state machine (its role is the one granted invoke). Nothing from the event is logged but the
step and the reference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from permits import journey
from permits.refund_client import invoking
from permits.schedule import london_day
from permits.settings import journey_settings
from shared import aws
from shared.observability import logger, observed
from shared.references import normalise_reference


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configured = journey_settings()
    table = aws.table(configured.permits_table)
    step = str(event.get("step") or "")
    today = london_day(datetime.now(UTC))
    if step == "issue":
        payment = event.get("payment")
        if not isinstance(payment, dict):
            raise ValueError("issue: no payment (the order-paid event the consumer sent).")
        logger.set_correlation_id(str(payment.get("correlation_id") or "unknown")[:128])
        answer: dict[str, Any] = journey.issue(table, payment, refund=invoking(configured.order_refunds_function))
        logger.info("Permit journey step", extra={"step": step, "outcome": answer["outcome"]})
        return answer
    reference = normalise_reference(str(event.get("reference") or ""))
    if not reference:
        raise ValueError(f"{step or 'step'}: no valid reference.")
    if step == "await-payment":
        answer = journey.keep_token(table, reference, str(event.get("token") or ""))
    elif step == "schedule":
        answer = journey.schedule(table, reference, today)
    elif step == "cancel":
        answer = journey.cancel(table, reference, today)
    else:
        raise ValueError(f"Unknown step {step[:40]!r}.")
    logger.info("Permit journey step", extra={"step": step, "reference": reference})
    return answer
