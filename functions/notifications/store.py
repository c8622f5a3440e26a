"""The Notifications table: one item per message, moved through its states by conditional writes only.

Our states: `recorded` → `sending` (intent: an attempt is under way, under a lease) → `sent` (the provider took
it; its id is stored). A failed attempt that certainly did not reach the provider goes to `retrying`; a refusal
because of our own configuration (a revoked key, a missing template id), to `held` (sent once a person has fixed
it: the queue's retries, then the dead-letter queue and `notifications.replay`); a refusal that retrying cannot
fix, to `failed`; an attempt whose outcome cannot be known (a provider that cannot be asked
by reference), to `uncertain`. Delivery receipts then record the provider's state (`provider_status`, which
never moves backwards) and, once it is final, set `status` to it: `delivered`, `permanent-failure`,
`temporary-failure` or `technical-failure`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from notifications import templates
from shared import aws

MESSAGE_RETENTION = timedelta(days=365)  # how long a message record (and its recipient) is kept
LEASE = timedelta(seconds=30)  # > the consumer's 10 s timeout, < the queue's 60 s visibility timeout

# Personalisation that is a bearer link (whoever holds it can restore a saved draft, or confirm or stop reminders).
# A message record is kept for a year: it holds these words instead of the link, in its personalisation and body.
# Only the message that is sent (composed afresh for every attempt) carries the link.
BEARER_LINKS = {
    "return_url": "[return link]",
    "confirm_url": "[confirmation link]",
    "unsubscribe_url": "[unsubscribe link]",
    "renew_url": "[renewal link]",
    "manage_url": "[manage link]",
    "how_to_renew": "[how to renew, with the permit's renewal link]",  # the sentence holds the link (permit_messages)
}
NOT_STORED = ("unsubscribe_url",)  # the one-click unsubscribe URL (RFC 8058) is a bearer link too

SENDABLE = ("recorded", "retrying", "held")
# Notify's states by how far along they are; a receipt only ever moves a message forwards.
PROVIDER_RANK = {
    "created": 1,
    "pending-virus-check": 1,
    "sending": 2,
    "pending": 2,
    "accepted": 2,
    "delivered": 3,
    "received": 3,
    "permanent-failure": 3,
    "temporary-failure": 3,
    "technical-failure": 3,
    "validation-failed": 3,
    "virus-scan-failed": 3,
    "cancelled": 3,
}
FINAL_RANK = 3


class AlreadyHandled(Exception):
    """The message is past `sending` (sent, failed, delivered...): it is never sent again."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class InFlight(Exception):
    """Another attempt holds the lease on this message right now; try again later."""


