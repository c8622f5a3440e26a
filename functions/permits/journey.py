"""The permit journey's steps, as the Standard state machine runs them (workflows/permit_journey.asl.json).

The apply path (`permits.application`) checks eligibility and the vehicle and prices the application before it is
stored, because the resident needs the price at once to pay; once it is stored it starts one execution per
application, named by its reference, with the reference as input (`start_journey`; and `free: true` for an
application priced at £0, which the apply path has issued already: its execution waits for no payment). The
execution's states are the PermitJourney function's steps (`permits.journey_handler`), each a function here:

- `keep_token`: the execution waits for the payment (`lambda:invoke.waitForTaskToken`); the task token is kept on
  the application (`journey_token`), conditionally on its still being unpaid, for the order-paid consumer;
- `resume` (the order-paid consumer, `permits.issue_handler`): the paid order's event sent to the waiting
  execution (`SendTaskSuccess`); an application with no token kept (no execution started, or it has not come to
  wait yet) or none waited for (it ended) is issued by the consumer itself, as before the journey existed, and
  `hand_over` then sends the event to an execution that kept its token meanwhile;
- `issue`: `permits.issuing.issue_paid` with that event: the eligibility that can change while the resident pays
  (the mark and the household's place) is checked again in the permit's transaction;
- `schedule`: the issued permit's steps (reminders 28 and 7 days before its last day, the expiry) and its first
  `due_on`, where the daily job (`permits.schedule_job`) finds it;
- `cancel`: 30 days unpaid, the wait times out and the application is cancelled, as the daily job would
  (`permits.schedule_job.PermitSchedule.cancel_unpaid`: the same write and event, so only one of the two does it).

Nothing here logs a task token or execution data: ids, steps and outcomes only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from permits.application import ISSUED, PENDING_PAYMENT, SERVICE_ID
from permits.issuing import issue_free, issue_paid
from permits.refund_client import Refunder
from permits.schedule import first_due, permit_steps
from permits.store import PERMIT, PermitsStore, Status
from shared.events import EventEnvelope, EventType
from shared.observability import logger
from shared.references import normalise_reference

TOKEN_ATTRIBUTE = "journey_token"  # noqa: S105 - the attribute holding the task token, not a secret
# What the consumer does with an order-paid event (its log's `outcome`).
RESUMED, ISSUE_DIRECTLY = "resumed", "issue-directly"
# SendTaskSuccess's refusals that mean no execution waits for the token any more: the consumer issues itself.
_NOT_WAITING = ("InvalidToken", "TaskDoesNotExist", "TaskTimedOut")


class NotAwaitingPayment(Exception):
    """The application is not unpaid (paid, cancelled or gone) when the execution comes to wait for its payment: the
    state machine ends the journey (its Catch names this error)."""


def execution_name(reference: str) -> str:
    """One execution per application: its reference (StartExecution with the same name and input is idempotent)."""
    return reference


def execution_arn(machine_arn: str, reference: str) -> str:
    """The application's execution: `arn:...:stateMachine:<name>` -> `arn:...:execution:<name>:<reference>`."""
    head, _, name = machine_arn.rpartition(":stateMachine:")
    if not head or not name:
        raise ValueError("Not a state machine ARN.")
    return f"{head}:execution:{name}:{execution_name(reference)}"


def start_journey(states: Any, machine_arn: str, reference: str, *, free: bool = False) -> str:
    """Start the application's execution (`states`: a boto3 Step Functions client); its ARN. `free` (priced at £0):
    the execution waits for no payment (its PaidOrFree choice goes straight to Issue, with no payment)."""
    started = states.start_execution(
        stateMachineArn=machine_arn, name=execution_name(reference), input=journey_input(reference, free=free)
    )
    return str(started["executionArn"])


def journey_input(reference: str, *, free: bool = False) -> str:
    """The execution's input: the reference, and `free` (true for an application priced at £0). Always present:
    moto's interpreter evaluates every operand of the Choice's `And` (AWS stops at a false IsPresent), so an
    absent `$.free` would be an error there."""
    return json.dumps({"reference": reference, "free": free})


