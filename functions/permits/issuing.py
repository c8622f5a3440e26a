"""Issuing a permit on payment: payments' `order-paid` for a permit application issues its permit, once.

`issue_paid(store, event)`:

- an event for another service, or a reference with no application, issues nothing (logged: no application means
  an order was paid that this service did not register);
- an application already issued issues nothing more (a repeated or out-of-order delivery);
- a paid amount that is not the application's price is not issued (`paid-not-issued`, for staff: the order can
  only have come from elsewhere);
- the permit's id is derived from the application's reference, and `PermitsStore.issue` writes it under
  `attribute_not_exists`, with the VRM guard and the household counter, in one transaction: a crash after the
  permit was written and before the application was marked is finished by the redelivery (the permit exists, so it
  is only marked). Refused at issue (another application for the mark or the household was issued meanwhile), the
  application is `paid-not-issued`, for staff to refund;
- what was paid but not issued is refunded in full through payments (`refund-order`, permits.refund_client), once:
  the application keeps `refund_status` (owed, then Pay's state, or not-made with `refund_problem`, for staff);
- the application then moves `pending-payment -> issued` (a conditional write) with the permit id and payment id,
  and, in that same UpdateItem, the `outbox` envelope of `permit-issued` (shared/outbox.py): the Permits table's
  stream publishes it, so the event goes out exactly when the move happens. Its id is derived from the reference
  (`shared.events.derived_id`), so the one permit an application can issue is announced under one id.
- a renewal (`renews_permit_id`) paid after the permit it renews had its vehicle changed is not issued
  (`paid-not-issued`, reason `RenewedVehicleChanged`) and refunded in full: it is for a car the permit no longer
  has (permits.handover);
- an application whose uploaded evidence staff have not verified (permits.evidence) is held: `paid-awaiting-evidence`
  with the payment kept and no permit; `permit-evidence-checked` then issues it (verified) or refunds it in full
  (rejected: `paid-not-issued`, reason `evidence-rejected`), as does a payment after the evidence was rejected;
- a free application (priced at £0: no order is registered, payments takes none of £0) is issued at once by
  `issue_free`, through the same checks and transaction with nothing paid (`payment_id` empty, nothing refunded);
- an application cancelled unpaid after 30 days (permits.schedule_job) issues nothing: a payment that lands after
  that (or races the cancellation: the permit's transaction checks the application is still unpaid) moves it
  `cancelled -> paid-not-issued`, reason `cancelled`, for staff to refund.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from permits import evidence
from permits.application import CANCELLED, ISSUED, PAID_NOT_ISSUED, PENDING_PAYMENT, SERVICE_ID, Application
from permits.eligibility import HouseholdLimitReached, VrmAlreadyPermitted
from permits.handover import vehicle_changed_since
from permits.refund_client import RefundAsk, Refunder, RefundNotMade
from permits.schedule import london_day, permit_first_due
from permits.store import ApplicationNotPending, PermitExists, PermitsStore
from shared import outbox
from shared.events import EventEnvelope, EventType, derived_id, new_event
from shared.observability import logger

AWAITING_EVIDENCE = "paid-awaiting-evidence"  # paid; its uploaded evidence not verified yet (permits.evidence)
NOT_FREE = "not-free"  # issue_free's answer for an application with a price: issued only on its payment
NOTHING_OWED = "none"  # the refund_status of a free application refused at issue: nothing was paid
_PERMIT_NAMESPACE = uuid.UUID("3d2b7a64-5c1e-4f08-9b6a-8e0f2c4d9a17")


def permit_id_for(reference: str) -> str:
    """The one permit an application can issue: the same id however many times it is paid for or delivered."""
    return uuid.uuid5(_PERMIT_NAMESPACE, reference).hex


def issued_event(application: Application, permit_id: str, *, correlation_id: str) -> EventEnvelope:
    """`permit-issued`: ids and dates only (the email stays in the application: notifications asks for it)."""
    return new_event(
        EventType.PERMIT_ISSUED,
        id_=derived_id(f"{application.reference}:permit-issued"),
        source="permits",
        correlation_id=correlation_id,
        data={
            "reference": application.reference,
            "permit_id": permit_id,
            "zone": application.zone,
            "kind": str(application.kind),
            "valid_from": application.valid_from.isoformat(),
            "valid_to": application.valid_to.isoformat(),
        },
    )


@dataclass(frozen=True)
class Issued:
    outcome: str  # issued, already-issued, not-ours, unknown, paid-not-issued, or the application's other status
    permit_id: str = ""


def issue_paid(
    store: PermitsStore, event: EventEnvelope, *, now: datetime | None = None, refund: Refunder | None = None
) -> Issued:
    """`refund`: payments' `refund-order`, for what was paid but not issued (refunded in full, once)."""
    if event.type is not EventType.ORDER_PAID or event.data.get("service_id") != SERVICE_ID:
        return Issued("not-ours")
    reference = str(event.data["reference"])
    paid_pence = int(str(event.data.get("amount_pence", "0")) or 0)
    payment_id = str(event.data.get("payment_id", ""))
    return _issue_application(store, reference, paid_pence, payment_id, now, refund, event.correlation_id)


