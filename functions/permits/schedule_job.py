"""The permits' daily job (the PermitSchedule function, an EventBridge daily rule): every step whose day has come,
done once (`permits.schedule` says which step falls on which London day).

It Queries the sparse `by-due` index for `due_on = <day>`, for today and the `CATCH_UP_DAYS` before (a missed run's
steps are done late), never a Scan, reads each item (GetItem) and claims its step with a conditional write that
moves `due_on` on to the next step, or removes it, under the condition that `due_on` is still the day it was found
under (and the application still unpaid, or the permit still active):

- an application's warning: `due_on` to the cancellation day, with the `outbox` envelope of
  `permit-application-expiring` (`{reference, cancels_on}`) in the same write;
- its cancellation: status `cancelled`, `due_on` removed, `permit-application-cancelled` (`{reference}`) in the
  same write, in a transaction that checks its permit was not issued meanwhile (the issuer checks the
  application is still unpaid when it writes the permit: one of the two wins; a payment that lands after the
  cancellation is `paid-not-issued`, for a refund: permits.issuing);
- a permit's renewal reminder: `due_on` to the next step, with `permit-renewal-due` (`{reference, permit_id,
  valid_to, days_left}`);
- its expiry: `PermitsStore.end(id, EXPIRED, due_on=day)`: the status, the VRM guard and the household counter in
  one transaction, under the same `due_on` condition.

Event ids are derived (`<reference>:application-expiring`, `<permit id>:renewal-due:<28|7>` ...), so a step is
announced under one id whatever happens; the condition on `due_on` makes a second run (EventBridge's retry, a
person's rerun, two runs at once) do nothing more. The events are published from the table's stream (the outbox).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from permits.application import CANCELLED, PENDING_PAYMENT
from permits.issuing import permit_id_for
from permits.schedule import (
    BY_DUE,
    Action,
    Step,
    application_steps,
    days_to_look_at,
    due_step,
    london_day,
    made_on,
    permit_steps,
)
from permits.settings import schedule_settings
from permits.store import PermitNotActive, PermitsStore, Status
from shared import aws, outbox
from shared.events import EventEnvelope, EventType, derived_id, new_event
from shared.observability import logger, metrics, observed

# An item is begun only with this much of the invocation left: a GetItem and one (transactional) write.
SECONDS_PER_ITEM = 2.0
SOURCE = "permits"


def _event(type_: EventType, what: str, data: dict[str, Any], correlation_id: str) -> EventEnvelope:
    return new_event(type_, source=SOURCE, correlation_id=correlation_id, id_=derived_id(what), data=data)


def application_expiring(reference: str, cancels_on: date, correlation_id: str) -> EventEnvelope:
    data = {"reference": reference, "cancels_on": cancels_on.isoformat()}
    return _event(EventType.PERMIT_APPLICATION_EXPIRING, f"{reference}:application-expiring", data, correlation_id)


def application_cancelled(reference: str, correlation_id: str) -> EventEnvelope:
    data = {"reference": reference}
    return _event(EventType.PERMIT_APPLICATION_CANCELLED, f"{reference}:application-cancelled", data, correlation_id)


def renewal_due(item: dict[str, Any], step: Step, today: date, correlation_id: str) -> EventEnvelope:
    valid_to = date.fromisoformat(str(item["valid_to"]))
    data = {
        "reference": str(item.get("reference", "")),
        "permit_id": str(item["permit_id"]),
        "valid_to": valid_to.isoformat(),
        "days_left": (valid_to - today).days,
    }
    what = f"{item['permit_id']}:renewal-due:{step.days_before}"
    return _event(EventType.PERMIT_RENEWAL_DUE, what, data, correlation_id)


def _conditional_failed(error: Exception) -> bool:
    code = (getattr(error, "response", {}) or {}).get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


class PermitSchedule:
    """One run's work on the Permits table (`table`: a boto3 Table)."""

    def __init__(self, table: Any, *, correlation_id: str = "permit-schedule") -> None:
        self._table, self._client = table, table.meta.client
        self._store = PermitsStore(table)
        self._correlation_id = correlation_id

    def due(self, day: date) -> Iterator[dict[str, str]]:
        """The keys of the items whose `due_on` is `day`: one Query of `by-due` (paged)."""
        request: dict[str, Any] = {
            "IndexName": BY_DUE,
            "KeyConditionExpression": "due_on = :day",
            "ExpressionAttributeValues": {":day": day.isoformat()},
        }
        while True:
            page = self._table.query(**request)
            for item in page.get("Items", []):
                yield {"pk": str(item["pk"]), "sk": str(item["sk"])}
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def run(self, today: date, *, seconds_left: Callable[[], float] = lambda: float("inf")) -> dict[str, int]:
        """Counts: items found due, steps done (by action), skipped (done already or changed meanwhile) and failed
        (left as they were: the next run, within `CATCH_UP_DAYS`, tries again)."""
        counts = {"due": 0, "skipped": 0, "failed": 0, **{str(action): 0 for action in Action}}
        for day in days_to_look_at(today):
            for key in self.due(day):
                if seconds_left() < SECONDS_PER_ITEM:
                    logger.warning("Permit schedule stopped for time", extra=counts)
                    return counts  # the rest keep their due_on: the next run carries on
                counts["due"] += 1
                try:
                    done = self.step(key, day, today)
                except Exception:
                    logger.exception("Permit step failed", extra={"pk": key["pk"], "due_on": day.isoformat()})
                    counts["failed"] += 1
                    continue
                counts[str(done) if done else "skipped"] += 1
        return counts

    def step(self, key: dict[str, str], day: date, today: date) -> Action | None:
        """Do the step due on `key`'s item (found under `due_on = day`); None when there was nothing to do."""
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        if not item or item.get("due_on") != day.isoformat():
            return None  # done by another run, or moved meanwhile
        if item.get("record") == "APPLICATION":
            if item.get("status") != PENDING_PAYMENT:
                self._move(key, day, None, condition="")  # paid meanwhile: nothing left to do
                return None
            return self._application(item, key, day, today)
        if item.get("record") == "PERMIT":
            if item.get("status") != str(Status.ACTIVE):
                self._move(key, day, None, condition="")  # ended meanwhile
                return None
            return self._permit(item, key, day, today)
        logger.warning("An item with due_on is neither an application nor a permit", extra={"pk": key["pk"]})
        return None

    # -- applications -----------------------------------------------------------------------------------------------
    def _application(self, item: dict[str, Any], key: dict[str, str], day: date, today: date) -> Action | None:
        reference = str(item["reference"])
        steps = application_steps(made_on(str(item["created_at"])))
        step, later = due_step(steps, day, today)
        pending = "#status = :pending"
        if step is None:  # its dates changed since: on to its next step
            self._move(key, day, later, condition=pending, values={":pending": PENDING_PAYMENT})
            return None
        if step.action is Action.WARN:
            cancels_on = steps[-1].on
            event = application_expiring(reference, cancels_on, self._correlation_id)
            moved = self._move(key, day, later, condition=pending, values={":pending": PENDING_PAYMENT}, event=event)
            return Action.WARN if moved else None
        return self._cancel(reference, key, day, today)

    def cancel_unpaid(self, reference: str, today: date) -> bool:
        """The permit journey's cancellation when its wait for payment times out (permits.journey): the same write
        and event as the daily job's, whatever the application's `due_on`; False if it was not unpaid any more."""
        key = {"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"}
        return self._cancel(reference, key, None, today) is Action.CANCEL

    def _cancel(self, reference: str, key: dict[str, str], day: date | None, today: date) -> Action | None:
        """`day`: the `due_on` the item was found under (the daily job), or None (the journey's timeout)."""
        from botocore.exceptions import ClientError

        event = application_cancelled(reference, self._correlation_id)
        name = self._table.name
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": name,
                            "Key": key,
                            "UpdateExpression": "SET #status = :cancelled, cancelled_on = :today, #outbox = :event "
                            "REMOVE due_on",
                            "ConditionExpression": "#status = :pending" + ("" if day is None else " AND due_on = :day"),
                            "ExpressionAttributeNames": {"#status": "status", "#outbox": outbox.ATTRIBUTE},
                            "ExpressionAttributeValues": {
                                ":cancelled": CANCELLED,
                                ":pending": PENDING_PAYMENT,
                                ":today": today.isoformat(),
                                ":event": outbox.stored(event),
                                **({} if day is None else {":day": day.isoformat()}),
                            },
                        }
                    },
                    {
                        # Not issued meanwhile: the issuer checks the application is unpaid as it writes the permit.
                        "ConditionCheck": {
                            "TableName": name,
                            "Key": {"pk": f"PERMIT#{permit_id_for(reference)}", "sk": "PERMIT"},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if _conditional_failed(error):
                return None
            raise
        logger.info("Unpaid permit application cancelled", extra={"reference": reference})
        return Action.CANCEL

    # -- permits ------------------------------------------------------------------------------------------------------
    def _permit(self, item: dict[str, Any], key: dict[str, str], day: date, today: date) -> Action | None:
        step, later = due_step(permit_steps(date.fromisoformat(str(item["valid_to"]))), day, today)
        active = {":active": str(Status.ACTIVE)}
        if step is None:  # its dates changed since (a later last day): on to its next step
            self._move(key, day, later, condition="#status = :active", values=active)
            return None
        if step.action is Action.REMIND:
            event = renewal_due(item, step, today, self._correlation_id)
            moved = self._move(key, day, later, condition="#status = :active", values=active, event=event)
            return Action.REMIND if moved else None
        try:
            self._store.end(str(item["permit_id"]), Status.EXPIRED, due_on=day.isoformat())
        except PermitNotActive:
            return None  # ended meanwhile (revoked, or by another run)
        logger.info("Permit expired", extra={"permit_id": str(item["permit_id"])})
        return Action.EXPIRE

    def _move(
        self,
        key: dict[str, str],
        day: date,
        to: date | None,
        *,
        condition: str,
        values: dict[str, Any] | None = None,
        event: EventEnvelope | None = None,
    ) -> bool:
        """`due_on` from `day` to `to` (removed when None), with `event`'s envelope in the same write; False when
        the item moved on meanwhile (or `condition` failed)."""
        from botocore.exceptions import ClientError

        sets = (["due_on = :to"] if to else []) + (["#outbox = :event"] if event else [])
        expression = (f"SET {', '.join(sets)} " if sets else "") + ("" if to else "REMOVE due_on")
        names = {"#status": "status"} if "#status" in condition else {}
        if event:
            names["#outbox"] = outbox.ATTRIBUTE
        all_values: dict[str, Any] = {":day": day.isoformat(), **(values or {})}
        if to:
            all_values[":to"] = to.isoformat()
        if event:
            all_values[":event"] = outbox.stored(event)
        request: dict[str, Any] = {
            "Key": key,
            "UpdateExpression": expression.strip(),
            "ConditionExpression": "due_on = :day" + (f" AND {condition}" if condition else ""),
            "ExpressionAttributeValues": all_values,
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            self._table.update_item(**request)
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise
        return True


def run_day(event: Any) -> date:
    """The London day a run is for: `{"date": "YYYY-MM-DD"}` (a person catching up, the local end-to-end test),
    else EventBridge's `time`, else now."""
    if isinstance(event, dict) and event.get("date"):
        return date.fromisoformat(str(event["date"]))
    if isinstance(event, dict) and event.get("time"):
        return london_day(datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00")))
    return london_day(datetime.now(UTC))


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    configured = schedule_settings()
    today = run_day(event)
    counts = PermitSchedule(aws.table(configured.permits_table)).run(
        today, seconds_left=lambda: context.get_remaining_time_in_millis() / 1000
    )
    for action in Action:
        metrics.add_metric(name=f"PermitSteps{action.name.title()}", unit=MetricUnit.Count, value=counts[str(action)])
    metrics.add_metric(name="PermitStepsFailed", unit=MetricUnit.Count, value=counts["failed"])
    logger.info("Permit schedule", extra={"day": today.isoformat(), **counts})
    if counts["failed"]:
        # The function's Errors alarm tells a person; EventBridge's retries run it again (a step done is not redone)
        raise StepsFailed(f"{counts['failed']} permit step(s) failed: left for the retry or the next run")
    return counts


class StepsFailed(RuntimeError):
    """Some steps failed (logged each): they keep their `due_on` and are tried again."""