def _is_condition_failure(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def _iso(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


def stored_form(message: dict[str, Any]) -> dict[str, Any]:
    """The message as its record keeps it: bearer links replaced by words, the body and subject rendered again."""
    stored = {k: v for k, v in message.items() if k not in NOT_STORED}
    personalisation = dict(message.get("personalisation") or {})
    bearer = [name for name in personalisation if name in BEARER_LINKS]
    if not bearer:
        return stored
    personalisation.update({name: BEARER_LINKS[name] for name in bearer})
    template = templates.get(str(message["template"]))
    stored["personalisation"] = personalisation
    stored["body"] = templates.render(template.body, personalisation)
    if stored.get("subject"):
        stored["subject"] = templates.render(template.subject, personalisation)
    return stored


class MessageStore:
    def __init__(self, table_name: str) -> None:
        self._table = aws.table(table_name)

    def get(self, message_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key={"message_id": message_id}, ConsistentRead=True).get("Item")
        return dict(item) if item else None

    def record(self, messages: Iterable[dict[str, Any]], now: datetime) -> int:
        """Write each message once (without its bearer links: `stored_form`); returns how many were new. A duplicate
        (same id) is skipped, not overwritten."""
        from botocore.exceptions import ClientError

        created = 0
        for message in messages:
            item = {
                **stored_form(message),
                "status": "recorded",
                "attempts": 0,
                "created_at": _iso(now),
                "expires_at": int((now + MESSAGE_RETENTION).timestamp()),
            }
            try:
                self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(message_id)")
                created += 1
            except ClientError as error:
                if not _is_condition_failure(error):
                    raise
        return created

    def claim(self, message_id: str, now: datetime) -> str:
        """Record the intent to send: `sending`, attempts + 1, a lease. Returns the status it had before.

        Allowed from `recorded`, `retrying` and `held`, and from `sending` once the lease has run out (an attempt that
        crashed: its outcome is unknown, so the caller must look before it resends).
        """
        from botocore.exceptions import ClientError

        try:
            response = self._table.update_item(
                Key={"message_id": message_id},
                UpdateExpression="SET #s = :sending, attempts = if_not_exists(attempts, :zero) + :one, "
                "lease_until = :lease, last_attempt_at = :at",
                ConditionExpression="attribute_exists(message_id) AND "
                "(#s IN (:recorded, :retrying, :held) OR (#s = :sending AND lease_until < :now))",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":sending": "sending",
                    ":recorded": "recorded",
                    ":retrying": "retrying",
                    ":held": "held",
                    ":zero": 0,
                    ":one": 1,
                    ":lease": int((now + LEASE).timestamp()),
                    ":now": int(now.timestamp()),
                    ":at": _iso(now),
                },
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            current = self.get(message_id)
            if current is None:
                raise KeyError(message_id) from None
            if current["status"] == "sending":
                raise InFlight(message_id) from None
            raise AlreadyHandled(str(current["status"])) from None
        return str(response["Attributes"]["status"])

    def confirm(self, message_id: str, *, provider: str, provider_id: str, now: datetime) -> None:
        """The provider took the message: `sent`, with its id. (A receipt that came first keeps its status.)"""
        from botocore.exceptions import ClientError

        values = {":p": provider, ":pid": provider_id, ":at": _iso(now)}
        try:
            self._table.update_item(
                Key={"message_id": message_id},
                UpdateExpression="SET #s = :sent, provider = :p, provider_id = :pid, sent_at = :at REMOVE lease_until",
                ConditionExpression="#s = :sending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={**values, ":sent": "sent", ":sending": "sending"},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            self._table.update_item(
                Key={"message_id": message_id},
                UpdateExpression="SET provider = :p, provider_id = :pid, sent_at = if_not_exists(sent_at, :at) "
                "REMOVE lease_until",
                ExpressionAttributeValues=values,
            )

    def _leave_sending(self, message_id: str, status: str, code: str, now: datetime) -> None:
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"message_id": message_id},
                UpdateExpression="SET #s = :status, last_error = :code, last_error_at = :at REMOVE lease_until",
                ConditionExpression="#s = :sending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":status": status, ":code": code, ":at": _iso(now), ":sending": "sending"},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise

    def release(self, message_id: str, code: str, now: datetime) -> None:
        """The attempt certainly did not reach the provider: the next one may send without looking first."""
        self._leave_sending(message_id, "retrying", code, now)

    def hold(self, message_id: str, code: str, now: datetime) -> None:
        """Refused because of our configuration, certainly not taken: sent by a later attempt once it is fixed."""
        self._leave_sending(message_id, "held", code, now)

    def fail(self, message_id: str, code: str, now: datetime) -> None:
        """The provider refused it for good (or we did, before sending): never retried."""
        self._leave_sending(message_id, "failed", code, now)

    def mark_uncertain(self, message_id: str, code: str, now: datetime) -> None:
        """An earlier attempt may have sent it and the provider cannot tell us: not resent (at most once)."""
        self._leave_sending(message_id, "uncertain", code, now)

    def end_lease(self, message_id: str) -> None:
        """Keep `sending` (the outcome is unknown) but let the next attempt in at once; it will look first."""
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"message_id": message_id},
                UpdateExpression="SET lease_until = :zero",
                ConditionExpression="#s = :sending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":zero": 0, ":sending": "sending"},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise

    def apply_receipt(self, message_id: str, *, provider_status: str, provider_id: str, at: str) -> bool:
        """Record the provider's state if it is further along than the last one; final states set `status`.

        Returns False when the receipt is stale (or a repeat) or the message is unknown.
        """
        from botocore.exceptions import ClientError

        rank = PROVIDER_RANK.get(provider_status)
        if rank is None:
            return False
        update = (
            "SET provider_status = :ps, provider_status_rank = :rank, provider_status_at = :at, "
            "provider_id = if_not_exists(provider_id, :pid)"
        )
        values: dict[str, Any] = {":ps": provider_status, ":rank": rank, ":at": at, ":pid": provider_id}
        names: dict[str, str] = {}
        if rank >= FINAL_RANK:
            update += ", #s = :ps REMOVE lease_until"
            names["#s"] = "status"
        try:
            self._table.update_item(
                Key={"message_id": message_id},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(message_id) AND "
                "(attribute_not_exists(provider_status_rank) OR provider_status_rank < :rank)",
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            return False
        return True


def now_utc() -> datetime:
    return datetime.now(UTC)
