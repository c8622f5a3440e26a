"""An unpaid request is never sent to a team: triage leaves a request awaiting payment, and assigns it when its
payment-succeeded event comes (the payments service has moved it to received by then)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from cases import triage
from shared.events import CONSUMERS, EventType, new_event
from tests.helpers import FakeContext

pytestmark = pytest.mark.unit

ASL = Path(__file__).resolve().parents[3] / "workflows" / "triage.asl.json"


def put(status: str) -> None:
    boto3.resource("dynamodb").Table("requests_table").put_item(
        Item={
            "reference": "AC3E-4679",
            "service_id": "bulky-waste",
            "status": status,
            "amount_due_pence": 2500,
            "submitted_at": "2026-03-02T09:00:00+00:00",
            "history": [{"status": status, "at": "2026-03-02T09:00:00+00:00"}],
        }
    )


def event(type_: EventType) -> dict:
    data = {"reference": "AC3E-4679", "service_id": "bulky-waste"}
    return new_event(type_, source="test", correlation_id="c", data=data).model_dump(mode="json")


def test_a_request_awaiting_payment_is_not_assigned(cloud):
    put("awaiting-payment")
    result = triage.assign(event(EventType.REPORT_SUBMITTED), FakeContext())
    assert result == {"reference": "AC3E-4679", "waiting_for_payment": True}
    [item] = cloud.items("REQUESTS_TABLE")
    assert "team" not in item


def test_once_paid_its_payment_succeeded_event_assigns_it(cloud):
    put("received")
    result = triage.assign(event(EventType.PAYMENT_SUCCEEDED), FakeContext())
    assert result["team"]
    assert result["waiting_for_payment"] is False
    assert result["event"]["type"] == "request-acknowledged"


def test_triage_hears_payment_succeeded_and_the_machine_stops_for_an_unpaid_request():
    assert EventType.PAYMENT_SUCCEEDED in CONSUMERS["triage"]
    states = json.loads(ASL.read_text())["States"]
    assert states["AssignTeamAndDueDate"]["Next"] == "PaidOrFree"
    [choice] = states["PaidOrFree"]["Choices"]
    assert (choice["Variable"], choice["BooleanEquals"], choice["Next"]) == (
        "$.waiting_for_payment",
        True,
        "WaitsForPayment",
    )
    assert states["WaitsForPayment"]["Type"] == "Succeed"
    assert states["PaidOrFree"]["Default"] == "Acknowledge"
