"""Bin collection reminders: subscriptions by postcode, confirmed and ended by one-time signed links.

- A resident asks for reminders (postcode + contact + preference): a `pending` subscription is stored and a
  `reminder-confirm` event goes onto the notifications queue; the consumer sends the confirmation link.
- Each link carries an HMAC-signed token: action, subscription id, the subscription's `generation` and an
  expiry. Using a link changes the state and bumps the generation, so every link works once.
- Every day a scheduled job finds the active subscriptions whose collection is *actually* tomorrow (after bank
  holiday changes, `collection_days`: a Monday round may be collected on Tuesday) through a sparse index on
  `collection_day`, and puts one `reminder-due` event per subscription on the queue. Event ids are derived from
  (subscription, actual collection date), so a second run on the same day sends nothing twice.
- The same job then looks 60 days ahead for collections the bank holiday rule would put on a bank holiday or a
  Sunday with no published change (`clashes_ahead`): a warning and the `CollectionClashesAhead` metric (it alarms).
Events carry ids only; the consumer reads the recipient from the table when it composes the message.
Contact details are not kept without a reason: a pending subscription expires (DynamoDB TTL on `expires_at`) a day
after its confirmation link would, an unsubscribed one 30 days after the resident left; an active one has no expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, Literal

from notifications import collection_days, logic, settings
from notifications.collection_days import WEEKDAYS, Round
from shared import aws
from shared.calendar import LONDON
from shared.events import EventEnvelope, EventType
from shared.location import normalise_postcode
from shared.observability import logger, metrics

EVENT_TYPES = (EventType.REMINDER_CONFIRM, EventType.REMINDER_DUE)
SUBSCRIPTION_NAMESPACE = uuid.UUID("6a1c2f4e-8d3b-4e5a-9c7f-1b2d3e4f5a60")
INDEX = "by-collection-day"  # sparse: only active subscriptions have `collection_day`
CONFIRM_LINK_LIFETIME = timedelta(days=7)
UNSUBSCRIBE_LINK_LIFETIME = timedelta(days=90)  # every reminder carries a fresh one
PENDING_RETENTION = CONFIRM_LINK_LIFETIME + timedelta(days=1)  # never confirmed: forgotten (TTL `expires_at`)
UNSUBSCRIBED_RETENTION = timedelta(days=30)
CLASH_LOOKAHEAD_DAYS = 60  # the daily job looks this far ahead for collections the rule puts on a holiday
CLASHES_METRIC = "CollectionClashesAhead"  # the observability stack alarms on its first count
Action = Literal["confirm", "unsubscribe"]


class InvalidLink(Exception):
    """A token that is forged, expired, for another action, or already used."""


class UnknownRound(Exception):
    """No collection round covers the postcode."""


@cache
def schedule() -> collection_days.Schedule:
    """data/collection_rounds.yaml: rounds, the bank holiday rule and published changes (validated on load)."""
    return collection_days.load()


def rounds() -> dict[str, Round]:
    return dict(schedule().rounds)


def sector(postcode: str) -> str | None:
    full = normalise_postcode(postcode)
    return None if full is None else full[:-2]  # "ME14 1HQ" -> "ME14 1"


def round_for(postcode: str) -> Round:
    found = rounds().get(sector(postcode) or "")
    if found is None:
        raise UnknownRound(postcode)
    return found


# --- signed links -------------------------------------------------------------------------------------------
def signing_key() -> bytes:
    """The link signing key (HMAC): reminder links, and the confirmation limits' keys."""
    config = settings.settings()
    return settings.secret(config.link_signing_key_secret_id, config.link_signing_key, "key").encode("utf-8")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def sign(action: Action, subscription_id: str, generation: int, expires: datetime) -> str:
    payload = json.dumps([action, subscription_id, generation, int(expires.timestamp())], separators=(",", ":"))
    mac = hmac.new(signing_key(), payload.encode("utf-8"), hashlib.sha256).digest()
    return f"{_b64(payload.encode('utf-8'))}.{_b64(mac)}"


