"""The PermitsStaff function, invoked directly by the staff console only (an exact invoke grant; never routed).

`{"action": "search", "by": "vrm" | "reference" | "uprn", "value"}` -> 200 `{"results": [...]}`;
`{"action": "get", "key"}` (an application's reference or a permit's id) -> 200 `{"record": {...}}` or 404;
`{"action": "verify", "reference", "outcome": "confirmed" | "corrected", "note", "vehicle"?, "staff"}` and
`{"action": "revoke", "key", "reason", "refund"?: "none" | "unused-months", "staff"}` (`staff`: `{"subject",
"roles"}`; the refund asked of payments' OrderRefunds, `ORDER_REFUNDS_FUNCTION`) -> 200 `{"record": {...}}`, or
400 (`field` names the form field, `detail` says what to put right), 503 (a correction's charge not taken by
payments: nothing written), 403 (the staff named hold no role with
`manage-permits`: `MANAGE_ROLES`, from the console's roles.yaml at synth), 404, 409.
`{"action": "check-evidence", "reference", "outcome": "verified" | "rejected", "note", "staff"}` (`manage-permits`:
the uploaded documents, permits.evidence) -> 200 `{"record"}`, 400, 403, 404 or 409 (nothing waiting to be checked).
`{"action": "adjust-visitor-balance", "uprn", "zone", "change", "reason", "staff"}` (`manage-permits`; `change` in
whole hours or days) -> 200 `{"balance": {...}}`, 400, 403 or 422 (`permits.wallet_staff`). The console checks the
permission and audits before it asks. `{"action": "visitor-wallet", "uprn", "zone"}` -> 200 `{"balance",
"sessions", "adjustments"}`, 400 or 422 (a read for `view-permits`, checked by the console). Thin: the work is in
`permits.staff`. Notes and reasons are never logged.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from permits.orders import registering
from permits.refund_client import invoking
from permits.settings import staff_settings
from permits.staff import StaffPermits, StaffRefused, staff_ref
from permits.wallet_staff import adjust_visitor_balance, visitor_wallet
from permits.zones import load_zones
from shared import aws
from shared.observability import logger, observed


@cache
def staff_permits() -> StaffPermits:
    configured = staff_settings()
    return StaffPermits(
        table=aws.table(configured.permits_table),
        zones=load_zones(),
        register_order=registering(configured.payments_function),
        refund=invoking(configured.order_refunds_function),
    )


def answer(permits: StaffPermits, event: dict[str, Any], *, manage_roles: frozenset[str]) -> dict[str, Any]:
    """One action's answer (the handler's, without its settings: the unit tests call it). Verifying and revoking
    need a member of staff holding one of `manage_roles` (the console checks it first; this is the second check)."""
    action = event.get("action")
    try:
        if action == "search":
            return {
                "status": 200,
                "body": {"results": permits.search(str(event.get("by", "")), str(event.get("value", "")))},
            }
        if action == "get":
            found = permits.record(str(event.get("key", ""))[:64])
            if found is None:
                return {"status": 404, "body": {"detail": "There is no permit or application with this reference."}}
            return {"status": 200, "body": {"record": found}}
        if action == "verify":
            record = permits.verify(
                str(event.get("reference", "")),
                staff=staff_ref(event.get("staff"), may=manage_roles),
                outcome=str(event.get("outcome", "")),
                note=event.get("note"),
                vehicle=event.get("vehicle"),
                correlation_id=str(event.get("correlation_id") or ""),
            )
            logger.info(
                "Permit details verified", extra={"reference": record["reference"], "outcome": event.get("outcome")}
            )
            return {"status": 200, "body": {"record": record}}
        if action == "check-evidence":
            record = permits.check_evidence(
                str(event.get("reference", "")),
                staff=staff_ref(event.get("staff"), may=manage_roles),
                outcome=str(event.get("outcome", "")),
                note=event.get("note"),
                correlation_id=str(event.get("correlation_id") or ""),
            )
            logger.info(
                "Permit evidence checked", extra={"reference": record["reference"], "outcome": event.get("outcome")}
            )
            return {"status": 200, "body": {"record": record}}
        if action == "revoke":
            record = permits.revoke(
                str(event.get("key", ""))[:64],
                staff=staff_ref(event.get("staff"), may=manage_roles),
                reason=event.get("reason"),
                refund=event.get("refund", "none"),
                correlation_id=str(event.get("correlation_id") or ""),
            )
            logger.info(
                "Permit revoked", extra={"permit_id": record["permit_id"], "refund_pence": record["refund_pence"]}
            )
            return {"status": 200, "body": {"record": record}}
        if action == "visitor-wallet":
            return visitor_wallet(permits, event)
        if action == "adjust-visitor-balance":
            return adjust_visitor_balance(permits, event, manage_roles=manage_roles)
    except StaffRefused as refused:
        return {"status": refused.status, "body": {"detail": str(refused), "field": refused.field}}
    return {"status": 400, "body": {"detail": "Unknown action.", "field": ""}}


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configured = staff_settings()  # a missing or malformed variable fails the first invocation with its name
    logger.set_correlation_id(str(event.get("correlation_id") or "unknown")[:128])
    return answer(staff_permits(), event, manage_roles=configured.manage_role_names)
