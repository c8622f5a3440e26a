"""`POST /api/v1/payments/{reference}/refunds` ({"amount": <pence>, "reason": "..."}, header `Idempotency-Key`): the
staff refund API, beside the console's refund button (both end in `payments.refunds.Refunds`).

- Who: API Gateway's JWT authorizer admits only a token of the staff user pool (the API stack's `StaffAuthorizer`);
  this function takes the member of staff's `sub` and roles (groups `role:<name>`) from the token's claims, and
  refunds only for a role holding the `refund` permission (`REFUND_ROLES`, from the console's roles.yaml), as the
  console's button does.
- Once: the `Idempotency-Key` (16 to 64 of `A-Z a-z 0-9 _ -`) stands for the console form's key: the same key again
  answers the refund it made (200, `Idempotent-Replayed: true`, Pay not asked), the same key with another amount or
  reason is 422.
- Refusals are problem+json with the console's `problem` word: 409 `not-paid`, `fully-refunded`, `over-available`,
  `not-refundable`, `changed` (after a P0604 re-read once), `checking`; 403 without the permission; 422 for a bad
  amount or reason; 503 when Pay cannot be reached (nothing refunded, or being checked).
- Recorded in the refund's own record (the Refunds table): who (`staff`), when (`requested_at`), why (`reason`) and
  from where (`via: api` and the caller's address). The reason and the address are never logged.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aws_lambda_powertools.event_handler import Response

from payments.refunds import REASON_MAX, Origin, RefundRefused, StaffRef, public_refund
from payments.service import refunds
from payments.settings import staff_api_settings
from shared.api import http_handler, json_response, make_resolver, read_json_object
from shared.errors import PROBLEM_CONTENT_TYPE, BadRequest, ValidationFailed, problem_body
from shared.observability import logger

ROUTE = "/api/v1/payments/<reference>/refunds"
ROLE_GROUP_PREFIX = "role:"  # the console's groups of roles (functions/console/data/roles.yaml)
AMOUNT_MAX = 10_000_000  # pence: Pay's largest amount
_REFERENCE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
app = make_resolver(staff_api_settings)


def staff_of(claims: dict[str, Any]) -> StaffRef:
    """The member of staff in a verified token's claims: `sub` and the roles of their `role:` groups (API Gateway
    passes a list claim as the string `[a b]`)."""
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = groups.strip("[]").replace(",", " ").split()
    roles = frozenset(str(g).removeprefix(ROLE_GROUP_PREFIX) for g in groups if str(g).startswith(ROLE_GROUP_PREFIX))
    return StaffRef(str(claims.get("sub", "")), roles)


def caller_address(event: dict[str, Any]) -> str:
    """The caller's address: the last X-Forwarded-For entry (CloudFront appends the viewer's address to whatever
    the caller sent), else the address API Gateway saw."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    forwarded = [part.strip() for part in str(headers.get("x-forwarded-for", "")).split(",") if part.strip()]
    if forwarded:
        return forwarded[-1][:64]
    return str(((event.get("requestContext") or {}).get("http") or {}).get("sourceIp", ""))[:64]


def parse_refund(body: dict[str, Any]) -> tuple[int, str]:
    amount, reason = body.get("amount"), body.get("reason")
    if not isinstance(amount, int) or isinstance(amount, bool) or not 1 <= amount <= AMOUNT_MAX:
        raise ValidationFailed(
            f"amount is the refund in pence, a whole number from 1 to {AMOUNT_MAX}.",
            errors=[{"field": "amount", "message": "a whole number of pence, more than 0"}],
        )
    if not isinstance(reason, str) or not reason.strip() or len(" ".join(reason.split())) > REASON_MAX:
        raise ValidationFailed(
            f"reason is why the payment is refunded: some words, {REASON_MAX} characters at most.",
            errors=[{"field": "reason", "message": f"1 to {REASON_MAX} characters"}],
        )
    return amount, reason


def _refused(refused: RefundRefused, path: str) -> Response[str]:
    """A refusal in problem+json, with the console's one-word `problem`."""
    body = json.loads(problem_body(refused.status, refused.title, refused.detail, instance=path))
    return Response(
        status_code=refused.status,
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(body | {"problem": refused.problem}),
    )


@app.post(ROUTE)
def refund(reference: str) -> Response[str]:
    event = app.current_event.raw_event
    if not _REFERENCE.match(reference):
        raise BadRequest("That is not a request reference (like AB12-CD34).")
    key = (app.current_event.headers or {}).get("idempotency-key") or ""
    if not _KEY.match(key):
        raise BadRequest("Send an Idempotency-Key header: 16 to 64 letters, digits, hyphens or underscores.")
    context = event.get("requestContext") or {}
    claims: dict[str, Any] = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    amount, reason = parse_refund(read_json_object(app))
    try:
        made, new = refunds().refund_once(
            reference,
            amount=amount,
            reason=reason,
            staff=staff_of(claims),
            key=key,
            origin=Origin(via="api", source_ip=caller_address(event)),
        )
    except RefundRefused as refused:
        logger.info("Refund refused", extra={"reference": reference, "problem": refused.problem, "via": "api"})
        return _refused(refused, app.current_event.path)
    logger.info(
        "Refund asked",
        extra={"reference": reference, "number": made.number, "status": made.status, "via": "api", "new": new},
    )
    headers = {"cache-control": "no-store"} | ({} if new else {"idempotent-replayed": "true"})
    return json_response(201 if new else 200, {"reference": reference, **public_refund(made)}, headers=headers)


handler = http_handler(app, staff_api_settings)
