"""Daily: announce saved drafts that expire in 7 days or 1 day (`draft-expiring`), so the resident is reminded.

Runs on a schedule (EventBridge, once a day). Reminder items sit beside their draft in the Drafts table, found by
the `ByReminderDay` index; a reminder whose draft has since been saved again (a later expiry), submitted or
deleted is skipped. The event names the draft by its `save_id` and carries no email address or link: the
notifications consumer asks the web for both (web/return_links.py). Its id derives from (draft, expiry, days
left), so a re-run of the schedule sends nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.events import EventEnvelope, EventType
from shared.observability import logger, tracer
from shared.publisher import publish
from web.drafts import DraftStore, DynamoDraftStore
from web.settings import draft_reminder_settings

REMINDER_NAMESPACE = uuid.UUID("3c5e8a7b-91d2-4f60-a8e4-7b2d6c1f0e93")


def reminder_event_id(draft_id: str, expires_at: int, days_left: int) -> str:
    """The same reminder, the same id: the consumer's message id derives from it (one hash; the draft id, a bearer
    value, cannot be read back from it)."""
    return str(uuid.uuid5(REMINDER_NAMESPACE, f"draft-expiring|{draft_id}|{expires_at}|{days_left}"))


def send_reminders(
    drafts: DraftStore, publish_event: Callable[[EventEnvelope], object], *, day: str, correlation_id: str
) -> int:
    sent = 0
    for item in drafts.reminders_due(day):
        draft = drafts.get(str(item["reminds"]))
        if draft is None or draft.submitted or draft.email is None or draft.save_id is None:
            continue
        if draft.expires_at != int(item["draft_expires_at"]):
            continue  # saved again since: newer reminder items exist for the new expiry
        publish_event(
            EventEnvelope(
                type=EventType.DRAFT_EXPIRING,
                id=reminder_event_id(draft.id, draft.expires_at, int(item["days_left"])),
                source="web",
                correlation_id=correlation_id,
                data={
                    "save_id": draft.save_id,
                    "service_id": draft.service_id,
                    "expires_at": draft.expires_at,
                    "days_left": int(item["days_left"]),
                },
            )
        )
        sent += 1
    return sent


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    scheduled = str(event.get("time") or datetime.now(UTC).isoformat())
    day = scheduled[:10]
    correlation_id = str(event.get("id") or context.aws_request_id)
    logger.set_correlation_id(correlation_id)
    configured = draft_reminder_settings()
    drafts = DynamoDraftStore(configured.drafts_table)
    publish_event = partial(publish, topic_arn=configured.events_topic_arn)
    sent = send_reminders(drafts, publish_event, day=day, correlation_id=correlation_id)
    logger.info("Draft reminders sent", extra={"day": day, "sent": sent})
    return {"sent": sent}
