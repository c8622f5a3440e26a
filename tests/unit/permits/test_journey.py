"""The permit journey's steps (`permits.journey`), as its state machine runs them, against moto's DynamoDB: the
execution started once an application is stored, the task token kept only on an unpaid application, the consumer's
resume (or its own issue when no execution waits), the Issue and ScheduleReminders steps, the cancellation after
the wait times out; and the definition (workflows/permit_journey.asl.json) naming what the code does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from permits import journey
from permits.application import CANCELLED, ISSUED, PENDING_PAYMENT, Application, Applications
from permits.eligibility import NotEligible
from permits.issuing import issue_paid
from permits.schedule import CANCEL_AFTER_DAYS, REMINDER_DAYS
from permits.store import PermitsStore
from permits.zones import load_zones
from shared import outbox
from shared.events import EventEnvelope
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import NOW, Dvla, request
from tests.unit.permits.test_issuing import paid

pytestmark = pytest.mark.unit

DEFINITION = json.loads((Path(__file__).resolve().parents[3] / "workflows" / "permit_journey.asl.json").read_text())
TODAY = date(2026, 6, 1)


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


def applied(table: Any, started: list[str] | None = None, **changes: Any) -> Application:
    service = Applications(
        zones=load_zones(), store=PermitsStore(table), vehicles=Dvla, clock=lambda: NOW,
        start_journey=(lambda a: started.append(a.reference)) if started is not None else None,
    )  # fmt: skip
    return service.apply(request(**changes))


def item(table: Any, reference: str) -> dict[str, Any]:
    found = PermitsStore(table).get_application(reference)
    assert found is not None
    return found


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "SendTaskSuccess")


class States:
    """SendTaskSuccess as the consumer calls it."""

    def __init__(self, *, refuse: str = "") -> None:
        self.sent: list[tuple[str, str]] = []
        self.refuse = refuse

    def send(self, token: str, output: str) -> None:
        if self.refuse:
            raise client_error(self.refuse)
        self.sent.append((token, output))


def resumed(table: Any, event: EventEnvelope, states: States) -> str:
    return journey.resume(PermitsStore(table), event, send_success=states.send)


def test_the_journey_starts_once_the_application_is_stored_and_not_for_a_refusal(table):
    started: list[str] = []
    application = applied(table, started)
    assert started == [application.reference]
    assert item(table, application.reference)["status"] == PENDING_PAYMENT  # stored before the start
    with pytest.raises(NotEligible):
        applied(table, started, vrm="AB12CDE")  # DVLA knows no such vehicle: nothing stored, nothing started
    assert started == [application.reference]


def test_start_journey_names_the_execution_by_the_reference_with_the_reference_and_free_as_input():
    calls: list[dict[str, Any]] = []

    class Client:
        def start_execution(self, **kwargs: Any) -> dict[str, str]:
            calls.append(kwargs)
            return {"executionArn": "arn:x"}

    machine = "arn:aws:states:eu-west-2:123456789012:stateMachine:Borough-dev-PermitJourney"
    assert journey.start_journey(Client(), machine, "AC3E-4679") == "arn:x"
    expected = {"stateMachineArn": machine, "name": "AC3E-4679", "input": '{"reference": "AC3E-4679", "free": false}'}
    assert calls == [expected]
    assert journey.execution_arn(machine, "AC3E-4679") == (
        "arn:aws:states:eu-west-2:123456789012:execution:Borough-dev-PermitJourney:AC3E-4679"
    )
    with pytest.raises(ValueError, match="state machine"):
        journey.execution_arn("arn:aws:lambda:eu-west-2:123456789012:function:F", "AC3E-4679")


def test_the_token_is_kept_on_an_unpaid_application_only(table):
    application = applied(table)
    assert journey.keep_token(table, application.reference, "t-1") == {
        "reference": application.reference,
        "status": PENDING_PAYMENT,
    }
    assert item(table, application.reference)[journey.TOKEN_ATTRIBUTE] == "t-1"
    with pytest.raises(ValueError, match="token"):
        journey.keep_token(table, application.reference, "")
    PermitsStore(table).move_application(application.reference, expected=PENDING_PAYMENT, status=CANCELLED)
    with pytest.raises(journey.NotAwaitingPayment):
        journey.keep_token(table, application.reference, "t-2")
    assert item(table, application.reference)[journey.TOKEN_ATTRIBUTE] == "t-1"  # nothing written
    with pytest.raises(journey.NotAwaitingPayment):
        journey.keep_token(table, "AC3E-4679", "t-3")  # no such application: nothing created
    assert PermitsStore(table).get_application("AC3E-4679") is None


def test_a_paid_order_resumes_the_waiting_execution_with_the_event(table):
    application = applied(table)
    journey.keep_token(table, application.reference, "t-1")
    states = States()
    event = paid(application)
    assert resumed(table, event, states) == journey.RESUMED
    [(token, output)] = states.sent
    assert token == "t-1"
    assert EventEnvelope.model_validate_json(output) == event
    assert "resident@example.org" not in output  # the event carries ids and the amount only
    assert item(table, application.reference)["status"] == PENDING_PAYMENT  # the execution issues, not the consumer


@pytest.mark.parametrize("code", ["InvalidToken", "TaskDoesNotExist", "TaskTimedOut"])
def test_a_token_no_execution_waits_for_is_issued_by_the_consumer(table, code):
    application = applied(table)
    journey.keep_token(table, application.reference, "t-1")
    assert resumed(table, paid(application), States(refuse=code)) == journey.ISSUE_DIRECTLY


def test_another_refusal_of_the_token_fails_the_record(table):
    application = applied(table)
    journey.keep_token(table, application.reference, "t-1")
    with pytest.raises(ClientError):
        resumed(table, paid(application), States(refuse="AccessDeniedException"))


def test_without_a_token_the_consumer_issues_and_hands_over_to_an_execution_that_began_waiting_meanwhile(table):
    application = applied(table)
    states = States()
    event = paid(application)
    assert resumed(table, event, states) == journey.ISSUE_DIRECTLY  # no execution has kept a token yet
    store = PermitsStore(table)
    assert journey.hand_over(store, event, send_success=states.send) is False  # none kept still: nothing sent
    journey.keep_token(table, application.reference, "t-1")  # the execution comes to wait before the issue...
    assert issue_paid(store, event).outcome == ISSUED  # ...the consumer issues...
    assert journey.hand_over(store, event, send_success=states.send) is True  # ...and the execution is told
    assert [token for token, _ in states.sent] == ["t-1"]
    assert journey.hand_over(store, event, send_success=States(refuse="InvalidToken").send) is False
    with pytest.raises(journey.NotAwaitingPayment):  # an execution that comes to wait after the issue ends
        journey.keep_token(table, application.reference, "t-2")


def test_an_application_not_unpaid_or_another_services_order_is_left_to_issuing(table):
    application = applied(table)
    journey.keep_token(table, application.reference, "t-1")
    states = States()
    assert resumed(table, paid(application, service_id="bulky-waste"), states) == journey.ISSUE_DIRECTLY
    PermitsStore(table).move_application(application.reference, expected=PENDING_PAYMENT, status=CANCELLED)
    assert resumed(table, paid(application), states) == journey.ISSUE_DIRECTLY  # issuing refunds it
    assert states.sent == []


def test_the_issue_step_issues_once_and_schedule_gives_the_permits_steps(table):
    application = applied(table)
    event = json.loads(paid(application).model_dump_json())
    issued = journey.issue(table, event, refund=None)
    assert issued["outcome"] == ISSUED
    assert journey.issue(table, event, refund=None) == {"outcome": "already-issued", "permit_id": issued["permit_id"]}
    scheduled = journey.schedule(table, application.reference, TODAY)
    last = application.valid_to
    assert scheduled["steps"] == [
        *({"action": "remind", "on": (last - timedelta(days=d)).isoformat()} for d in sorted(REMINDER_DAYS)[::-1]),
        {"action": "expire", "on": (last + timedelta(days=1)).isoformat()},
    ]
    permit = table.get_item(Key={"pk": f"PERMIT#{issued['permit_id']}", "sk": "PERMIT"})["Item"]
    assert scheduled["due_on"] == permit["due_on"]
    assert scheduled["scheduled"] is True


def test_schedule_writes_a_missing_first_step_and_nothing_for_an_application_not_issued(table):
    application = applied(table)
    assert journey.schedule(table, application.reference, TODAY)["scheduled"] is False
    issued = journey.issue(table, json.loads(paid(application).model_dump_json()), refund=None)
    key = {"pk": f"PERMIT#{issued['permit_id']}", "sk": "PERMIT"}
    table.update_item(Key=key, UpdateExpression="REMOVE due_on")
    scheduled = journey.schedule(table, application.reference, TODAY)
    first = (application.valid_to - timedelta(days=max(REMINDER_DAYS))).isoformat()
    assert scheduled["due_on"] == first
    assert table.get_item(Key=key)["Item"]["due_on"] == first


def test_the_timed_out_wait_cancels_an_unpaid_application_once_with_its_event(table):
    application = applied(table)
    assert journey.cancel(table, application.reference, TODAY) == {"cancelled": True}
    cancelled = item(table, application.reference)
    assert cancelled["status"] == CANCELLED
    assert "due_on" not in cancelled
    assert outbox.ATTRIBUTE in cancelled
    assert journey.cancel(table, application.reference, TODAY) == {"cancelled": False}
    issued = applied(table, vrm="KX68DSL")
    journey.issue(table, json.loads(paid(issued).model_dump_json()), refund=None)
    assert journey.cancel(table, issued.reference, TODAY) == {"cancelled": False}
    assert item(table, issued.reference)["status"] == ISSUED


def test_the_definition_waits_30_days_for_the_token_and_names_the_steps_and_errors_of_the_code():
    states = DEFINITION["States"]
    wait = states["AwaitPayment"]
    assert wait["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert wait["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"
    assert wait["TimeoutSeconds"] == CANCEL_AFTER_DAYS * 24 * 3600
    assert [c["ErrorEquals"] for c in wait["Catch"]] == [
        ["States.Timeout"],
        [journey.NotAwaitingPayment.__name__],
        ["States.ALL"],
    ]
    tasks = {name: s for name, s in states.items() if s["Type"] == "Task"}
    assert {s["Parameters"]["Payload"]["step"] for s in tasks.values()} == {
        "await-payment",
        "issue",
        "schedule",
        "cancel",
    }
    assert {s["Parameters"]["FunctionName"] for s in tasks.values()} == {"${JourneyFunctionArn}"}
    assert all(s.get("Catch") for s in tasks.values())  # every task ends somewhere named when it fails
    # The execution's input is the reference only: no state passes the resident's details.
    text = json.dumps(DEFINITION)
    assert "contact" not in text
    assert "email" not in text
