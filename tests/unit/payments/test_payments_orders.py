"""Orders registered by another service (the permits service: docs/decisions/0010), paid through the same
attempts as requests: the amount from the order only, one payment whatever the clicks, `order-paid` announced once
(never `payment-succeeded`, whose consumers read a request), and the order settled. Against the local Pay."""

from __future__ import annotations

import pytest

from payments.store import PaymentsStore
from shared.errors import Conflict, NotFound
from tests.unit.payments.test_payments_service import (
    Published,
    creates,
    only_payment,
    pay_with,
    service,
)

pytestmark = pytest.mark.unit

REFERENCE = "7KXM-3RAH"


@pytest.fixture
def published() -> Published:
    return Published()


@pytest.fixture
def orders(tables, adapter, clock, published):
    payments = service(adapter, clock, published)
    assert payments.register_order(REFERENCE, service_id="parking-permit", title="Parking permit", amount=8000)
    return payments


def test_an_order_is_paid_for_its_registered_amount_and_announced_once_as_order_paid(orders, running, published):
    started = orders.start(REFERENCE, correlation_id="c")
    assert (started.status, started.amount, started.service_id) == ("created", 8000, "parking-permit")
    assert only_payment(running).amount == 8000
    pay_with(running, started.next_url)
    attempt = orders.store.get(REFERENCE, 1)
    assert attempt is not None
    done = orders.on_attempt(attempt, correlation_id="c")
    assert (done.status, done.open) == ("success", False)
    assert published.types() == ["order-paid"]
    [event] = published
    assert event.data == {
        "reference": REFERENCE, "service_id": "parking-permit", "attempt": "1",
        "payment_id": done.payment_id, "amount_pence": "8000",
    }  # fmt: skip
    # A repeated webhook, the reconciler, the return page: nothing more is announced, nothing more is taken.
    orders.on_hint(done.payment_id, correlation_id="c")
    orders.on_attempt(orders.store.get(REFERENCE, 1), correlation_id="c")
    assert orders.start(REFERENCE, correlation_id="c").status == "paid"
    assert published.types() == ["order-paid"]
    assert creates(running) == 1
    order = PaymentsStore("payments").order(REFERENCE)
    assert order is not None
    assert order["outcome"] == "paid"
    assert "awaiting" not in order
    assert "unpaid_due" not in order


def test_a_double_click_on_an_order_makes_one_payment(orders, running):
    first = orders.start(REFERENCE, correlation_id="c")
    second = orders.start(REFERENCE, correlation_id="c")
    assert second.attempt == first.attempt
    assert creates(running) == 1


def test_a_declined_order_is_announced_as_failed_and_can_be_tried_again(orders, running, published):
    started = orders.start(REFERENCE, correlation_id="c")
    pay_with(running, started.next_url, "4000000000000002")
    orders.on_attempt(orders.store.get(REFERENCE, 1), correlation_id="c")
    assert published.types() == ["payment-failed"]
    again = orders.start(REFERENCE, correlation_id="c")
    assert (again.attempt, again.amount) == (2, 8000)


def test_the_same_order_again_is_accepted_and_another_for_the_reference_is_refused(orders):
    assert orders.register_order(REFERENCE, service_id="parking-permit", title="Parking permit", amount=8000) is False
    with pytest.raises(Conflict):
        orders.register_order(REFERENCE, service_id="parking-permit", title="Parking permit", amount=1)
    with pytest.raises(Conflict):
        orders.register_order(REFERENCE, service_id="bulky-waste", title="Parking permit", amount=8000)


def test_a_reference_with_neither_request_nor_order_is_not_found(tables, adapter, clock, published):
    with pytest.raises(NotFound):
        service(adapter, clock, published).start("AC3E-4679", correlation_id="c")
