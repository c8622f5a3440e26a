"""The permit journey's state machine (workflows/permit_journey.asl.json), run by the local cloud as the template
declares it: an application made through the deployed PermitApplications function starts its execution, which
waits for the payment with the task token kept on the application; a declined card leaves it waiting; a payment in
the local Pay (4242424242424242) resumes it through the order-paid consumer's SendTaskSuccess, and it issues the
permit (valid at the enforcement look-up) and schedules its reminders. Its history is visible (GetExecutionHistory),
without the resident's details. A wait that times out cancels the application (the deployed definition, with a
two-second timeout, in a state machine of the test's own: 30 days cannot be waited for). SendTaskSuccess is judged
on the state machine whose execution holds the token."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from local import pay_standin
from local.moto_session import LOCK
from permits.journey import TOKEN_ATTRIBUTE, execution_arn
from tests.local.payment_support import function_named_by_handler, invoke
from tests.local.test_local_notifications_journey import Browser
from tests.local.test_local_payments import CARD, card_page
from tests.local.test_local_permit_applications import EMAIL, apply, found_address, stored
from tests.local.test_local_permit_changes import pay
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

MACHINE = "Borough-dev-Permits/PermitJourneyMachine"
MARK = "JN24SFN"


def _machine(local_cloud: Any) -> str:
    return local_cloud.physical_id(MACHINE)


def _execution(local_cloud: Any, reference: str, machine: str | None = None) -> dict[str, Any]:
    arn = execution_arn(machine or _machine(local_cloud), reference)
    with LOCK:
        return dict(local_cloud.client("stepfunctions").describe_execution(executionArn=arn))


def _history(local_cloud: Any, reference: str, machine: str | None = None) -> list[dict[str, Any]]:
    arn = execution_arn(machine or _machine(local_cloud), reference)
    with LOCK:
        return list(local_cloud.client("stepfunctions").get_execution_history(executionArn=arn)["events"])


def _entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def _until(check: Any, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _decline(local_cloud: Any, reference: str) -> None:
    """A payment attempt declined in the local Pay (4000000000000002) and the resident back from it."""
    payments = function_named_by_handler(local_cloud, "payments.handler.handler")
    started = invoke(local_cloud, payments, {"action": "start", "reference": reference, "correlation_id": "t"})
    assert started["status"] == 200, started
    browser = Browser(local_cloud)
    next_url = started["body"]["next_url"]
    card = card_page(browser, next_url)
    [payment] = [p for p in pay_standin.sandbox().ledger.payments.values() if p.next_url_token in next_url]
    browser.request("POST", card, {"card_number": "4000000000000002", **CARD})
    token = urlsplit(payment.return_url).path.rsplit("/", 1)[1]
    returned = invoke(local_cloud, payments, {"action": "return", "token": token, "correlation_id": "t"})
    assert returned["body"]["status"] != "success", returned
    local_cloud.wait_for_idle(timeout_s=30)


def test_apply_waits_for_payment_a_declined_card_keeps_waiting_and_paying_issues_the_permit(local_cloud):
    _, client_id, secret = _device(local_cloud)
    device_token = _token(local_cloud, client_id, secret).json()["access_token"]
    address = found_address(local_cloud, "ME14 1HQ")
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": MARK})
    assert applied["status"] == 201, applied
    reference, zone = applied["body"]["reference"], applied["body"]["zone"]

    # Waiting for the payment: the token on the application, the execution running (and not work to wait for).
    local_cloud.wait_for_idle(timeout_s=30)
    _until(lambda: TOKEN_ATTRIBUTE in (stored(local_cloud, reference) or {}))
    assert _execution(local_cloud, reference)["status"] == "RUNNING"
    events = _history(local_cloud, reference)
    assert _entered(events) == ["PaidOrFree", "AwaitPayment"]  # not free: it waits for the payment
    assert events[-1]["type"] == "TaskSubmitted"
    assert json.loads(_execution(local_cloud, reference)["input"]) == {"reference": reference, "free": False}

    # A declined card: the order stays payable, the journey keeps waiting, nothing issued.
    _decline(local_cloud, reference)
    assert _execution(local_cloud, reference)["status"] == "RUNNING"
    assert stored(local_cloud, reference)["status"]["S"] == "pending-payment"
    assert _check(local_cloud, device_token, MARK, zone, post=True).json()["answer"] != "valid"

    # Paid: the consumer resumes the execution, which issues the permit and schedules its steps.
    pay(local_cloud, reference)
    _until(lambda: _execution(local_cloud, reference)["status"] != "RUNNING")
    execution = _execution(local_cloud, reference)
    assert execution["status"] == "SUCCEEDED", _history(local_cloud, reference)
    item = stored(local_cloud, reference)
    assert item is not None
    assert item["status"]["S"] == "issued", item
    assert _check(local_cloud, device_token, MARK, zone, post=True).json()["answer"] == "valid"
    output = json.loads(execution["output"])
    assert output["issued"] == {"outcome": "issued", "permit_id": item["permit_id"]["S"]}
    assert [s["action"] for s in output["schedule"]["steps"]] == ["remind", "remind", "expire"]
    assert output["schedule"]["due_on"] == output["schedule"]["steps"][0]["on"]

    events = _history(local_cloud, reference)
    assert _entered(events) == ["PaidOrFree", "AwaitPayment", "Issue", "IssuedOrNot", "ScheduleReminders", "Issued"]
    history_text = json.dumps(events, default=str)
    assert EMAIL not in history_text  # the resident's details never enter the execution
    assert address["postcode"] not in history_text


def test_a_wait_for_payment_that_times_out_cancels_the_application(local_cloud):
    """The deployed definition and role with AwaitPayment's 30 days made two seconds: CancelUnpaid runs."""
    address = found_address(local_cloud, "ME15 6JQ")
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 3, "vrm": MARK})
    assert applied["status"] == 201, applied
    reference = applied["body"]["reference"]
    local_cloud.wait_for_idle(timeout_s=30)
    with LOCK:
        states = local_cloud.client("stepfunctions")
        deployed = states.describe_state_machine(stateMachineArn=_machine(local_cloud))
        definition = json.loads(deployed["definition"])
        assert definition["States"]["AwaitPayment"]["TimeoutSeconds"] == 30 * 24 * 3600
        definition["States"]["AwaitPayment"]["TimeoutSeconds"] = 2
        short = states.create_state_machine(
            name="PermitJourneyTwoSeconds", definition=json.dumps(definition), roleArn=deployed["roleArn"]
        )["stateMachineArn"]
        states.start_execution(stateMachineArn=short, name=reference, input=json.dumps({"reference": reference}))
    _until(lambda: _execution(local_cloud, reference, short)["status"] != "RUNNING")
    assert _execution(local_cloud, reference, short)["status"] == "SUCCEEDED"
    assert _entered(_history(local_cloud, reference, short)) == [
        "PaidOrFree",
        "AwaitPayment",
        "CancelUnpaid",
        "Cancelled",
    ]
    local_cloud.wait_for_idle(timeout_s=30)
    item = stored(local_cloud, reference)
    assert item is not None
    assert item["status"]["S"] == "cancelled-unpaid"