def issue_free(
    store: PermitsStore, reference: str, *, now: datetime | None = None, correlation_id: str = "permit-free"
) -> Issued:
    """An application priced at £0 issued with no payment (no order was registered: payments takes none of £0), by
    the same checks and transaction as a paid one. `not-free` for an application with a price (it is issued only on
    its payment); refused at issue it is `paid-not-issued` with nothing to refund (`refund_status` none)."""
    item = store.get_application(reference)
    if item is not None and item.get("status") != ISSUED and int(item.get("amount_pence", -1)) != 0:
        logger.error("A priced permit application was asked to issue without payment", extra={"reference": reference})
        return Issued(NOT_FREE)
    return _issue_application(store, reference, 0, "", now, None, correlation_id)


def _issue_application(
    store: PermitsStore,
    reference: str,
    paid_pence: int,
    payment_id: str,
    now: datetime | None,
    refund: Refunder | None,
    correlation_id: str,
) -> Issued:
    item = store.get_application(reference)
    if item is None:
        logger.warning("A permit order was paid with no application", extra={"reference": reference})
        return Issued("unknown")
    application = Application.from_item(item)
    if application.status == ISSUED:
        return Issued("already-issued", application.permit_id)
    if application.status == PAID_NOT_ISSUED and item.get("refund_status") in (None, "owed", "not-made"):
        _refund_in_full(store, refund, reference, int(item.get("refund_pence", paid_pence)))
        return Issued(PAID_NOT_ISSUED)  # a redelivery: the refund the first delivery could not make, asked again
    moment = now or datetime.now(UTC)
    at = moment.isoformat(timespec="seconds")
    paid = {"payment_id": payment_id, "paid_at": at}
    owed = {"refund_pence": paid_pence, "refund_status": "owed" if paid_pence else NOTHING_OWED}
    renews = str(item.get("renews_permit_id") or "")
    refused = _not_to_issue(store, refund, application, paid_pence, {**paid, **owed}, renews=renews)
    if refused is not None:
        return refused
    held = _held_for_evidence(store, refund, item, paid, owed, paid_pence)
    if held is not None:
        if held.outcome:
            return held
        return _issue_application(store, reference, paid_pence, payment_id, now, refund, correlation_id)
    return _issue(store, refund, application, item, {**paid, **owed}, paid_pence, moment, correlation_id)


