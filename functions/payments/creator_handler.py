"""The create queue's worker: each queued create (Pay answered 429) is asked again, paced, until Pay makes it.

One message an invocation (`payments.creator.work`): claimed, asked, backed off with jitter on another 429 while
the invocation has time; still rate-limited at the end, the message is handed back (visible again in a few
seconds) and reported as a batch item failure, so after five receives it is on the alarmed dead-letter queue.
"""

from __future__ import annotations

import random
import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from payments import creator
from payments.service import payments
from payments.settings import settings
from shared.observability import logger, observed

_RNG = random.SystemRandom()


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings()
    failures = []
    for record in event.get("Records", []):
        try:
            create = creator.QueuedCreate.parse(record["body"])
        except (ValueError, KeyError, TypeError):
            logger.exception("Queued create unreadable: dropped")
            continue
        logger.set_correlation_id(f"create-{create.reference}-{create.attempt}")
        done = creator.work(
            payments(),
            creator.create_queue(),
            create,
            seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
            sleep=time.sleep,
            rng=_RNG,
            correlation_id=logger.get_correlation_id() or "",
        )
        if not done:
            creator.create_queue().hand_back(record["receiptHandle"], _RNG)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