def keep_token(table: Any, reference: str, token: str) -> dict[str, str]:
    """The waiting execution's task token on the unpaid application; NotAwaitingPayment if it is not unpaid."""
    from botocore.exceptions import ClientError

    if not token:
        raise ValueError("No task token: the state machine passes $$.Task.Token.")
    try:
        table.update_item(
            Key={"pk": f"APPLICATION#{reference}", "sk": "APPLICATION"},
            UpdateExpression="SET #token = :token",
            ConditionExpression="#status = :pending",
            ExpressionAttributeNames={"#token": TOKEN_ATTRIBUTE, "#status": "status"},
            ExpressionAttributeValues={":token": token, ":pending": PENDING_PAYMENT},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise NotAwaitingPayment(f"Application {reference} is not awaiting payment.") from None
        raise
    return {"reference": reference, "status": PENDING_PAYMENT}


def resume(store: PermitsStore, event: EventEnvelope, *, send_success: Callable[[str, str], None]) -> str:
    """The order-paid consumer's side: RESUMED (the event sent to the waiting execution, whose Issue state issues
    the permit) or ISSUE_DIRECTLY (no token kept, or none waited for any more: the consumer issues, as issuing
    always did, then calls `hand_over`). `send_success(token, output)` is SendTaskSuccess (a botocore ClientError
    when refused)."""
    if event.type is not EventType.ORDER_PAID or event.data.get("service_id") != SERVICE_ID:
        return ISSUE_DIRECTLY
    item = store.get_application(str(event.data["reference"]))
    if item is None or item.get("status") != PENDING_PAYMENT:
        return ISSUE_DIRECTLY  # issued already, cancelled, or unknown: issuing says which (and refunds)
    return RESUMED if _send(item, event, send_success) else ISSUE_DIRECTLY


def hand_over(store: PermitsStore, event: EventEnvelope, *, send_success: Callable[[str, str], None]) -> bool:
    """After the consumer issued (or refused) a paid application itself: an execution that kept its token
    meanwhile (it started waiting between the consumer's read and its issue) is sent the event too, so that it
    goes on (its Issue state finds the permit issued, once) instead of waiting 30 days. An execution that keeps its
    token later finds the application no longer unpaid (NotAwaitingPayment) and ends."""
    if event.type is not EventType.ORDER_PAID or event.data.get("service_id") != SERVICE_ID:
        return False
    item = store.get_application(str(event.data["reference"]))
    return item is not None and _send(item, event, send_success)


def _send(item: dict[str, Any], event: EventEnvelope, send_success: Callable[[str, str], None]) -> bool:
    """The event to the execution waiting on the application's token; False if none is kept or waited for."""
    from botocore.exceptions import ClientError

    token = str(item.get(TOKEN_ATTRIBUTE) or "")
    if not token:
        return False
    try:
        send_success(token, event.model_dump_json())
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _NOT_WAITING:
            return False
        raise
    return True


def issue(table: Any, paid: dict[str, Any], *, refund: Refunder | None) -> dict[str, str]:
    """The Issue state: the paid order's event (as `resume` sent it) issues the permit (permits.issuing); or, for a
    free application, the NoPayment state's `{"free": true, "reference"}` issues it with no payment (`issue_free`:
    `not-free` for an application with a price, which ends the journey as PaidNotIssued does, issuing nothing)."""
    if paid.get("free") is True:
        reference = normalise_reference(str(paid.get("reference") or ""))
        if not reference:
            raise ValueError("issue: a free issue needs the application's reference.")
        free = issue_free(PermitsStore(table), reference, correlation_id="permit-journey")
        return {"outcome": free.outcome, "permit_id": free.permit_id}
    event = EventEnvelope.model_validate(paid)
    issued = issue_paid(PermitsStore(table), event, refund=refund)
    return {"outcome": issued.outcome, "permit_id": issued.permit_id}


def schedule(table: Any, reference: str, today: date) -> dict[str, Any]:
    """The ScheduleReminders state: the issued permit's steps, and its first `due_on` (written at issue; set here
    if it is missing) for the daily job. Nothing is scheduled for a permit no longer active."""
    from botocore.exceptions import ClientError

    nothing: dict[str, Any] = {"scheduled": False, "permit_id": "", "due_on": "", "steps": []}
    application = PermitsStore(table).get_application(reference)
    if application is None or application.get("status") != ISSUED:
        return nothing
    permit_id = str(application["permit_id"])
    key = {"pk": f"PERMIT#{permit_id}", "sk": PERMIT}
    item = table.get_item(Key=key, ConsistentRead=True).get("Item")
    if item is None or item.get("status") != str(Status.ACTIVE):
        return {**nothing, "permit_id": permit_id}
    steps = [s for s in permit_steps(date.fromisoformat(str(item["valid_to"]))) if s.on >= today]
    due = str(item.get("due_on") or "")
    first = first_due(tuple(steps), today)
    if not due and first is not None:
        try:
            table.update_item(
                Key=key,
                UpdateExpression="SET due_on = :due",
                ConditionExpression="attribute_not_exists(due_on) AND #status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":due": first.isoformat(), ":active": str(Status.ACTIVE)},
            )
            due = first.isoformat()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
    logger.info("Permit steps scheduled", extra={"reference": reference, "steps": len(steps)})
    return {
        "scheduled": bool(due),
        "permit_id": permit_id,
        "due_on": due,
        "steps": [{"action": str(s.action), "on": s.on.isoformat()} for s in steps],
    }


def cancel(table: Any, reference: str, today: date) -> dict[str, Any]:
    """The CancelUnpaid state (the wait for payment timed out after 30 days): the unpaid application cancelled with
    its `permit-application-cancelled` event, unless it was paid or cancelled by the daily job meanwhile."""
    from permits.schedule_job import PermitSchedule

    cancelled = PermitSchedule(table, correlation_id="permit-journey").cancel_unpaid(reference, today)
    return {"cancelled": cancelled}