def _held_for_evidence(
    store: PermitsStore,
    refund: Refunder | None,
    item: dict[str, Any],
    paid: dict[str, Any],
    owed: dict[str, Any],
    paid_pence: int,
) -> Issued | None:
    """A paid application whose uploaded evidence staff have not verified is held (`paid-awaiting-evidence`, the
    payment kept, no permit); one whose evidence was rejected is not issued and refunded. None: issue it. An
    `Issued("")` means the evidence was checked while this ran: the caller reads the application again."""
    reference, status = str(item["reference"]), str(item.get("evidence_status") or "")
    if status == evidence.AWAITING:
        if store.move_application(
            reference, expected=PENDING_PAYMENT, status=AWAITING_EVIDENCE, evidence=evidence.AWAITING,
            paid_pence=paid_pence, **paid,
        ):  # fmt: skip
            logger.info("A paid permit application waits for its evidence", extra={"reference": reference})
            return Issued(AWAITING_EVIDENCE)
        return Issued("")
    if status == evidence.REJECTED:
        return _evidence_rejected(store, refund, reference, PENDING_PAYMENT, {**paid, **owed}, paid_pence)
    return None


def _evidence_rejected(
    store: PermitsStore, refund: Refunder | None, reference: str, expected: str, paid: dict[str, Any], pence: int
) -> Issued:
    logger.info("A paid permit application's evidence was rejected: not issued", extra={"reference": reference})
    if store.move_application(reference, expected=expected, status=PAID_NOT_ISSUED, reason="evidence-rejected", **paid):
        _refund_in_full(store, refund, reference, pence)
        return Issued(PAID_NOT_ISSUED)
    found = store.get_application(reference)
    return Issued(str(found["status"]) if found else "unknown")


def evidence_checked(
    store: PermitsStore, event: EventEnvelope, *, now: datetime | None = None, refund: Refunder | None = None
) -> Issued:
    """`permit-evidence-checked`: a paid application held for its evidence is issued (verified) or refunded in full
    (rejected). One not paid yet is left: its payment decides (it reads the evidence's status then)."""
    if event.type is not EventType.PERMIT_EVIDENCE_CHECKED:
        return Issued("not-ours")
    reference = str(event.data.get("reference", ""))
    item = store.get_application(reference)
    if item is None:
        return Issued("unknown")
    if item.get("status") != AWAITING_EVIDENCE:
        return Issued(str(item.get("status")))
    pence = int(item.get("paid_pence", 0))
    paid = {"payment_id": str(item.get("payment_id", "")), "paid_at": str(item.get("paid_at", ""))}
    owed = {"refund_pence": pence, "refund_status": "owed"}
    if item.get("evidence_status") == evidence.REJECTED:
        return _evidence_rejected(store, refund, reference, AWAITING_EVIDENCE, owed, pence)
    if item.get("evidence_status") != evidence.VERIFIED:
        return Issued(AWAITING_EVIDENCE)
    moment = now or datetime.now(UTC)
    return _issue(
        store, refund, Application.from_item(item), item, {**paid, **owed}, pence, moment, event.correlation_id,
        expected=AWAITING_EVIDENCE,
    )  # fmt: skip


def _issue(
    store: PermitsStore,
    refund: Refunder | None,
    application: Application,
    item: dict[str, Any],
    paid_owed: dict[str, Any],
    paid_pence: int,
    moment: datetime,
    correlation_id: str,
    *,
    expected: str = PENDING_PAYMENT,
) -> Issued:
    """The permit written (guard and counter in one transaction) and the application moved `expected -> issued`."""
    reference = application.reference
    paid = {k: paid_owed[k] for k in ("payment_id", "paid_at")}
    owed = {k: paid_owed[k] for k in ("refund_pence", "refund_status")}
    permit_id = permit_id_for(reference)
    try:
        store.issue(
            vrm=application.vrm,
            zone=application.zone,
            kind=application.kind,
            valid_from=application.valid_from,
            valid_to=application.valid_to,
            household=application.uprn,
            household_limit=int(item["household_limit"]),
            counts_towards_limit=bool(item["counts_towards_limit"]),
            permit_id=permit_id,
            reference=reference,
            due_on=permit_first_due(application.valid_to, london_day(moment)),
            renews=str(item.get("renews_permit_id") or "") or None,  # takes over its guard and place (permits.renewing)
            application_status=expected,
        )
    except ApplicationNotPending:
        return _paid_after_cancelling(store, refund, reference, {**paid, **owed}, paid_pence)  # cancelled meanwhile
    except PermitExists:
        pass  # written by a delivery that stopped before marking the application: marked now
    except (VrmAlreadyPermitted, HouseholdLimitReached) as error:
        logger.warning(
            "A paid permit could not be issued", extra={"reference": reference, "refusal": type(error).__name__}
        )
        store.move_application(
            reference, expected=expected, status=PAID_NOT_ISSUED, reason=type(error).__name__, **paid, **owed
        )
        _refund_in_full(store, refund, reference, paid_pence)
        return Issued(PAID_NOT_ISSUED)
    announced = issued_event(application, permit_id, correlation_id=correlation_id)
    store.move_application(
        reference,
        expected=expected,
        status=ISSUED,
        permit_id=permit_id,
        issued_at=moment.isoformat(timespec="seconds"),
        **paid,
        **{outbox.ATTRIBUTE: outbox.stored(announced)},
    )
    return Issued(ISSUED, permit_id)


