"""What a request asks of staff who come back to take its fee by phone (`GET /staff/assisted/pay/<reference>`): the
card form while it awaits payment, or why there is nothing to take.

An unpaid request has no team (triage sends it to one only once it is paid), so it is in no queue and on no case
page: it is found here by its reference, with one GetItem on the Requests table (the console's own reads of the
cases service's table, read-only, as `console.queue` does; no Scan, no other service's table). Only the fields
this needs are read: no answers, contact or history text. A request with a fee starts `awaiting-payment` with that
one history entry; its first move out of it is either the payment (to `received`, payments/logic.py) or the
cancellation of an unpaid request (to `closed`, payments/unpaid.py), so the second history entry's status says
which (`history[1].status`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared import aws
from shared.catalogue import load_catalogue
from shared.statuses import Status, label

# console.assisted_pages.CHANNELS: the channels of a request staff submitted for a resident (catalogue.logic's
# ASSISTED_CHANNELS); the MOTO function takes payments for those only.
ASSISTED_CHANNELS = frozenset({"phone", "face-to-face", "email", "letter"})
_FIELDS = ("reference", "status", "channel", "amount_due_pence", "service_id", "service_title")


class Due(StrEnum):
    AWAITING = "awaiting-payment"  # the card form
    PAID = "paid"
    CANCELLED = "cancelled"  # not paid within the service's time to pay
    NO_FEE = "no-fee"
    ONLINE = "online"  # awaiting payment, but made on the website: the resident pays there
    NOT_AWAITING = "not-awaiting"  # moved on without a payment recorded (by a change outside the console)
    NOT_FOUND = "not-found"


@dataclass(frozen=True)
class PaymentDue:
    reference: str
    state: Due
    amount_pence: int = 0
    service_title: str = ""
    status: str = ""  # the request's status in words
    unpaid_hours: int = 0  # the service's time to pay (shown for a cancelled request)


def payment_due(reference: str, item: Mapping[str, Any] | None, *, moved_to: str = "") -> PaymentDue:
    """What the request stored as `item` (the fields `PaymentDueReader` reads; None: no such request) asks for.
    `moved_to` is the status of its second history entry (its first move out of `awaiting-payment`), "" if none."""
    if item is None:
        return PaymentDue(reference, Due.NOT_FOUND)
    amount = int(item.get("amount_due_pence") or 0)
    service_id = str(item.get("service_id", ""))
    definition = load_catalogue().get(service_id)
    title = str(item.get("service_title") or (definition.title if definition else service_id))
    status = str(item.get("status", ""))
    words = label(Status(status)) if status in {s.value for s in Status} else status
    hours = definition.unpaid_cancel_after_hours if definition else 0
    return PaymentDue(reference, _state(item, amount, status, moved_to), amount, title, words, hours)


def _state(item: Mapping[str, Any], amount: int, status: str, moved_to: str) -> Due:
    if amount <= 0:
        return Due.NO_FEE
    if status == Status.AWAITING_PAYMENT.value:
        return Due.AWAITING if item.get("channel") in ASSISTED_CHANNELS else Due.ONLINE
    if moved_to == Status.RECEIVED.value:
        return Due.PAID
    if moved_to == Status.CLOSED.value and status == Status.CLOSED.value:
        return Due.CANCELLED
    return Due.NOT_AWAITING


class PaymentDueReader:
    """One request's payment fields by its reference: a consistent GetItem (a payment just declined or taken is
    seen as it is now), projected to what `payment_due` needs."""

    def __init__(self, table_name: str) -> None:
        self._table = aws.table(table_name)

    def find(self, reference: str) -> PaymentDue:
        names = {f"#{i}": name for i, name in enumerate(_FIELDS)}
        projected = [*names, f"history[1].#{_FIELDS.index('status')}"]  # `history` is no reserved word
        item = self._table.get_item(
            Key={"reference": reference},
            ConsistentRead=True,
            ProjectionExpression=", ".join(projected),
            ExpressionAttributeNames=names,
        ).get("Item")
        if not item:
            return payment_due(reference, None)
        # DynamoDB answers a list element's projection as a list of the elements found: [entry 1] or nothing.
        second = next(iter(item.pop("history", None) or [{}]))
        return payment_due(reference, item, moved_to=str(second.get("status", "")))