def test_send_task_success_is_judged_on_the_machine_whose_execution_holds_the_token(local_cloud, test_functions_dir):
    """A role granted SendTaskSuccess on one machine is refused another machine's token, as IAM would."""
    suffix = uuid.uuid4().hex[:8]
    waiter = local_cloud.add_function(f"tokens-wait-{suffix}", "task_tokens.waits", test_functions_dir)
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": waiter, "Payload": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 60,
                "End": True,
            }
        },
    }
    role = _role_of(local_cloud)
    tokens, machines = {}, {}
    with LOCK:
        states = local_cloud.client("stepfunctions")
        for name in ("mine", "other"):
            machines[name] = states.create_state_machine(
                name=f"tokens-{name}-{suffix}", definition=json.dumps(definition), roleArn=role
            )["stateMachineArn"]
            states.start_execution(stateMachineArn=machines[name], name="one", input="{}")
    for name, machine in machines.items():
        _until(lambda m=machine: any(e["type"] == "TaskSubmitted" for e in _history(local_cloud, "one", m)))
        [scheduled] = [e for e in _history(local_cloud, "one", machine) if e["type"] == "TaskScheduled"]
        tokens[name] = json.loads(scheduled["taskScheduledEventDetails"]["parameters"])["Payload"]["token"]
    only_mine = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "states:SendTaskSuccess", "Resource": machines["mine"]}],
    }
    sender = local_cloud.add_function(f"tokens-send-{suffix}", "task_tokens.send", test_functions_dir, policy=only_mine)
    assert invoke(local_cloud, sender, {"token": tokens["other"]}) == {"sent": "AccessDeniedException"}
    assert _execution(local_cloud, "one", machines["other"])["status"] == "RUNNING"
    assert invoke(local_cloud, sender, {"token": tokens["mine"]}) == {"sent": "allowed"}
    _until(lambda: _execution(local_cloud, "one", machines["mine"])["status"] != "RUNNING")
    assert _execution(local_cloud, "one", machines["mine"])["status"] == "SUCCEEDED"
    assert invoke(local_cloud, sender, {"token": "no-such-token"}) == {"sent": "InvalidToken"}
    with LOCK:
        local_cloud.client("stepfunctions").stop_execution(executionArn=execution_arn(machines["other"], "one"))


def _role_of(local_cloud: Any) -> str:
    with LOCK:
        return str(
            local_cloud.client("stepfunctions").describe_state_machine(stateMachineArn=_machine(local_cloud))["roleArn"]
        )