def _not_to_issue(
    store: PermitsStore,
    refund: Refunder | None,
    application: Application,
    paid_pence: int,
    paid: dict[str, Any],
    *,
    renews: str = "",
) -> Issued | None:
    """Why a paid application issues no permit (cancelled unpaid, no longer pending, another amount, a renewal of a
    permit whose vehicle was changed since: permits.handover), or None."""
    reference = application.reference
    if application.status == CANCELLED:
        return _paid_after_cancelling(store, refund, reference, paid, paid_pence)
    if application.status != PENDING_PAYMENT:
        return Issued(application.status)
    if paid_pence != application.pence:
        logger.error("A permit order was paid with another amount", extra={"reference": reference})
        store.move_application(reference, expected=PENDING_PAYMENT, status=PAID_NOT_ISSUED, reason="amount", **paid)
        _refund_in_full(store, refund, reference, paid_pence)
        return Issued(PAID_NOT_ISSUED)
    if renews and vehicle_changed_since(store.get(renews), application.vrm):
        logger.warning("A renewal was paid for a vehicle its permit no longer has", extra={"reference": reference})
        store.move_application(
            reference, expected=PENDING_PAYMENT, status=PAID_NOT_ISSUED, reason="RenewedVehicleChanged", **paid
        )
        _refund_in_full(store, refund, reference, paid_pence)
        return Issued(PAID_NOT_ISSUED)
    return None


def _paid_after_cancelling(
    store: PermitsStore, refund: Refunder | None, reference: str, paid: dict[str, Any], pence: int
) -> Issued:
    """Paid after the application was cancelled unpaid: no permit, `paid-not-issued`, refunded in full."""
    logger.warning("A cancelled permit application was paid: not issued", extra={"reference": reference})
    if store.move_application(reference, expected=CANCELLED, status=PAID_NOT_ISSUED, reason="cancelled", **paid):
        _refund_in_full(store, refund, reference, pence)
        return Issued(PAID_NOT_ISSUED)
    item = store.get_application(reference)  # moved meanwhile (a redelivery marked it already)
    return Issued(str(item["status"]) if item else "unknown")


def _refund_in_full(store: PermitsStore, refund: Refunder | None, reference: str, pence: int) -> None:
    """What was paid for an application not issued, refunded through payments (key `not-issued:<reference>`: once,
    however often it is asked); the outcome kept on the application. Payments unreachable raises, so the queue
    delivers the event again; a refusal (e.g. not yet captured) is kept as `not-made` and logged for staff."""
    if refund is None or pence <= 0:
        return
    ask = RefundAsk(reference, pence, "Parking permit paid for but not issued", f"not-issued:{reference}")
    try:
        status = refund(ask) or "submitted"
    except RefundNotMade as error:
        if error.problem == "unavailable":
            raise
        logger.error("A paid-not-issued refund was not made", extra={"reference": reference, "problem": error.problem})
        store.move_application(
            reference, expected=PAID_NOT_ISSUED, status=PAID_NOT_ISSUED, refund_status="not-made",
            refund_problem=error.problem,
        )  # fmt: skip
        return
    store.move_application(reference, expected=PAID_NOT_ISSUED, status=PAID_NOT_ISSUED, refund_status=status)
