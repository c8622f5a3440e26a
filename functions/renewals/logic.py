"""Subscriptions: a paid request for a service with a `subscription` starts one; a renewal runs on from the end of
the one it renews. Plain Python over the store, so tests call it directly.

Dates are the UK's (Europe/London): a payment at 00:30 on 1 April in London starts a subscription on 1 April.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from renewals.store import RenewalsStore, Subscription
from shared.calendar import LONDON
from shared.catalogue import ServiceDefinition, load_catalogue
from shared.events import EventEnvelope, EventType
from shared.observability import logger


def uk_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(LONDON).date()


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months; a day past the new month's end is its last day (31 Jan + 1 = 28 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def plan(definition: ServiceDefinition, *, reference: str, starts_on: date, renews: str | None) -> Subscription:
    """The subscription a payment buys: `months` from `starts_on`, reminded `remind_days_before` its end."""
    terms = definition.subscription
    if terms is None:
        raise ValueError(f"{definition.id} has no subscription")
    ends_on = add_months(starts_on, terms.months)
    return Subscription(
        reference=reference,
        service_id=definition.id,
        starts_on=starts_on,
        ends_on=ends_on,
        remind_on=ends_on - timedelta(days=terms.remind_days_before),
        renews=renews,
    )


@dataclass(frozen=True)
class Recorded:
    outcome: str  # recorded | already-recorded | not-a-subscription
    subscription: Subscription | None = None


class Renewals:
    def __init__(self, store: RenewalsStore, catalogue: dict[str, ServiceDefinition] | None = None) -> None:
        self.store = store
        self._catalogue = catalogue

    def definition(self, service_id: str) -> ServiceDefinition | None:
        return (self._catalogue if self._catalogue is not None else load_catalogue()).get(service_id)

    def on_event(self, event: EventEnvelope, *, now: datetime | None = None) -> Recorded:
        if event.type is not EventType.PAYMENT_SUCCEEDED:
            return Recorded("not-a-subscription")
        return self.record(str(event.data["reference"]), str(event.data["service_id"]), now=now)

    def record(self, reference: str, service_id: str, *, now: datetime | None = None) -> Recorded:
        """Record the subscription that the paid request `reference` bought, once (a conditional put)."""
        definition = self.definition(service_id)
        if definition is None or definition.subscription is None:
            return Recorded("not-a-subscription")
        existing = self.store.get(reference)
        if existing is not None:
            return Recorded("already-recorded", existing)
        today = uk_today(now)
        starts_on, renews = today, None
        previous_reference = self.store.renewal_of(reference)
        previous = self.store.get(previous_reference) if previous_reference else None
        if previous is not None and previous.service_id == service_id:
            renews = previous.reference
            starts_on = max(previous.ends_on, today)  # on from the old end; never before today if it lapsed
        subscription = plan(definition, reference=reference, starts_on=starts_on, renews=renews)
        expires_at = _epoch(subscription.ends_on + timedelta(days=definition.retention_days))
        recorded_at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        if not self.store.put_new(subscription, expires_at=expires_at, recorded_at=recorded_at):
            return Recorded("already-recorded", self.store.get(reference))
        if renews:
            self.store.mark_renewed(renews, renewed_by=reference)  # no reminder for a renewed subscription
        logger.info(
            "Subscription recorded",
            extra={"reference": reference, "service_id": service_id, "renews": renews or ""},
        )
        return Recorded("recorded", subscription)


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
