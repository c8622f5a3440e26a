"""The Renewals table: one item per subscription, keyed by the reference of the request that paid for it.

An item holds what the reminder and the renewal need, and no personal data: the request's reference (through
which the resident's contact details and answers are read from the request, when needed), the service, the start
and end dates, the reminder date and the reminder's progress. The sparse `reminders-due` index (partition
`reminder` = "due", sort `remind_on`) holds the subscriptions not yet reminded nor renewed; the daily job Queries
it (never a Scan).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared import aws

REMINDERS_DUE = "reminders-due"  # stacks/renewals_stack.py
DUE = "due"


def conditional_failed(error: Exception) -> bool:
    response = getattr(error, "response", {}) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


@dataclass(frozen=True)
class Subscription:
    reference: str
    service_id: str
    starts_on: date
    ends_on: date
    remind_on: date
    renews: str | None = None  # the reference of the subscription this one renews
    renewed_by: str | None = None
    reminded_on: date | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Subscription:
        def day(name: str) -> date | None:
            return date.fromisoformat(str(item[name])) if item.get(name) else None

        return cls(
            reference=str(item["reference"]),
            service_id=str(item["service_id"]),
            starts_on=date.fromisoformat(str(item["starts_on"])),
            ends_on=date.fromisoformat(str(item["ends_on"])),
            remind_on=date.fromisoformat(str(item["remind_on"])),
            renews=str(item["renews"]) if item.get("renews") else None,
            renewed_by=str(item["renewed_by"]) if item.get("renewed_by") else None,
            reminded_on=day("reminded_on"),
        )


class RenewalsStore:
    def __init__(self, table_name: str) -> None:
        self._table = aws.table(table_name)

    def get(self, reference: str) -> Subscription | None:
        item = self._table.get_item(Key={"reference": reference}, ConsistentRead=True).get("Item")
        return Subscription.from_item(item) if item and item.get("starts_on") else None

    def put_new(self, subscription: Subscription, *, expires_at: int, recorded_at: str) -> bool:
        """Record the subscription unless its reference has one already (False then): a redelivered event, or a
        second event for the same payment, records nothing more."""
        from botocore.exceptions import ClientError

        item: dict[str, Any] = {
            "reference": subscription.reference,
            "service_id": subscription.service_id,
            "starts_on": subscription.starts_on.isoformat(),
            "ends_on": subscription.ends_on.isoformat(),
            "remind_on": subscription.remind_on.isoformat(),
            "reminder": DUE,
            "recorded_at": recorded_at,
            "expires_at": expires_at,
        }
        if subscription.renews:
            item["renews"] = subscription.renews
        try:
            self._table.put_item(
                Item=item,
                # A renewal's marker (`renewal_of`, written before payment) may be there: it is replaced.
                ConditionExpression="attribute_not_exists(starts_on)",
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def begin_renewal(self, reference: str, *, renews: str, expires_at: int | None = None) -> None:
        """The request `reference` renews `renews` (written when it is sent from a reminder's link, before it is
        paid): its payment then starts a subscription on from the old end. Overwrites only another marker."""
        from botocore.exceptions import ClientError

        item: dict[str, Any] = {"reference": reference, "renews": renews}
        if expires_at is not None:
            item["expires_at"] = expires_at
        try:
            self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(starts_on)")
        except ClientError as error:
            if not conditional_failed(error):
                raise

    def renewal_of(self, reference: str) -> str | None:
        """The subscription the request `reference` renews, if its renewal was begun from a reminder's link."""
        item = self._table.get_item(Key={"reference": reference}, ConsistentRead=True).get("Item") or {}
        return str(item["renews"]) if item.get("renews") else None

    def mark_renewed(self, reference: str, *, renewed_by: str) -> bool:
        """The subscription `reference` was renewed by `renewed_by`: it leaves the reminders index."""
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"reference": reference},
                UpdateExpression="SET renewed_by = :by REMOVE reminder",
                ConditionExpression="attribute_exists(starts_on) AND "
                "(attribute_not_exists(renewed_by) OR renewed_by = :by)",
                ExpressionAttributeValues={":by": renewed_by},
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def due(self, on: date) -> list[Subscription]:
        """Every subscription not yet reminded nor renewed whose reminder date is `on` or earlier (one missed
        yesterday, when a publish failed, is due again today)."""
        subscriptions: list[Subscription] = []
        kwargs: dict[str, Any] = {
            "IndexName": REMINDERS_DUE,
            "KeyConditionExpression": "reminder = :due AND remind_on <= :on",
            "ExpressionAttributeValues": {":due": DUE, ":on": on.isoformat()},
        }
        while True:
            page = self._table.query(**kwargs)
            subscriptions.extend(Subscription.from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return subscriptions
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim_reminder(self, reference: str, *, on: date) -> bool:
        """Claim today's reminder of `reference` (a conditional update): False when it was reminded, renewed, or
        claimed today already. A claim of an earlier day whose publish failed may be claimed again."""
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"reference": reference},
                UpdateExpression="SET reminder_claimed_on = :on",
                ConditionExpression="reminder = :due AND attribute_not_exists(reminded_on) AND "
                "attribute_not_exists(renewed_by) AND "
                "(attribute_not_exists(reminder_claimed_on) OR reminder_claimed_on < :on)",
                ExpressionAttributeValues={":on": on.isoformat(), ":due": DUE},
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def mark_reminded(self, reference: str, *, on: date) -> None:
        """The reminder was published: the subscription leaves the reminders index."""
        self._table.update_item(
            Key={"reference": reference},
            UpdateExpression="SET reminded_on = :on REMOVE reminder",
            ExpressionAttributeValues={":on": on.isoformat()},
        )