def verify(token: str, action: Action, now: datetime) -> tuple[str, int]:
    """(subscription id, generation) from a genuine, unexpired token for `action`."""
    try:
        encoded, signature = token.split(".", 1)
        payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        supplied = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except ValueError:
        raise InvalidLink("malformed") from None
    if not hmac.compare_digest(hmac.new(signing_key(), payload, hashlib.sha256).digest(), supplied):
        raise InvalidLink("signature")
    kind, subscription_id, generation, expires = json.loads(payload)
    if kind != action:
        raise InvalidLink("action")
    if now.timestamp() > expires:
        raise InvalidLink("expired")
    return str(subscription_id), int(generation)


def token_for(action: Action, subscription_id: str, generation: int, now: datetime) -> str:
    lifetime = CONFIRM_LINK_LIFETIME if action == "confirm" else UNSUBSCRIBE_LINK_LIFETIME
    return sign(action, subscription_id, generation, now + lifetime)


def page_link(action: Action, token: str) -> str:
    """The link a resident opens: the resident web's page (`/reminders/{action}`), which shows what will happen
    and asks for a button press (a POST); a GET never changes anything, since mail scanners follow links."""
    return f"{settings.settings().public_base_url.rstrip('/')}/reminders/{action}?token={token}"


def one_click_link(token: str) -> str:
    """Notify's one-click unsubscribe (RFC 8058): the mail client POSTs straight to the API route."""
    return f"{settings.settings().public_base_url.rstrip('/')}/api/v1/reminders/unsubscribe?token={token}"


def link(action: Action, subscription_id: str, generation: int, now: datetime) -> str:
    return page_link(action, token_for(action, subscription_id, generation, now))


# --- subscriptions ------------------------------------------------------------------------------------------
def table() -> Any:
    return aws.table(settings.settings().subscriptions_table)


def subscribe(postcode: str, contact: dict[str, Any], now: datetime) -> tuple[str, EventEnvelope] | None:
    """Store a pending subscription; returns (id, the confirmation event to queue), or None when there is
    nothing to do (no usable contact details, or already subscribed)."""
    from botocore.exceptions import ClientError

    the_round = round_for(postcode)
    chosen = logic.choose_channel(contact)
    if chosen is None:
        return None
    channel, recipient = chosen
    full_postcode = normalise_postcode(postcode) or postcode
    subscription_id = str(uuid.uuid5(SUBSCRIPTION_NAMESPACE, f"{full_postcode}|{channel}|{recipient}"))
    try:
        response = table().update_item(
            Key={"subscription_id": subscription_id},
            UpdateExpression="SET #s = :pending, postcode = :postcode, channel = :channel, recipient = :recipient, "
            "round_day = :day, generation = if_not_exists(generation, :zero) + :one, requested_at = :at, "
            "expires_at = :expires",
            ConditionExpression="attribute_not_exists(#s) OR #s <> :active",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":pending": "pending",
                ":active": "active",
                ":postcode": full_postcode,
                ":channel": channel,
                ":recipient": recipient,
                ":day": the_round.day,
                ":zero": 0,
                ":one": 1,
                ":at": now.isoformat(timespec="seconds"),
                ":expires": int((now + PENDING_RETENTION).timestamp()),
            },
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None  # already active: say nothing different (no hint whether someone is subscribed)
        raise
    generation = int(response["Attributes"]["generation"])
    event = EventEnvelope(
        type=EventType.REMINDER_CONFIRM,
        id=str(uuid.uuid5(SUBSCRIPTION_NAMESPACE, f"confirm|{subscription_id}|{generation}")),
        source="notifications.reminders",
        correlation_id=subscription_id,
        data={"subscription_id": subscription_id, "generation": generation},
    )
    return subscription_id, event


