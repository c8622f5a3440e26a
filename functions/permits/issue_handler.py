"""The permits consumer: `order-paid` from its SQS queue resumes the paid application's journey (its state machine's
execution waiting for the payment: SendTaskSuccess, permits.journey), which issues the permit; with no execution
waiting it issues the permit itself (permits.issuing). Or it applies a paid change of vehicle
(`parking-permit-change`, permits.changes) or makes a paid move into another zone (`parking-permit-move`,
permits.moving); what was paid but cannot be issued or applied is refunded through payments; and
`permit-evidence-checked` (staff verified or rejected an uploaded document, permits.evidence) issues or refunds a
paid application held for it.

A record that fails (the table unreachable) is a batch item failure: SQS delivers it again, and after the queue's
five receives parks it on the dead-letter queue (alarmed). Issuing is conditional, so a redelivery issues nothing
twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from permits.application import Applications, VehicleSource
from permits.changes import CHANGE_SERVICE_ID, Changes
from permits.issuing import evidence_checked, issue_paid
from permits.journey import RESUMED, hand_over, resume
from permits.moving import MOVE_SERVICE_ID, Moves
from permits.refund_client import Refunder, invoking
from permits.settings import issue_settings
from permits.store import PermitsStore
from permits.zones import load_zones
from shared import aws
from shared.events import EventEnvelope
from shared.events import EventType as Type
from shared.observability import logger, observed

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def _handle(record: SQSRecord) -> None:
    event = EventEnvelope.model_validate_json(record.body)
    logger.set_correlation_id(event.correlation_id)
    configured = issue_settings()
    store = PermitsStore(aws.table(configured.permits_table))
    refund = invoking(configured.order_refunds_function)
    if event.type is Type.ORDER_PAID and event.data.get("service_id") == CHANGE_SERVICE_ID:
        outcome = _changes(store, refund).apply_paid_change(
            str(event.data["reference"]),
            int(str(event.data.get("amount_pence", "0")) or 0),
            str(event.data.get("payment_id", "")),
        )
    elif event.type is Type.ORDER_PAID and event.data.get("service_id") == MOVE_SERVICE_ID:
        outcome = _moves(store, refund).apply_paid_move(
            str(event.data["reference"]),
            int(str(event.data.get("amount_pence", "0")) or 0),
            str(event.data.get("payment_id", "")),
        )
    elif event.type is Type.PERMIT_EVIDENCE_CHECKED:  # staff checked a held application's upload (permits.evidence)
        outcome = evidence_checked(store, event, refund=refund).outcome
    else:
        outcome = _resume_or_issue(store, event, configured.permit_journey, refund)
    logger.info("Permits: event applied", extra={"event_id": event.id, "outcome": outcome})


def _resume_or_issue(store: PermitsStore, event: EventEnvelope, machine_arn: str, refund: Refunder) -> str:
    """The paid application's waiting journey resumed (permits.journey: its Issue state issues the permit), or,
    with no execution waiting, the permit issued here (and an execution that began waiting meanwhile told)."""
    if not machine_arn:
        return issue_paid(store, event, refund=refund).outcome
    states = aws.client("stepfunctions")

    def send_success(token: str, output: str) -> None:
        states.send_task_success(taskToken=token, output=output)

    if resume(store, event, send_success=send_success) == RESUMED:
        return RESUMED
    outcome = issue_paid(store, event, refund=refund).outcome
    hand_over(store, event, send_success=send_success)
    return outcome


def _changes(store: PermitsStore, refund: Refunder) -> Changes:
    """Changes for applying a paid change of vehicle: no DVLA (the vehicle was checked when the change was asked)."""

    def no_enquiries() -> VehicleSource:
        raise RuntimeError("The issuer makes no DVLA enquiry.")

    return Changes(applications=Applications(zones=load_zones(), store=store, vehicles=no_enquiries), refund=refund)


def _moves(store: PermitsStore, refund: Refunder) -> Moves:
    """Moves for making a paid move: its checks were made when it was asked, the transaction's conditions hold them."""
    return Moves(applications=_changes(store, refund).applications, refund=refund)


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    issue_settings()
    return process_partial_response(event=event, record_handler=_handle, processor=processor, context=context)
