"""Sending a recorded message at most once, whatever the redeliveries and crashes.

1. Claim: record the intent (`sending`, attempts + 1, a lease) with a conditional write. A message past
   `sending` (sent, failed, delivered...) is never claimed again; one whose lease is held is `InFlight`.
2. If the message was already `sending` when claimed, an earlier attempt crashed or timed out after perhaps
   handing it to the provider. Look it up by reference (our message id, which Notify stores as `reference`):
   found → confirm it without sending; not found → send. A provider that cannot be asked (SES) → `uncertain`,
   not resent: at most once beats twice.
3. Send, then confirm (`sent`, provider id). A crash between the two leaves `sending`, so step 2 catches it.
4. Refused because of our own configuration (`ConfigurationRefused`: a revoked key, a missing template id):
   `held`, and the error is raised so that the queue keeps the event; a later attempt, once a person has fixed
   the configuration, claims the held message and sends it (the queue's retries, or `notifications.replay`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from notifications.adapters import (
    ChannelAdapter,
    ConfigurationRefused,
    LookupUnsupported,
    Outgoing,
    PermanentFailure,
    RateLimited,
    TemporaryFailure,
    send,
)
from notifications.store import AlreadyHandled, MessageStore, now_utc
from shared.observability import logger, metrics


class Outcome(StrEnum):
    SENT = "sent"
    RECOVERED = "recovered"  # an earlier attempt had sent it; confirmed without sending again
    SKIPPED = "skipped"  # already past sending
    FAILED = "failed"
    UNCERTAIN = "uncertain"


def outgoing(message: Mapping[str, Any]) -> Outgoing:
    return Outgoing(
        message_id=str(message["message_id"]),
        channel=message["channel"],
        template=str(message["template"]),
        recipient=str(message.get("recipient") or ""),
        personalisation={str(k): str(v) for k, v in (message.get("personalisation") or {}).items()},
        subject=str(message.get("subject") or ""),
        body=str(message.get("body") or ""),
        unsubscribe_url=message.get("unsubscribe_url"),
    )


def deliver(
    message: Mapping[str, Any],
    *,
    store: MessageStore,
    adapter: ChannelAdapter,
    clock: Callable[[], datetime] = now_utc,
) -> Outcome:
    """Send one recorded message through `adapter`, at most once. Raises RateLimited / TemporaryFailure /
    InFlight when the caller should try again later, ConfigurationRefused (the message held) when a person must
    fix the configuration first."""
    message_id = str(message["message_id"])
    log = {"message_id": message_id, "channel": message["channel"], "template": message["template"]}
    try:
        previous = store.claim(message_id, clock())
    except AlreadyHandled as done:
        logger.info("Message already handled; not sent again", extra=log | {"status": done.status})
        return Outcome.SKIPPED
    try:
        return _attempt(message, previous, store=store, adapter=adapter, clock=clock, log=log)
    except (RateLimited, TemporaryFailure) as error:
        # Released only if no attempt can have reached the provider: an earlier one that was interrupted
        # (`previous` is sending) may have, whatever this one met (a look-up that failed), so it stays `sending`
        # and the next attempt looks again before it sends.
        if previous != "sending" and (isinstance(error, RateLimited) or not error.maybe_sent):
            store.release(message_id, error.code, clock())
        else:
            store.end_lease(message_id)
        logger.warning("Message not sent this time; will retry", extra=log | {"error": error.code})
        raise
    except ConfigurationRefused:
        # Held already; refused while looking up, it is still `sending`: the next attempt may look again at once.
        store.end_lease(message_id)
        raise
    except Exception:
        # Unknown outcome (e.g. the confirm write failed after the provider took it): stay `sending`, let the
        # next attempt in at once; it will look the message up before sending.
        try:
            store.end_lease(message_id)
        except Exception:  # best effort; the lease runs out by itself
            logger.warning("Could not end the lease", extra=log)
        raise


def _attempt(
    message: Mapping[str, Any],
    previous: str,
    *,
    store: MessageStore,
    adapter: ChannelAdapter,
    clock: Callable[[], datetime],
    log: dict[str, Any],
) -> Outcome:
    message_id = str(message["message_id"])
    if previous == "sending":
        try:
            provider_id = adapter.find_sent(message_id)
        except LookupUnsupported:
            store.mark_uncertain(message_id, "outcome-unknown", clock())
            metrics.add_metric(name="NotificationsUncertain", unit="Count", value=1)
            logger.warning("An earlier attempt may have sent this message; not resending", extra=log)
            return Outcome.UNCERTAIN
        if provider_id is not None:
            store.confirm(message_id, provider=adapter.name, provider_id=provider_id, now=clock())
            metrics.add_metric(name="NotificationsRecovered", unit="Count", value=1)
            logger.info("An earlier attempt had sent this message; confirmed without resending", extra=log)
            return Outcome.RECOVERED
    try:
        provider_id = send(adapter, outgoing(message))
    except ConfigurationRefused as error:
        store.hold(message_id, error.code, clock())
        metrics.add_metric(name="NotificationsHeld", unit="Count", value=1)
        logger.error("Message held: our configuration refused; a person must act", extra=log | {"error": error.code})
        raise
    except PermanentFailure as error:
        store.fail(message_id, error.code, clock())
        metrics.add_metric(name="NotificationsFailed", unit="Count", value=1)
        logger.warning("Message refused; not retried", extra=log | {"error": error.code})
        return Outcome.FAILED
    store.confirm(message_id, provider=adapter.name, provider_id=provider_id, now=clock())
    metrics.add_metric(name="NotificationsSent", unit="Count", value=1)
    logger.info("Message sent", extra=log | {"provider": adapter.name})
    return Outcome.SENT
