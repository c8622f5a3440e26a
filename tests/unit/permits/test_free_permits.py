"""Free permits (priced at £0: an electric car in the outer tariff, a carer permit in zones B and C): no order is
registered with payments (it takes none of £0), the application is issued at once in the paid path's transaction
(`permits.issuing.issue_free`) with its permit-issued event, its journey waits for no payment, and cancelling it
refunds nothing. Against moto's DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits import enforcement, issuing, journey
from permits.adapters.dvla_models import Vehicle
from permits.application import ISSUED, PAID_NOT_ISSUED, PENDING_PAYMENT, Application, Applications
from permits.changes import Changes
from permits.eligibility import VrmAlreadyPermitted
from permits.issuing import NOT_FREE, issue_free, permit_id_for
from permits.refund_client import RefundAsk
from permits.store import PermitsStore, Status
from permits.zones import PermitType, load_zones
from shared import outbox
from shared.events import EventType
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import NOW, Dvla, request

pytestmark = pytest.mark.unit

DEFINITION = json.loads((Path(__file__).resolve().parents[3] / "workflows" / "permit_journey.asl.json").read_text())
ELECTRIC = "EV70ZER"


class ElectricDvla(Dvla):
    def vehicle(self, vrm: Any) -> Vehicle:
        mark = vrm.value if hasattr(vrm, "value") else str(vrm)
        if mark == ELECTRIC:
            self.asked += 1
            facts = {"registrationNumber": ELECTRIC, "make": "NISSAN", "colour": "WHITE", "fuelType": "ELECTRICITY",
                     "co2Emissions": 0, "markedForExport": False}  # fmt: skip
            return Vehicle.model_validate(facts)
        return super().vehicle(vrm)


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


class Recorded:
    def __init__(self) -> None:
        self.orders: list[Application] = []
        self.journeys: list[Application] = []
        self.refunds: list[RefundAsk] = []

    def refund(self, ask: RefundAsk) -> str:
        self.refunds.append(ask)
        return "submitted"


def service(table: Any, recorded: Recorded) -> Applications:
    return Applications(
        zones=load_zones(), store=PermitsStore(table), vehicles=ElectricDvla, clock=lambda: NOW,
        register_payment=recorded.orders.append, start_journey=recorded.journeys.append,
    )  # fmt: skip


def stored(table: Any, reference: str) -> dict[str, Any]:
    found = PermitsStore(table).get_application(reference)
    assert found is not None
    return found


def test_an_electric_car_in_zone_b_is_issued_at_once_with_no_order_and_is_valid_in_the_look_up(table):
    recorded = Recorded()
    made = service(table, recorded).apply(request(vrm=ELECTRIC))
    assert (made.zone, made.pence, made.reasons[-1]) == ("B", 0, "Total: free.")
    assert (made.status, made.permit_id) == (ISSUED, permit_id_for(made.reference))
    assert recorded.orders == []  # payments takes no order of £0: none is registered
    assert [a.status for a in recorded.journeys] == [ISSUED]  # the journey is started with the issued application
    item = stored(table, made.reference)
    assert (item["status"], item["payment_id"], item["permit_id"]) == (ISSUED, "", made.permit_id)
    announced = outbox.to_forward(item, None)  # what the Permits table's stream hands the publisher
    assert announced is not None
    assert announced.type is EventType.PERMIT_ISSUED
    permit = PermitsStore(table).get(made.permit_id)
    assert permit is not None
    assert (permit.vrm, permit.status, permit.kind) == (ELECTRIC, Status.ACTIVE, PermitType.RESIDENT)
    answer = enforcement.check(PermitsStore(table), load_zones(), ELECTRIC, "B", datetime(2026, 6, 2, 12, tzinfo=UTC))
    assert answer.body()["answer"] == "valid"


def test_a_priced_application_is_never_issued_without_its_payment(table):
    recorded = Recorded()
    priced = service(table, recorded).apply(request())  # a petrol car: £80
    assert [a.reference for a in recorded.orders] == [priced.reference]
    assert issue_free(PermitsStore(table), priced.reference).outcome == NOT_FREE
    assert stored(table, priced.reference)["status"] == PENDING_PAYMENT
    assert PermitsStore(table).household_permits(priced.uprn) == []
    free = {"free": True, "reference": priced.reference}
    assert journey.issue(table, free, refund=None) == {"outcome": NOT_FREE, "permit_id": ""}


def test_a_free_application_the_apply_path_did_not_issue_is_issued_by_its_journey(table, monkeypatch):
    def stopped(*_: Any, **__: Any) -> None:
        raise RuntimeError("stopped before issuing")

    monkeypatch.setattr(issuing, "issue_free", stopped)
    with pytest.raises(RuntimeError):
        service(table, Recorded()).apply(request(vrm=ELECTRIC))
    [item] = [i for i in table.scan()["Items"] if i["pk"].startswith("APPLICATION#")]
    assert (item["status"], item["amount_pence"]) == (PENDING_PAYMENT, 0)
    monkeypatch.undo()
    reference = str(item["reference"])
    answer = journey.issue(table, {"free": True, "reference": reference}, refund=None)
    assert answer == {"outcome": ISSUED, "permit_id": permit_id_for(reference)}
    again = journey.issue(table, {"free": True, "reference": reference}, refund=None)
    assert again["outcome"] == "already-issued"  # once
    assert journey.schedule(table, reference, NOW.date())["scheduled"]


def test_a_free_application_refused_at_issue_is_not_issued_and_nothing_is_refunded(table, monkeypatch):
    monkeypatch.setattr(issuing, "issue_free", lambda *_, **__: None)  # stored, not issued yet
    made = service(table, Recorded()).apply(request(vrm=ELECTRIC))
    monkeypatch.undo()
    PermitsStore(table).issue(
        vrm=ELECTRIC, zone="B", kind=PermitType.RESIDENT, valid_from=NOW.date(), valid_to=NOW.date(),
        household="100000000009", household_limit=2, counts_towards_limit=True,
    )  # fmt: skip  # another household's permit for the mark meanwhile
    assert issue_free(PermitsStore(table), made.reference).outcome == PAID_NOT_ISSUED
    item = stored(table, made.reference)
    assert (item["reason"], item["refund_pence"], item["refund_status"]) == (
        VrmAlreadyPermitted.__name__, 0, issuing.NOTHING_OWED,
    )  # fmt: skip


def test_cancelling_a_free_permit_refunds_nothing(table):
    recorded = Recorded()
    made = service(table, recorded).apply(request(vrm=ELECTRIC))
    changes = Changes(applications=service(table, recorded), refund=recorded.refund,
                      register_order=lambda *_: None, clock=lambda: NOW)  # fmt: skip
    cancelled = changes.cancel(made.reference)
    assert (cancelled.refund_pence, cancelled.refund_status) == (0, "none")
    assert recorded.refunds == []
    permit = PermitsStore(table).get(made.permit_id)
    assert permit is not None
    assert permit.status is Status.CANCELLED


def test_the_journey_of_a_free_application_goes_to_issue_with_no_payment():
    states = DEFINITION["States"]
    assert DEFINITION["StartAt"] == "PaidOrFree"
    [choice] = states["PaidOrFree"]["Choices"]
    assert choice["And"] == [
        {"Variable": "$.free", "IsPresent": True},
        {"Variable": "$.free", "BooleanEquals": True},
    ]
    assert (choice["Next"], states["PaidOrFree"]["Default"]) == ("NoPayment", "AwaitPayment")
    no_payment = states["NoPayment"]
    assert no_payment["Parameters"] == {"free": True, "reference.$": "$.reference"}
    assert (no_payment["ResultPath"], no_payment["Next"]) == ("$.payment", "Issue")
    assert states["Issue"]["Parameters"]["Payload"]["payment.$"] == "$.payment"
    assert json.loads(journey.journey_input("ABCD-EFGH", free=True)) == {"reference": "ABCD-EFGH", "free": True}
    assert json.loads(journey.journey_input("ABCD-EFGH")) == {"reference": "ABCD-EFGH", "free": False}
