"""Cancelling a request that is still unpaid when its service's time to pay has passed (`unpaid_cancel_after_hours`
in the service definition), with the resident told.

An attempt still open at Pay is cancelled there first (P0040) and read back: if Pay says it succeeded meanwhile,
the request is paid, not cancelled. Otherwise the request is closed with a resident-facing update and, in the same
write (the transactional outbox), a `status-changed` event (UUIDv5 id of the request and "unpaid-cancelled") from
which the notifications service tells the resident. Each step is safe to repeat: a run that stopped half-way is
finished by the next.
"""

from __future__ import annotations

import contextlib
import uuid

from payments.adapters.errors import PaymentNotCancellable
from payments.logic import SUCCESS, Payments
from shared.case_history import history_entry, update_id
from shared.events import EventEnvelope, EventType
from shared.statuses import Status

_EVENT_NAMESPACE = uuid.UUID("0b7c8f0e-2f5d-4d8e-9a51-6c3e1f4b2d77")


def cancellation_text(hours: int) -> str:
    return f"Cancelled: it was not paid within {hours} hours of sending. No money was taken."


def cancel_unpaid(service: Payments, reference: str, *, correlation_id: str) -> str:
    """What became of the request: `settled` (not awaiting payment), `paid`, `waiting` (Pay could not say yet, the
    next run looks again) or `cancelled`."""
    at = service.now().isoformat(timespec="seconds")
    request = service.requests.get(reference)
    if request is None:
        service.store.settle_order(reference, outcome="gone", at=at)
        return "settled"
    hours = int(service.unpaid_window(str(request["service_id"])).total_seconds() // 3600)
    text = cancellation_text(hours)
    history = list(request.get("history", []))
    if request["status"] != Status.AWAITING_PAYMENT.value:
        service.store.settle_order(reference, outcome=str(request["status"]), at=at)
        return "settled"
    latest = service.store.latest(reference)
    if latest is not None and not latest.finished:
        if latest.payment_id:
            with contextlib.suppress(PaymentNotCancellable):  # it finished meanwhile: reading it says how
                service.provider.cancel_payment(latest.payment_id)
        latest = service.on_attempt(latest, correlation_id=correlation_id)
        if latest.status == SUCCESS:
            return "paid"
        if not latest.finished:
            return "waiting"
    update = update_id(reference, len(history))
    service.requests.set_status(
        reference,
        expected=Status.AWAITING_PAYMENT.value,
        status=Status.CLOSED.value,
        entry=history_entry(Status.CLOSED.value, at, update=text, update_ref=update),
        position=len(history),
        event=_cancelled(request, update, correlation_id),
    )
    service.store.settle_order(reference, outcome="cancelled", at=at)
    return "cancelled"


def _cancelled(request: dict, update: str, correlation_id: str) -> EventEnvelope:
    reference = str(request["reference"])
    return EventEnvelope(
        type=EventType.STATUS_CHANGED,
        id=str(uuid.uuid5(_EVENT_NAMESPACE, f"{reference}:unpaid-cancelled")),
        source="payments",
        correlation_id=correlation_id,
        data={
            "reference": reference,
            "service_id": str(request["service_id"]),
            "status": Status.CLOSED.value,
            "previous_status": Status.AWAITING_PAYMENT.value,
            "update_id": update,
        },
    )
