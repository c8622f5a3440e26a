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
- the application then moves `pending-payment -> issued` (a conditional write) with the permit id and payment id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from permits.application import ISSUED, PAID_NOT_ISSUED, PENDING_PAYMENT, SERVICE_ID, Application
from permits.eligibility import HouseholdLimitReached, VrmAlreadyPermitted
from permits.store import PermitExists, PermitsStore
from shared.events import EventEnvelope, EventType
from shared.observability import logger

_PERMIT_NAMESPACE = uuid.UUID("3d2b7a64-5c1e-4f08-9b6a-8e0f2c4d9a17")


def permit_id_for(reference: str) -> str:
    """The one permit an application can issue: the same id however many times it is paid for or delivered."""
    return uuid.uuid5(_PERMIT_NAMESPACE, reference).hex


@dataclass(frozen=True)
class Issued:
    outcome: str  # issued, already-issued, not-ours, unknown, paid-not-issued, or the application's other status
    permit_id: str = ""


def issue_paid(store: PermitsStore, event: EventEnvelope, *, now: datetime | None = None) -> Issued:
    if event.type is not EventType.ORDER_PAID or event.data.get("service_id") != SERVICE_ID:
        return Issued("not-ours")
    reference = str(event.data["reference"])
    item = store.get_application(reference)
    if item is None:
        logger.warning("A permit order was paid with no application", extra={"reference": reference})
        return Issued("unknown")
    application = Application.from_item(item)
    if application.status == ISSUED:
        return Issued("already-issued", application.permit_id)
    if application.status != PENDING_PAYMENT:
        return Issued(application.status)
    at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    paid = {"payment_id": str(event.data.get("payment_id", "")), "paid_at": at}
    if str(event.data.get("amount_pence")) != str(application.pence):
        logger.error("A permit order was paid with another amount", extra={"reference": reference})
        store.move_application(reference, expected=PENDING_PAYMENT, status=PAID_NOT_ISSUED, reason="amount", **paid)
        return Issued(PAID_NOT_ISSUED)
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
        )
    except PermitExists:
        pass  # written by a delivery that stopped before marking the application: marked now
    except (VrmAlreadyPermitted, HouseholdLimitReached) as error:
        logger.warning(
            "A paid permit could not be issued", extra={"reference": reference, "refusal": type(error).__name__}
        )
        store.move_application(
            reference, expected=PENDING_PAYMENT, status=PAID_NOT_ISSUED, reason=type(error).__name__, **paid
        )
        return Issued(PAID_NOT_ISSUED)
    store.move_application(
        reference, expected=PENDING_PAYMENT, status=ISSUED, permit_id=permit_id, issued_at=at, **paid
    )
    return Issued(ISSUED, permit_id)
