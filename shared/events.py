"""Event contracts: the versioned envelope on the one SNS topic, and the event types.

`type` is also sent as the SNS message attribute `type` so each consumer's subscription filters on it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    REPORT_SUBMITTED = "report-submitted"
    REQUEST_ACKNOWLEDGED = "request-acknowledged"
    STATUS_CHANGED = "status-changed"
    # Save and return (the web): data {draft_id, service_id, expires_at}; the resident's email stays in the draft.
    DRAFT_SAVED = "draft-saved"
    # A saved draft expires soon (7 days, then 1 day): data {draft_id, service_id, expires_at, days_left}.
    DRAFT_EXPIRING = "draft-expiring"
    # Sent by the notifications service straight to its own queue (never on the topic): they carry only ids.
    REMINDER_CONFIRM = "reminder-confirm"
    REMINDER_DUE = "reminder-due"
    # A payment attempt finished (functions/payments): data {reference, service_id, attempt, payment_id, outcome}.
    PAYMENT_SUCCEEDED = "payment-succeeded"
    PAYMENT_FAILED = "payment-failed"
    # An order another service registered with payments (not a request) was paid (docs/decisions/0010): data
    # {reference, service_id, attempt, payment_id, amount_pence}.
    ORDER_PAID = "order-paid"
    # A subscription ends soon (functions/renewals): data {reference, service_id, ends_on}; the contact details stay
    # in the request, read there by reference.
    RENEWAL_DUE = "renewal-due"
    # Parking permits (functions/permits), published from the Permits table's stream (the outbox). They carry ids and
    # dates only: the resident's email stays in the application, which notifications asks the permits service for
    # (the PermitApplications function's `contact` action), as it asks the web for a return link.
    # A paid application became a permit: data {reference, permit_id, zone, kind, valid_from, valid_to}.
    PERMIT_ISSUED = "permit-issued"
    # A permit ends soon (28, then 7 days before its last day): data {reference, permit_id, valid_to, days_left}.
    PERMIT_RENEWAL_DUE = "permit-renewal-due"
    # An application left unpaid is cancelled soon (5 days before, at 30 days): data {reference, cancels_on}.
    PERMIT_APPLICATION_EXPIRING = "permit-application-expiring"
    # An application left unpaid was cancelled (30 days): data {reference}.
    PERMIT_APPLICATION_CANCELLED = "permit-application-cancelled"
    # A permit's vehicle changed: data {reference, permit_id, amount_pence (charged > 0, refunded < 0)}.
    PERMIT_VEHICLE_CHANGED = "permit-vehicle-changed"
    # A permit was cancelled by the resident or revoked by staff: data {reference, permit_id, ended_on, refund_pence}.
    PERMIT_ENDED = "permit-ended"
    # Staff corrected a permit's declared vehicle details and repriced it: data {reference, permit_id,
    # change_reference, amount_pence (to pay > 0, refunded < 0, 0 nothing)}.
    PERMIT_REPRICED = "permit-repriced"
    # Staff verified or rejected an application's uploaded evidence (permits.evidence): data {reference, outcome}.
    # The permits issuer issues (or refunds) a paid application held for it; the reason stays in the application.
    PERMIT_EVIDENCE_CHECKED = "permit-evidence-checked"


# Which consumer queue receives which event types: the events stack builds subscriptions from this.
CONSUMERS: dict[str, tuple[EventType, ...]] = {
    # A fee request is triaged once paid (payment-succeeded); until then triage leaves it (docs/decisions/0005).
    "triage": (EventType.REPORT_SUBMITTED, EventType.PAYMENT_SUCCEEDED),
    "notifications": (
        EventType.REQUEST_ACKNOWLEDGED,
        EventType.STATUS_CHANGED,
        EventType.DRAFT_SAVED,
        EventType.DRAFT_EXPIRING,
        EventType.PAYMENT_SUCCEEDED,  # the resident's receipt (notifications/receipts.py)
        EventType.RENEWAL_DUE,
        # The resident's permit messages (notifications/permit_messages.py): the email from the permits service.
        EventType.PERMIT_ISSUED,
        EventType.PERMIT_RENEWAL_DUE,
        EventType.PERMIT_APPLICATION_EXPIRING,
        EventType.PERMIT_APPLICATION_CANCELLED,
        EventType.PERMIT_VEHICLE_CHANGED,
        EventType.PERMIT_ENDED,
        EventType.PERMIT_REPRICED,
    ),
    # A paid request for a subscription service starts (or renews) a subscription (functions/renewals).
    "renewals": (EventType.PAYMENT_SUCCEEDED,),
    # A paid permit application is issued (functions/permits/issuing.py).
    "permits": (EventType.ORDER_PAID, EventType.PERMIT_EVIDENCE_CHECKED),
    # The digital KPIs' counters (functions/console/kpi_counters.py): the console's KPI page reads only these.
    "kpis": (
        EventType.REPORT_SUBMITTED,
        EventType.REQUEST_ACKNOWLEDGED,
        EventType.STATUS_CHANGED,
        EventType.PAYMENT_SUCCEEDED,
    ),
}


class EventEnvelope(BaseModel):
    """What every message on the events topic looks like."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: EventType
    version: int = Field(default=1, ge=1)
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: str
    correlation_id: str
    data: dict[str, Any]

    def to_message(self) -> str:
        return self.model_dump_json()


# Ids of events about a request are derived from what happened (`<reference>:acknowledged`), so a retried step
# announces the same event and consumers de-duplicate.
EVENT_NAMESPACE = uuid.UUID("6f1c8e36-5d0e-4b7a-9a57-3b1f0c6f2d11")


def derived_id(what: str) -> str:
    """The event id for `what` happened: the same whenever it is announced again."""
    return str(uuid.uuid5(EVENT_NAMESPACE, what))


def new_event(
    type_: EventType, *, source: str, correlation_id: str, data: dict[str, Any], id_: str | None = None
) -> EventEnvelope:
    if id_ is None:
        return EventEnvelope(type=type_, source=source, correlation_id=correlation_id, data=data)
    return EventEnvelope(type=type_, id=id_, source=source, correlation_id=correlation_id, data=data)
