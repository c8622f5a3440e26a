"""The Payments table: one item per payment attempt, keyed by the request's reference and the attempt number.

An attempt is written (`creating`) before Pay is asked to create the payment, under a condition that no attempt
with that number exists: two clicks or two tabs race for the same number and only one asks Pay. Its state then
follows Pay's (`created` ... `success`, `failed`, `cancelled`, `error`), or `not-created` when Pay never made it.
`open` is set while anything is left to do for the attempt (unfinished at Pay, or finished but not yet followed
up: the request resumed, the event published); the reconciler finds those through the sparse `open-attempts`
index. The web finds an attempt by the opaque token in Pay's return URL (`by-return-token`).

Attempt 0 of a reference is its order: written with the first attempt, it holds when the request is cancelled if
still unpaid (`unpaid_due`), and is in the sparse `unpaid-requests` index (`awaiting`) until the request is paid or
cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared import aws

BY_RETURN_TOKEN = "by-return-token"  # noqa: S105 - an index name, not a secret
OPEN_ATTEMPTS = "open-attempts"
BY_DAY = "by-day"  # attempts by the UTC day they were created (`created_day`): the nightly comparison with Pay
OPEN = "open"  # the one partition of the open-attempts index
UNPAID_REQUESTS = "unpaid-requests"
AWAITING = "awaiting"  # the one partition of the unpaid-requests index
ORDER = 0  # the attempt number of a reference's order item
CREATING = "creating"  # written, Pay not yet (or not known to have been) asked
NOT_CREATED = "not-created"  # Pay never made a payment for this attempt: finished, nothing was taken
PAYABLE_ORDER = "order"  # an order item registered by another service, not a request's (docs/decisions/0010)
QUEUED = "queued"  # Pay answered 429 to the create: on the create queue for its worker (payments.creator)


class AttemptTaken(Exception):
    """Another request wrote this attempt number first (a double click, a second tab)."""


@dataclass(frozen=True)
class Attempt:
    reference: str
    attempt: int
    service_id: str
    amount: int  # pence, from the stored request
    status: str
    finished: bool
    return_token: str
    created_at: str
    payment_id: str = ""
    next_url: str = ""
    code: str = ""  # Pay's P0010, P0020, P0030, P0040, P0050
    open: bool = True
    followed_up: bool = False
    claimed_at: str = ""  # when the create queue's worker took a queued attempt back to `creating`

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Attempt:
        return cls(
            reference=str(item["reference"]),
            attempt=int(item["attempt"]),
            service_id=str(item["service_id"]),
            amount=int(item["amount"]),
            status=str(item["status"]),
            finished=bool(item.get("finished", False)),
            return_token=str(item["return_token"]),
            created_at=str(item["created_at"]),
            payment_id=str(item.get("payment_id", "")),
            next_url=str(item.get("next_url", "")),
            code=str(item.get("code", "")),
            open=item.get("open") == OPEN,
            followed_up=bool(item.get("followed_up", False)),
            claimed_at=str(item.get("claimed_at", "")),
        )


def conditional_failed(error: Exception) -> bool:
    response = getattr(error, "response", {}) or {}
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


def put_if_absent(table: Any, item: dict[str, Any]) -> bool:
    """Write `item` unless its key is taken (the tables' partition key is `reference`). False when it was."""
    from botocore.exceptions import ClientError

    try:
        table.put_item(
            Item=item,
            ConditionExpression="attribute_not_exists(#ref)",
            ExpressionAttributeNames={"#ref": "reference"},
        )
    except ClientError as error:
        if conditional_failed(error):
            return False
        raise
    return True


def update_if(table: Any, **update: Any) -> dict[str, Any] | None:
    """`table.update_item(**update)` (with its ConditionExpression): the attributes it returns (`ReturnValues`), or
    None when the condition did not hold."""
    from botocore.exceptions import ClientError

    try:
        answer = table.update_item(**update)
    except ClientError as error:
        if conditional_failed(error):
            return None
        raise
    return dict(answer.get("Attributes", {}))


class PaymentsStore:
    def __init__(self, table_name: str) -> None:
        self._table = aws.table(table_name)

    def latest(self, reference: str) -> Attempt | None:
        found = self._table.query(
            KeyConditionExpression="#ref = :ref AND attempt > :order",
            ExpressionAttributeNames={"#ref": "reference"},
            ExpressionAttributeValues={":ref": reference, ":order": ORDER},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )["Items"]
        return Attempt.from_item(found[0]) if found else None

    def attempts(self, reference: str) -> list[Attempt]:
        """Every attempt of a request (its order item left out), first to last."""
        found = self._table.query(
            KeyConditionExpression="#ref = :ref AND attempt > :order",
            ExpressionAttributeNames={"#ref": "reference"},
            ExpressionAttributeValues={":ref": reference, ":order": ORDER},
            ConsistentRead=True,
        )["Items"]
        return [Attempt.from_item(item) for item in found]

    def get(self, reference: str, attempt: int) -> Attempt | None:
        item = self._table.get_item(Key={"reference": reference, "attempt": attempt}, ConsistentRead=True).get("Item")
        return Attempt.from_item(item) if item else None

    def by_token(self, token: str) -> Attempt | None:
        found = self._table.query(
            IndexName=BY_RETURN_TOKEN,
            KeyConditionExpression="return_token = :token",
            ExpressionAttributeValues={":token": token},
            Limit=1,
        )["Items"]
        # The index is eventually consistent: read the attempt itself for its state.
        return self.get(str(found[0]["reference"]), int(found[0]["attempt"])) if found else None

    def put_new(self, attempt: Attempt, *, expires_at: int) -> None:

        item = {
            "reference": attempt.reference,
            "attempt": attempt.attempt,
            "service_id": attempt.service_id,
            "amount": attempt.amount,
            "status": attempt.status,
            "finished": False,
            "return_token": attempt.return_token,
            "created_at": attempt.created_at,
            "created_day": attempt.created_at[:10],
            "updated_at": attempt.created_at,
            "open": OPEN,
            "expires_at": expires_at,
        }
        if not put_if_absent(self._table, item):
            raise AttemptTaken(f"{attempt.reference} #{attempt.attempt}")

    def record_created(self, attempt: Attempt, *, payment_id: str, next_url: str, status: str, at: str) -> Attempt:
        """Pay made the payment: keep its id and card page link (once: a second recording changes nothing)."""
        from botocore.exceptions import ClientError

        try:
            response = self._table.update_item(
                Key={"reference": attempt.reference, "attempt": attempt.attempt},
                UpdateExpression="SET payment_id = :id, next_url = :next, #status = :status, updated_at = :at",
                ConditionExpression="#status = :creating",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":id": payment_id,
                    ":next": next_url,
                    ":status": status,
                    ":at": at,
                    ":creating": CREATING,
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if conditional_failed(error):
                return self.get(attempt.reference, attempt.attempt) or attempt
            raise
        return Attempt.from_item(response["Attributes"])

    def record_state(self, attempt: Attempt, *, status: str, finished: bool, code: str, at: str) -> bool:
        """Move the attempt to Pay's state, unless it has finished already (the first final state wins; a late or
        repeated webhook cannot move it back). True when this call changed it."""
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"reference": attempt.reference, "attempt": attempt.attempt},
                UpdateExpression="SET #status = :status, finished = :finished, code = :code, updated_at = :at",
                ConditionExpression="attribute_exists(#ref) AND finished = :no AND #status <> :status",
                ExpressionAttributeNames={"#status": "status", "#ref": "reference"},
                ExpressionAttributeValues={
                    ":status": status,
                    ":finished": finished,
                    ":code": code,
                    ":at": at,
                    ":no": False,
                },
            )
        except ClientError as error:
            if conditional_failed(error):
                return False
            raise
        return True

    def mark_followed_up(self, attempt: Attempt, *, at: str) -> None:
        """Everything the attempt's outcome asks for is done: it leaves the open-attempts index."""
        self._table.update_item(
            Key={"reference": attempt.reference, "attempt": attempt.attempt},
            UpdateExpression="SET followed_up = :yes, updated_at = :at REMOVE #open",
            ConditionExpression="finished = :yes",
            ExpressionAttributeNames={"#open": "open"},
            ExpressionAttributeValues={":yes": True, ":at": at},
        )

    def open_attempts(self, *, created_before: str, limit: int = 200) -> list[Attempt]:
        """Attempts with something left to do, oldest first, created before `created_before` (ISO 8601)."""
        found = self._table.query(
            IndexName=OPEN_ATTEMPTS,
            KeyConditionExpression="#open = :open AND created_at < :before",
            ExpressionAttributeNames={"#open": "open"},
            ExpressionAttributeValues={":open": OPEN, ":before": created_before},
            Limit=limit,
        )["Items"]
        return [Attempt.from_item(item) for item in found]

    def created_on(self, day: str) -> list[Attempt]:
        """Every attempt created on `day` (`YYYY-MM-DD`, UTC), every page of the by-day index."""
        found: list[Attempt] = []
        query: dict[str, Any] = {
            "IndexName": BY_DAY,
            "KeyConditionExpression": "created_day = :day",
            "ExpressionAttributeValues": {":day": day},
        }
        while True:
            page = self._table.query(**query)
            found += [Attempt.from_item(item) for item in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return found
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- the order: when an unpaid request is cancelled ----------------------------------------------------------
    def put_order(self, reference: str, *, service_id: str, unpaid_due: str, expires_at: int) -> None:
        """The reference's order, once (a second call changes nothing)."""
        put_if_absent(
            self._table,
            {
                "reference": reference,
                "attempt": ORDER,
                "service_id": service_id,
                "awaiting": AWAITING,
                "unpaid_due": unpaid_due,
                "expires_at": expires_at,
            },
        )

    def register_order(
        self, reference: str, *, service_id: str, title: str, amount: int, created_at: str, expires_at: int
    ) -> bool:
        """An order another service registered (docs/decisions/0010): the reference's attempt 0 holding the amount,
        not in the unpaid-requests index. False when the reference has an order already (nothing is changed)."""
        return put_if_absent(
            self._table,
            {
                "reference": reference,
                "attempt": ORDER,
                "service_id": service_id,
                "payable": PAYABLE_ORDER,
                "service_title": title,
                "amount": amount,
                "created_at": created_at,
                "expires_at": expires_at,
            },
        )

    def order(self, reference: str) -> dict[str, Any] | None:
        """The reference's order item (attempt 0), if any."""
        found = self._table.get_item(Key={"reference": reference, "attempt": ORDER}).get("Item")
        return dict(found) if found else None

    def settle_order(self, reference: str, *, outcome: str, at: str) -> None:
        """Paid or cancelled: the order leaves the unpaid-requests index."""
        from botocore.exceptions import ClientError

        try:
            self._table.update_item(
                Key={"reference": reference, "attempt": ORDER},
                UpdateExpression="SET outcome = :outcome, settled_at = :at REMOVE awaiting",
                ConditionExpression="attribute_exists(#ref)",
                ExpressionAttributeNames={"#ref": "reference"},
                ExpressionAttributeValues={":outcome": outcome, ":at": at},
            )
        except ClientError as error:
            if not conditional_failed(error):  # an order never written (a request paid some other way)
                raise

    def unpaid_due(self, *, before: str, limit: int = 100) -> list[str]:
        """References of requests still unpaid whose time to pay ended before `before` (ISO 8601)."""
        found = self._table.query(
            IndexName=UNPAID_REQUESTS,
            KeyConditionExpression="awaiting = :awaiting AND unpaid_due < :before",
            ExpressionAttributeValues={":awaiting": AWAITING, ":before": before},
            Limit=limit,
        )["Items"]
        return [str(item["reference"]) for item in found]
