"""Issuing on payment (`permits.issuing`): payments' `order-paid` for a permit application issues its permit once,
the enforcement look-up then answers valid; a repeat, a crash before the application was marked, another service's
order, a wrong amount and a race lost at issue. Against moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits import enforcement
from permits.application import ISSUED, PAID_NOT_ISSUED, Application, Applications
from permits.issuing import issue_paid, permit_id_for
from permits.store import PermitsStore
from permits.zones import PermitType, load_zones
from shared.events import EventEnvelope, EventType
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import NOW, Dvla, request

pytestmark = pytest.mark.unit


@pytest.fixture
def store() -> Iterator[PermitsStore]:
    with mock_aws():
        yield PermitsStore(create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits"))


def applied(store: PermitsStore, registered: list[Application] | None = None, **changes: Any) -> Application:
    service = Applications(
        zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW,
        register_payment=(registered.append if registered is not None else None),
    )  # fmt: skip
    return service.apply(request(**changes))


def paid(application: Application, *, amount: int | None = None, service_id: str = "parking-permit") -> EventEnvelope:
    return EventEnvelope(
        type=EventType.ORDER_PAID,
        id="e1",
        source="payments",
        correlation_id="c",
        data={
            "reference": application.reference, "service_id": service_id, "attempt": "1", "payment_id": "pay1",
            "amount_pence": str(application.pence if amount is None else amount),
        },
    )  # fmt: skip


def answer(store: PermitsStore, vrm: str = "LB19PTR") -> Any:
    return enforcement.check(store, load_zones(), vrm, "B", datetime(2026, 6, 2, 12, tzinfo=UTC))


def test_the_amount_is_registered_with_payments_before_the_application_is_stored(store):
    registered: list[Application] = []
    application = applied(store, registered)
    assert [(a.reference, a.pence) for a in registered] == [(application.reference, 8000)]


def test_a_failed_registration_stores_nothing(store):
    def refuse(application: Application) -> None:
        raise RuntimeError("payments down")

    service = Applications(zones=load_zones(), store=store, vehicles=Dvla, clock=lambda: NOW, register_payment=refuse)
    with pytest.raises(RuntimeError):
        service.apply(request())
    assert store._table.scan()["Items"] == []  # the test reads the whole table


def test_payment_issues_the_permit_once_and_the_look_up_answers_valid(store):
    application = applied(store)
    assert str(answer(store).outcome) == "no-permit"
    issued = issue_paid(store, paid(application), now=NOW)
    assert (issued.outcome, issued.permit_id) == (ISSUED, permit_id_for(application.reference))
    permit = store.get(issued.permit_id)
    assert permit is not None
    assert (permit.vrm, permit.zone, permit.kind, permit.valid_to) == (
        "LB19PTR",
        "B",
        PermitType.RESIDENT,
        application.valid_to,
    )
    assert permit.reference == application.reference  # the permit keeps its application's reference
    assert str(answer(store).outcome) == "valid"
    stored = store.get_application(application.reference)
    assert stored is not None
    assert (stored["status"], stored["permit_id"], stored["payment_id"]) == (ISSUED, issued.permit_id, "pay1")
    again = issue_paid(store, paid(application), now=NOW)
    assert again.outcome == "already-issued"
    assert len(store.household_permits(application.uprn)) == 1


def test_a_crash_after_the_permit_was_written_is_finished_by_the_redelivery(store):
    application = applied(store)
    item = store.get_application(application.reference)
    assert item is not None
    store.issue(
        vrm="LB19PTR", zone="B", kind=PermitType.RESIDENT, valid_from=application.valid_from,
        valid_to=application.valid_to, household=application.uprn, household_limit=2, counts_towards_limit=True,
        permit_id=permit_id_for(application.reference),
    )  # fmt: skip
    assert issue_paid(store, paid(application), now=NOW).outcome == ISSUED
    assert len(store.household_permits(application.uprn)) == 1


def test_another_services_order_and_an_unknown_reference_issue_nothing(store):
    application = applied(store)
    assert issue_paid(store, paid(application, service_id="bulky-waste")).outcome == "not-ours"
    other = Application(**{**application.__dict__, "reference": "AC3E-4679"})
    assert issue_paid(store, paid(other)).outcome == "unknown"
    assert store.household_permits(application.uprn) == []


def test_a_paid_amount_that_is_not_the_price_issues_nothing(store):
    application = applied(store)
    assert issue_paid(store, paid(application, amount=1)).outcome == PAID_NOT_ISSUED
    assert store.household_permits(application.uprn) == []
    stored = store.get_application(application.reference)
    assert stored is not None
    assert (stored["status"], stored["reason"]) == (PAID_NOT_ISSUED, "amount")


def test_two_paid_applications_for_one_mark_issue_one_permit(store):
    first = applied(store)
    second = applied(store)  # both pending: the guard decides at issue
    assert issue_paid(store, paid(first)).outcome == ISSUED
    assert issue_paid(store, paid(second)).outcome == PAID_NOT_ISSUED
    stored = store.get_application(second.reference)
    assert stored is not None
    assert stored["reason"] == "VrmAlreadyPermitted"
    assert len(store.household_permits(first.uprn)) == 1
