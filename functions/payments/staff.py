"""The staff payments function, invoked directly by the console (its only caller: an exact invoke grant).

`{"action": "summary", "reference": ...}`: the request's payment and refunds (the console's payments panel);
`{"action": "refund", "reference": ..., "amount_pence": ..., "reason": ..., "number": ..., "form_key": ...,
"staff": {"subject": ..., "roles": [...]}}`: refund part or all of it. Answers `{"status": <HTTP-like status>,
"body": {...}}`; a refused refund's body has `problem` (not-paid, fully-refunded, over-available, not-refundable,
changed, checking); `{"action": "export", "from": "YYYY-MM-DD", "to": ..., "staff": {...}}`: the finance CSV
(`payments.finance`). Thin: the work is in `payments.refunds` and `payments.finance`. The reason is never logged.
"""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from payments import finance
from payments.refunds import RefundRefused, StaffRef, public_refund
from payments.service import refunds
from payments.settings import refunds_settings
from shared.errors import BoroughError
from shared.observability import logger, observed

_REFERENCE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    refunds_settings()  # a missing or malformed variable fails the first invocation with its name
    logger.set_correlation_id(str(event.get("correlation_id") or "unknown")[:128])
    action, reference = event.get("action"), str(event.get("reference", ""))
    if action == "export":  # the finance export of a date range (payments.finance)
        return finance.handle_export(event)
    if not _REFERENCE.match(reference):
        return {"status": 400, "body": {"detail": "Malformed reference."}}
    try:
        if action == "summary":
            return {"status": 200, "body": refunds().summary(reference).public()}
        if action == "refund":
            return _refund(reference, event)
    except RefundRefused as refused:
        logger.info("Refund refused", extra={"reference": reference, "problem": refused.problem})
        return {"status": refused.status, "body": {"detail": refused.detail, "problem": refused.problem}}
    except BoroughError as error:
        return {"status": error.status, "body": {"detail": error.detail}}
    return {"status": 400, "body": {"detail": "Unknown action."}}


def _refund(reference: str, event: dict[str, Any]) -> dict[str, Any]:
    staff = event.get("staff") or {}
    amount, number = event.get("amount_pence"), event.get("number")
    form_key = str(event.get("form_key", ""))
    if not isinstance(amount, int) or not isinstance(number, int) or not _FORM_KEY.match(form_key):
        return {"status": 400, "body": {"detail": "Malformed refund."}}
    made = refunds().refund(
        reference,
        amount=amount,
        reason=str(event.get("reason", "")),
        staff=StaffRef(str(staff.get("subject", "")), frozenset(str(r) for r in staff.get("roles") or [])),
        number=number,
        form_key=form_key,
    )
    logger.info("Refund asked", extra={"reference": reference, "number": made.number, "status": made.status})
    return {"status": 200, "body": public_refund(made)}
