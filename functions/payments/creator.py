"""Creates that survive GOV.UK Pay's rate limit: a create Pay answers 429 (P0900) is queued and asked again by a
paced worker, so a launch-day spike fails no resident's payment.

Pay allows 15 POSTs a second per key for creating payments and sends no `Retry-After`. If every resident's page
waited its own turn, most of a spike at ten times that rate would run out of time. Instead:

- The web's payments function asks Pay once (`QUEUE_ON_429`: the adapter does not back off on a 429). On a 429
  Pay made nothing, so the attempt moves `creating` -> `queued` (a conditional write) and `{reference, attempt}`
  goes on the create queue (SSE-SQS, a DLQ after five receives, alarmed), first seen after `FIRST_DELAY_S`.
  The resident is shown "We are setting up your payment", a page that refreshes itself (`progress`) and goes on
  to Pay's card page once the attempt has its `next_url`.
- The worker (`payments.creator_handler`, one message an invocation, a few at once: the queue paces Pay) claims
  the attempt (`queued` -> `creating` with `claimed_at`, conditional: two deliveries of one message cannot both
  ask Pay), asks Pay once, and on another 429 puts it back (`creating` -> `queued`), waits an exponential backoff
  with full jitter and claims it again, while its invocation has time for one more create at its worst. Out of
  time, the message is handed back to the queue (a visibility timeout of a few seconds); after five receives it
  is on the dead-letter queue.
- Never two payments for one attempt: only the holder of the claim asks Pay, and the logic treats a claimed
  attempt as a create in flight (`claimed_at`), looked up by reference only after `CREATE_IN_FLIGHT`, like any
  create whose answer was lost.
- An attempt still queued `QUEUED_FOR_AT_MOST` after it was queued (the queue gave up; its DLQ alarm has fired)
  is given up by the reconciler (`queued` -> `not-created`, conditional, so a claim cannot race it): the
  resident's page then says no payment was set up and offers "Try again".
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from payments.adapters.pay import DEFAULT_POLICY, worst_case_seconds
from payments.logic import Outcome, Payments, iso
from payments.settings import settings
from payments.store import CREATING, NOT_CREATED, QUEUED, Attempt, update_if
from shared import aws
from shared.errors import BoroughError, NotFound
from shared.observability import logger

QUEUE_ON_429 = replace(DEFAULT_POLICY, retry_rate_limited=False)  # the web's adapter: a 429 is queued at once
FIRST_DELAY_S = 1  # Pay counts POSTs per second: the first retry waits for the next second at least
BACKOFF_BASE_S = 0.5  # before try n+1 the worker waits U(0, min(cap, base * 2**n))
BACKOFF_CAP_S = 8.0
# The worker starts a try only with this much of its invocation left: one create at its worst, and the writes.
RESERVE_S = worst_case_seconds(QUEUE_ON_429) + 2.0
HAND_BACK_S = (2, 15)  # out of time: the message is visible again after a random wait in this range (seconds)
QUEUED_FOR_AT_MOST = timedelta(minutes=15)  # more than five receives of the worker at its longest
WAITING = frozenset({QUEUED, CREATING})  # an attempt without Pay's answer yet: the resident's page waits


@dataclass(frozen=True)
class QueuedCreate:
    """A create queue message: which attempt to create (identifiers only; the amount is read from the table)."""

    reference: str
    attempt: int

    @classmethod
    def parse(cls, body: str) -> QueuedCreate:
        """Raises ValueError for a body that is not one of ours."""
        values = json.loads(body)
        if not isinstance(values, dict):
            raise ValueError("not an object")
        reference, number = values.get("reference"), values.get("attempt")
        if not isinstance(reference, str) or not isinstance(number, int) or isinstance(number, bool) or number < 1:
            raise ValueError("not a queued create")
        return cls(reference, number)

    def body(self) -> str:
        return json.dumps({"reference": self.reference, "attempt": self.attempt})


class CreateQueue:
    """The create queue and the attempt's moves between `creating` and `queued` (each a conditional write)."""

    def __init__(
        self, table_name: str, queue_url: str, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._table = aws.table(table_name)
        self.queue_url = queue_url
        self._clock = clock

    def put(self, attempt: Attempt) -> bool:
        """Pay rate-limited the web's create: the attempt is queued for the worker. False: not queued (the caller
        gives the attempt up and the resident is asked to try again)."""
        if not self._move(attempt, CREATING, QUEUED):
            return False
        from botocore.exceptions import BotoCoreError, ClientError

        message = QueuedCreate(attempt.reference, attempt.attempt)
        try:
            aws.client("sqs").send_message(
                QueueUrl=self.queue_url, MessageBody=message.body(), DelaySeconds=FIRST_DELAY_S
            )
        except (BotoCoreError, ClientError):
            logger.exception("Create not queued", extra={"reference": attempt.reference, "attempt": attempt.attempt})
            return False
        logger.info("Create queued (Pay answered 429)", extra={"reference": attempt.reference})
        return True

    def release(self, attempt: Attempt) -> bool:
        """The worker's create was rate-limited again: back to `queued`, for its next try."""
        return self._move(attempt, CREATING, QUEUED)

    def claim(self, create: QueuedCreate) -> Attempt | None:
        """The queued attempt, now `creating` and this worker's to ask Pay for; None when it is not queued (made,
        given up, or claimed by a repeated delivery of the same message)."""
        claimed = self._update(
            {"reference": create.reference, "attempt": create.attempt},
            "SET #status = :creating, claimed_at = :at, updated_at = :at",
            "#status = :queued AND finished = :no",
            {":creating": CREATING, ":queued": QUEUED, ":no": False},
            returning="ALL_NEW",
        )
        return Attempt.from_item(claimed) if claimed is not None else None

    def give_up_stale(self, attempt: Attempt) -> bool:
        """An attempt queued for longer than `QUEUED_FOR_AT_MOST` is finished as not-created (nothing was taken;
        the resident may try again). True when this call gave it up."""
        gave_up = self._changed(
            _key(attempt),
            "SET #status = :gone, finished = :yes, followed_up = :yes, code = :none, updated_at = :at "
            "REMOVE #open, claimed_at",
            "#status = :queued AND queued_at < :limit",
            {":gone": NOT_CREATED, ":yes": True, ":none": "", ":queued": QUEUED},
            limit=iso(self._clock() - QUEUED_FOR_AT_MOST),
        )
        if gave_up:
            logger.warning("Queued create given up", extra={"reference": attempt.reference, "attempt": attempt.attempt})
        return gave_up

    def hand_back(self, receipt_handle: str, rng: random.Random) -> None:
        """Out of time: the message comes back after a few seconds instead of the queue's visibility timeout."""
        aws.client("sqs").change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=rng.randint(*HAND_BACK_S)
        )

    def _move(self, attempt: Attempt, before: str, after: str) -> bool:
        return self._changed(
            _key(attempt),
            "SET #status = :after, updated_at = :at, queued_at = if_not_exists(queued_at, :at) REMOVE claimed_at",
            "#status = :before AND finished = :no",
            {":after": after, ":before": before, ":no": False},
        )

    def _changed(self, key: dict[str, Any], update: str, condition: str, values: dict[str, Any], **more: str) -> bool:
        return self._update(key, update, condition, values, **more) is not None

    def _update(
        self,
        key: dict[str, Any],
        update: str,
        condition: str,
        values: dict[str, Any],
        *,
        limit: str = "",
        returning: str = "NONE",
    ) -> dict[str, Any] | None:
        """One conditional write of the attempt `key` (`:at` is now; `#status`, `#open` name those attributes): the
        attributes asked for (`returning`), or None when the condition did not hold."""
        names = {"#status": "status"} | ({"#open": "open"} if "#open" in update else {})
        return update_if(
            self._table,
            Key=key,
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values | {":at": self._now()} | ({":limit": limit} if limit else {}),
            ReturnValues=returning,
        )

    def _now(self) -> str:
        return iso(self._clock())


