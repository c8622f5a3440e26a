"""The MOTO function (payments by phone), invoked directly by the staff console only (an exact invoke grant).

`{"action": "take", "reference": ..., "card": {"card_number", "expiry_date", "cvc", "cardholder_name"},
"correlation_id": ...}`: create a `moto_api` payment for the stored request's amount and authorise it with the card;
`{"action": "status", "reference": ...}`: the latest attempt as Pay has it now. Answers `{"status": <HTTP-like>,
"body": {"outcome": paid | declined | error | in-progress | not-payable, ...}}`, or a 4xx with `detail` (and
`errors` for card fields). Thin: the work is in `payments.moto`. The card details are never logged, traced or
stored: the event is not logged (Powertools logs no event unless asked), traces capture no response or error, and
this module logs only the reference and the outcome.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from payments.moto import Moto, card_from
from payments.service import payments
from payments.settings import settings
from shared.errors import BoroughError
from shared.observability import logger, observed

_REFERENCE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")


@cache
def moto() -> Moto:
    return Moto(payments())


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings()  # a missing or malformed variable fails the first invocation with its name
    correlation_id = str(event.get("correlation_id") or "unknown")[:128]
    logger.set_correlation_id(correlation_id)
    action, reference = event.get("action"), str(event.get("reference", ""))
    if not _REFERENCE.match(reference) or action not in ("take", "status"):
        return {"status": 400, "body": {"detail": "Unknown action or malformed reference."}}
    try:
        if action == "take":
            card = event.get("card")
            result = moto().take(
                reference, card_from(card if isinstance(card, dict) else {}), correlation_id=correlation_id
            )
        else:
            result = moto().status(reference, correlation_id=correlation_id)
    except BoroughError as error:
        return {"status": error.status, "body": {"detail": error.detail, "errors": error.errors}}
    logger.info("MOTO payment", extra={"reference": reference, "action": action, "outcome": result.outcome})
    return {"status": 200, "body": result.public()}
