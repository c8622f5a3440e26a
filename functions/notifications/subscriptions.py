"""Reminder subscriptions over HTTP (payload 2.0), and the daily job that queues due reminders.

    POST /api/v1/reminders/subscriptions        {"postcode": "...", "contact": {"email"|"phone", "preference"}}
    POST /api/v1/reminders/confirm?token=...    (or {"token": "..."}): the link in the confirmation message
    POST /api/v1/reminders/unsubscribe?token=...  (or {"token": ...}, or RFC 8058 one-click from the mail client)

Links in messages open the resident web's pages (`/reminders/confirm?token=`, `/reminders/unsubscribe?token=`):
a GET there only shows a page with a button, since mail scanners follow GET links; the button POSTs, and the web
invokes this function with these routes. Notify's one-click unsubscribe (RFC 8058) POSTs to the API route directly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from notifications import logic, reminders, settings
from notifications.confirmation_limits import CLIENT, RECIPIENT, ConfirmationLimits, client_address
from shared import aws
from shared.api import http_handler, json_response, make_resolver, read_json_object
from shared.contact import reminder_contact
from shared.errors import BadRequest, TooManyRequests, ValidationFailed
from shared.observability import logger, metrics, observed

app = make_resolver()


class SubscriptionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    postcode: str = Field(min_length=5, max_length=10)
    contact: dict[str, str]


def _validated_contact(contact: dict[str, str]) -> dict[str, str]:
    """The contact details through the one reminder-contact check (shared.contact.reminder_contact): text
    messages go to UK mobiles only. Errors name `contact.email`, `contact.phone`, `contact.preference` or `contact`."""
    valid, problems = reminder_contact(
        email=contact.get("email") or "", phone=contact.get("phone") or "", preference=contact.get("preference")
    )
    if problems:
        errors = [{"field": f"contact.{p.part}" if p.part else "contact", "message": p.message} for p in problems]
        detail = (
            "Give an email address or a mobile number."
            if not problems[0].part
            else "Check the fields listed in errors."
        )
        raise ValidationFailed(detail, errors=errors)
    return valid


@app.post("/api/v1/reminders/subscriptions")
def subscribe() -> Response[str]:
    request = SubscriptionRequest.model_validate(read_json_object(app))
    contact = _validated_contact(request.contact)
    now = datetime.now(UTC)
    try:
        reminders.round_for(request.postcode)
    except reminders.UnknownRound:
        raise ValidationFailed(
            "We have no bin collection round for that postcode.",
            errors=[{"field": "postcode", "message": "Enter a postcode in the borough"}],
        ) from None
    if _within_limits(contact, now):
        result = reminders.subscribe(request.postcode, contact, now)
        if result is not None:
            subscription_id, event = result
            aws.client("sqs").send_message(
                QueueUrl=settings.settings().notifications_queue_url, MessageBody=event.to_message()
            )
            metrics.add_metric(name="ReminderSubscriptionsRequested", unit=MetricUnit.Count, value=1)
            logger.info("Reminder subscription requested", extra={"subscription_id": subscription_id})
    # The same answer whether or not the address was already subscribed, or had been sent enough confirmations
    # today: no hint to anyone else.
    return json_response(202, {"status": "confirmation-sent"})


def _within_limits(contact: dict[str, str], now: datetime) -> bool:
    """Count this request against its client's and its recipient's limits (`confirmation_limits`). Too many from
    one client: 429 (about the caller's own requests). Too many to one recipient: False, answered as usual."""
    limits = ConfirmationLimits(reminders.table(), reminders.signing_key())
    client = client_address(app.current_event.raw_event)
    if client is not None and not limits.allow(CLIENT, client, now):
        metrics.add_metric(name="ReminderRequestsLimited", unit=MetricUnit.Count, value=1)
        logger.warning("Too many reminder subscription requests from one client address")
        raise TooManyRequests(
            "Too many requests from your connection. Try again later.",
            headers={"Retry-After": str(CLIENT.seconds_left(now))},
        )
    chosen = logic.choose_channel(contact)
    if chosen is not None and not limits.allow(RECIPIENT, chosen[1], now):
        metrics.add_metric(name="ReminderConfirmationsLimited", unit=MetricUnit.Count, value=1)
        logger.info("Enough confirmations sent to this recipient today; none sent")
        return False
    return True


def _token() -> str:
    token = app.current_event.get_query_string_value("token")
    if not token:
        body = app.current_event.decoded_body or ""
        if body.strip().startswith("{"):
            token = str(read_json_object(app).get("token") or "")
    if not token:
        raise BadRequest("Send the token from the link.")
    return token


def _change(action: str) -> Response[str]:
    try:
        if action == "confirm":
            reminders.confirm(_token(), datetime.now(UTC))
        else:
            reminders.unsubscribe(_token(), datetime.now(UTC))
    except reminders.InvalidLink as error:
        raise BadRequest(
            "This link has expired or has already been used.", errors=[{"field": "token", "message": str(error)}]
        ) from None
    metrics.add_metric(name=f"Reminder-{action}", unit=MetricUnit.Count, value=1)
    return json_response(200, {"status": "subscribed" if action == "confirm" else "unsubscribed"})


@app.post("/api/v1/reminders/confirm")
def confirm() -> Response[str]:
    return _change("confirm")


@app.post("/api/v1/reminders/unsubscribe")
def unsubscribe() -> Response[str]:
    return _change("unsubscribe")


handler = settings.entry_point(settings.SubscriptionsSettings, http_handler(app))


@observed
def scheduled_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Daily (EventBridge): queue a reminder for every active subscription whose collection is tomorrow, then look
    ahead for collections the bank holiday rule would put on a bank holiday or a Sunday (`reminders.clashes_ahead`:
    a warning and the `CollectionClashesAhead` metric, which alarms).

    "Today" is the day the rule was scheduled for (the event's `time`), so a retried invocation means the same day.
    The look ahead runs after the reminders are queued, so it never holds them up; should it ever fail, the
    function's error alarm says so and the schedule's retry queues the same events (nothing is sent twice)."""
    config = settings.load_for(settings.DailyRemindersSettings)
    scheduled = event.get("time")
    today = reminders.today_in_london(datetime.fromisoformat(str(scheduled)) if scheduled else None)
    queued = reminders.enqueue(reminders.due_events(today), config.notifications_queue_url)
    metrics.add_metric(name="RemindersQueued", unit=MetricUnit.Count, value=queued)
    logger.info("Reminders queued", extra={"day": today.isoformat(), "queued": queued})
    reminders.clashes_ahead(today)
    return {"day": today.isoformat(), "queued": queued}