def _key(attempt: Attempt) -> dict[str, Any]:
    return {"reference": attempt.reference, "attempt": attempt.attempt}


def work(
    service: Payments,
    queue: CreateQueue,
    create: QueuedCreate,
    *,
    seconds_left: Callable[[], float],
    sleep: Callable[[float], None],
    rng: random.Random,
    correlation_id: str,
) -> bool:
    """Ask Pay for a queued create until it is made (or given up) or the time is up. True: the message is done;
    False: still rate-limited, hand it back."""
    tries = 0
    while True:
        attempt = queue.claim(create)
        if attempt is None:
            return True
        try:
            outcome = service.create_claimed(attempt, on_rate_limited=queue.release, correlation_id=correlation_id)
        except BoroughError:
            # Pay refused it or could not be reached: the attempt is not-created (or, if Pay may have made it,
            # still `creating`, which the reconciler looks up); either way the resident's page says so.
            logger.exception("Queued create failed", extra={"reference": create.reference})
            return True
        if outcome.status != QUEUED:
            logger.info("Queued create made", extra={"reference": create.reference, "tries": tries + 1})
            return True
        tries += 1
        pause = rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**tries))
        if seconds_left() - pause < RESERVE_S:
            return False
        sleep(pause)


def progress(service: Payments, reference: str, *, correlation_id: str) -> Outcome:
    """Where the request's latest attempt stands (the "setting up your payment" page): nothing new is created;
    an attempt Pay made is read from Pay."""
    latest = service.store.latest(reference)
    if latest is None:
        raise NotFound(f"There is no payment for {reference}.")
    return service.outcome(service.on_attempt(latest, correlation_id=correlation_id))


@cache
def create_queue() -> CreateQueue:
    configured = settings()
    return CreateQueue(configured.payments_table, configured.create_queue_url)


def reset() -> None:
    create_queue.cache_clear()
