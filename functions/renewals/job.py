"""The daily job: every subscription whose reminder date has come is announced once with `renewal-due`.

It Queries the sparse `reminders-due` index (reminder = "due", remind_on <= today): never a Scan. For each one:

1. claim today's reminder (a conditional update: not reminded, not renewed, not claimed today), so two runs on
   the same day (EventBridge retries, a person running it by hand) announce it once;
2. publish `renewal-due` with an id derived from the subscription (`<reference>:renewal-due`), so a publish
   repeated after a crash is the same event, which the notifications consumer sends once;
3. mark it reminded: it leaves the index.

A publish that fails leaves the claim of today only: tomorrow's run, whose date is later, claims it again and
retries. A subscription renewed before its reminder left the index when its renewal was recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from renewals.logic import uk_today
from renewals.settings import job_settings
from renewals.store import RenewalsStore, Subscription
from shared.events import EventEnvelope, EventType, derived_id, new_event
from shared.observability import logger, metrics, observed
from shared.publisher import publish

# A subscription is begun only with this much of the invocation left: three DynamoDB calls and a publish.
SECONDS_PER_SUBSCRIPTION = 2.0


def renewal_due(subscription: Subscription, *, correlation_id: str) -> EventEnvelope:
    """Identifiers only: the resident's contact details stay in the request, read by its reference."""
    return new_event(
        EventType.RENEWAL_DUE,
        source="renewals",
        correlation_id=correlation_id,
        id_=derived_id(f"{subscription.reference}:renewal-due"),
        data={
            "reference": subscription.reference,
            "service_id": subscription.service_id,
            "ends_on": subscription.ends_on.isoformat(),
        },
    )


def remind_due(
    store: RenewalsStore,
    *,
    today: date,
    send: Callable[[EventEnvelope], Any] = publish,
    correlation_id: str = "renewal-reminders",
    seconds_left: Callable[[], float] = lambda: float("inf"),
) -> dict[str, int]:
    """One run: counts of subscriptions due, reminded, skipped (reminded, renewed or claimed meanwhile) and failed
    (tried again tomorrow)."""
    counts = {"due": 0, "reminded": 0, "skipped": 0, "failed": 0}
    for subscription in store.due(today):
        if seconds_left() < SECONDS_PER_SUBSCRIPTION:
            break  # the rest are still in the index: tomorrow's run (or a rerun today) carries on
        counts["due"] += 1
        if not store.claim_reminder(subscription.reference, on=today):
            counts["skipped"] += 1
            continue
        try:
            send(renewal_due(subscription, correlation_id=correlation_id))
        except Exception:
            logger.exception("Renewal reminder not published", extra={"reference": subscription.reference})
            counts["failed"] += 1
            continue
        store.mark_reminded(subscription.reference, on=today)
        counts["reminded"] += 1
    return counts


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """EventBridge's daily event (its `time` is the run's moment); `{"date": "YYYY-MM-DD"}` runs it for that day
    (a person catching up, or the local cloud's end-to-end test)."""
    configured = job_settings()
    if isinstance(event, dict) and event.get("date"):
        today = date.fromisoformat(str(event["date"]))
    elif isinstance(event, dict) and event.get("time"):
        today = uk_today(datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")))
    else:
        today = uk_today()
    counts = remind_due(
        RenewalsStore(configured.renewals_table),
        today=today,
        send=lambda e: publish(e, configured.events_topic_arn),
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    metrics.add_metric(name="RenewalRemindersPublished", unit=MetricUnit.Count, value=counts["reminded"])
    metrics.add_metric(name="RenewalRemindersFailed", unit=MetricUnit.Count, value=counts["failed"])
    logger.info("Renewal reminders", extra={"day": today.isoformat(), **counts})
    return counts