def _transition(token: str, action: Action, now: datetime) -> str:
    from botocore.exceptions import ClientError

    subscription_id, generation = verify(token, action, now)
    if action == "confirm":
        item = table().get_item(Key={"subscription_id": subscription_id}, ConsistentRead=True).get("Item") or {}
        update = "SET #s = :to, collection_day = :day, generation = :next, confirmed_at = :at REMOVE expires_at"
        values: dict[str, Any] = {":day": item.get("round_day", ""), ":from": "pending", ":to": "active"}
    else:
        update = "SET #s = :to, generation = :next, unsubscribed_at = :at, expires_at = :expires REMOVE collection_day"
        values = {
            ":from": "active",
            ":to": "unsubscribed",
            ":expires": int((now + UNSUBSCRIBED_RETENTION).timestamp()),
        }
    try:
        table().update_item(
            Key={"subscription_id": subscription_id},
            UpdateExpression=update,
            ConditionExpression="#s = :from AND generation = :generation",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                **values,
                ":generation": generation,
                ":next": generation + 1,
                ":at": now.isoformat(timespec="seconds"),
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise InvalidLink("used") from None
        raise
    logger.info("Reminder subscription changed", extra={"subscription_id": subscription_id, "action": action})
    return subscription_id


def confirm(token: str, now: datetime) -> str:
    return _transition(token, "confirm", now)


def unsubscribe(token: str, now: datetime) -> str:
    return _transition(token, "unsubscribe", now)


# --- the daily job ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    """A subscription to remind: its collection is on `collection` (tomorrow), which was due on `usual`."""

    item: dict[str, Any]
    collection: date
    usual: date


def _active_on(weekday: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {
        "IndexName": INDEX,
        "KeyConditionExpression": "collection_day = :day",
        "ExpressionAttributeValues": {":day": weekday},
    }
    while True:
        page = table().query(**query)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [item for item in items if item.get("status") == "active"]


def due(today: date) -> list[Due]:
    """Active subscriptions whose bins are actually collected tomorrow, once each.

    Tomorrow's collections are those of every nominal date that lands on it (`Schedule.nominal_dates`): usually
    tomorrow itself, but after a bank holiday also the day before (a Monday round on Tuesday), and a published
    change's date (Christmas). A nominal date that moved away is not among them. The index is queried once for
    each weekday those dates fall on."""
    tomorrow = today + timedelta(days=1)
    plan = schedule()
    by_weekday: dict[str, list[date]] = {}
    for nominal in plan.nominal_dates(tomorrow):
        by_weekday.setdefault(WEEKDAYS[nominal.weekday()], []).append(nominal)
    out: dict[str, Due] = {}
    for weekday, nominals in by_weekday.items():
        for item in _active_on(weekday):
            found = plan.rounds.get(sector(str(item["postcode"])) or "")
            usual = next((day for day in nominals if found is not None and found.collects_on(day)), None)
            if usual is not None and str(item["subscription_id"]) not in out:
                out[str(item["subscription_id"])] = Due(dict(item), tomorrow, usual)
    return list(out.values())


def due_event_id(subscription_id: str, collection: date) -> str:
    """Derived from (subscription, actual collection date): a rerun on the same day makes the same events."""
    return str(uuid.uuid5(SUBSCRIPTION_NAMESPACE, f"due|{subscription_id}|{collection.isoformat()}"))


def due_events(today: date) -> list[EventEnvelope]:
    return [
        EventEnvelope(
            type=EventType.REMINDER_DUE,
            id=due_event_id(str(d.item["subscription_id"]), d.collection),
            source="notifications.reminders",
            correlation_id=str(d.item["subscription_id"]),
            data={
                "subscription_id": d.item["subscription_id"],
                "collection_date": d.collection.isoformat(),
                "usual_date": d.usual.isoformat(),
            },
        )
        for d in due(today)
    ]


@dataclass(frozen=True)
class Clash:
    """Collections due on `usual` that the bank holiday rule would put on `actual`, a bank holiday or a Sunday,
    with no published change for them: the council must publish one (add it to `changes`)."""

    usual: date
    actual: date
    sectors: tuple[str, ...]


def clashes_ahead(today: date, plan: collection_days.Schedule | None = None) -> list[Clash]:
    """The daily job's look ahead: unplanned clashes from tomorrow to `CLASH_LOOKAHEAD_DAYS` days on.

    When there are any, a warning names the dates and postcode sectors (no residents: nothing personal) and the
    `CollectionClashesAhead` metric counts them, which the observability stack alarms on. Run after the day's
    reminders are queued, so it never holds them up."""
    plan = plan or schedule()
    start, end = today + timedelta(days=1), today + timedelta(days=CLASH_LOOKAHEAD_DAYS)
    found = [
        Clash(usual, actual, tuple(sorted(s for s, r in plan.rounds.items() if r.collects_on(usual))))
        for usual, actual in plan.unplanned_clashes(start, end)
    ]
    if found:
        metrics.add_metric(name=CLASHES_METRIC, unit="Count", value=len(found))
        logger.warning(
            "Collections ahead would fall on a bank holiday or a Sunday: add the council's published dates to "
            "changes in collection_rounds.yaml and deploy",
            extra={
                "clashes": [
                    {"usual": c.usual.isoformat(), "actual": c.actual.isoformat(), "sectors": list(c.sectors)}
                    for c in found
                ],
                "checked_to": end.isoformat(),
            },
        )
    return found


def enqueue(events: list[EventEnvelope], queue_url: str) -> int:
    sqs = aws.client("sqs")
    for start in range(0, len(events), 10):
        batch = events[start : start + 10]
        entries = [{"Id": str(i), "MessageBody": e.to_message()} for i, e in enumerate(batch)]
        failed = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed", [])
        if failed:
            raise RuntimeError(f"{len(failed)} reminder events were not queued")  # the schedule's retry reruns
    return len(events)


# --- composing the messages (in the consumer) ---------------------------------------------------------------
def compose(event: EventEnvelope, now: datetime | None = None) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    subscription_id = str(event.data["subscription_id"])
    item = table().get_item(Key={"subscription_id": subscription_id}, ConsistentRead=True).get("Item")
    if item is None:
        return []
    generation = int(item["generation"])
    if event.type == EventType.REMINDER_CONFIRM:
        if item["status"] != "pending" or generation != int(event.data["generation"]):
            return []  # confirmed already, or superseded by a newer request
        template = "reminder-confirm"
        values = {
            "collection_day": str(item["round_day"]).title(),
            "frequency": "every week" if rounds_frequency(item) == "weekly" else "every other week",
            "confirm_url": link("confirm", subscription_id, generation, now),
        }
        unsubscribe_url = None
    else:
        if item["status"] != "active":
            return []  # unsubscribed since the job ran
        collection = date.fromisoformat(str(event.data["collection_date"]))
        usual = date.fromisoformat(str(event.data.get("usual_date") or collection.isoformat()))
        token = token_for("unsubscribe", subscription_id, generation, now)
        unsubscribe_url = one_click_link(token)
        because = schedule().moved_because(usual) if usual != collection else ""
        values = {
            "collection_date": f"{collection:%A} {collection.day} {collection:%B}",
            "changed_because": f" {because}" if because else "",  # a sentence after the date, or nothing
            "unsubscribe_url": page_link("unsubscribe", token),
        }
        template = "bin-reminder"
    message = logic.build_message(
        template_name=template,
        channel=str(item["channel"]),
        recipient=str(item["recipient"]),
        values=values,
        event_id=event.id,
        extra={
            "subscription_id": subscription_id,
            "event_type": event.type.value,
            "correlation_id": event.correlation_id,
        },
    )
    if unsubscribe_url and message["channel"] == "email":
        message["unsubscribe_url"] = unsubscribe_url  # Notify's one-click unsubscribe (RFC 8058); never stored
    return [message]


def rounds_frequency(item: dict[str, Any]) -> str:
    found = rounds().get(sector(str(item["postcode"])) or "")
    return found.frequency if found else "weekly"


def today_in_london(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(LONDON).date()
