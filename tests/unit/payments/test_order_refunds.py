"""Refunds another service asks for (`refund-order`, payments.order_refunds): through the local Pay's refund API as
staff refunds are, the same records marked `via: permits`, never more than is left, the same key twice one refund,
and every malformed request refused before anything is written."""

from __future__ import annotations

from typing import Any

import pytest

from payments import order_refunds
from payments.refunds import KeyReused, RefundRefused, Refunds
from shared.errors import ValidationFailed
from tests.helpers import FakeContext
from tests.unit.payments.test_payments_refunds import (  # noqa: F401 - fixtures
    REFERENCE,
    adapter,
    paid,
    pay_refunds,
    refund_posts,
    refunds_with,
    tables,
)

pytestmark = pytest.mark.unit

KEY = "not-issued:AC3E-4679"


@pytest.fixture
def service(paid, adapter, clock) -> Refunds:  # noqa: F811 - the fixtures imported above
    return refunds_with(adapter, clock)


def test_a_service_refund_is_made_through_pay_and_recorded_via_the_service(service, running):
    record, new = service.refund_for_service(REFERENCE, amount=3500, reason="Paid, not issued", key=KEY, via="permits")
    assert new is True
    assert (record.status, record.amount, record.via, record.staff) == ("submitted", 3500, "permits", "service:permits")
    assert pay_refunds(running) == [(3500, "submitted")]
    assert [r.via for r in service.store.of(REFERENCE)] == ["permits"]


def test_the_same_key_twice_is_one_refund(service, running):
    first, _ = service.refund_for_service(REFERENCE, amount=1200, reason="Change", key=KEY, via="permits")
    again, new = service.refund_for_service(REFERENCE, amount=1200, reason="Change", key=KEY, via="permits")
    assert (again.number, new) == (first.number, False)
    assert refund_posts(running) == 1
    with pytest.raises(KeyReused):
        service.refund_for_service(REFERENCE, amount=1300, reason="Change", key=KEY, via="permits")
    assert refund_posts(running) == 1


def test_never_more_than_is_left(service, running):
    service.refund_for_service(REFERENCE, amount=3000, reason="Change", key="change:one", via="permits")
    with pytest.raises(RefundRefused) as refused:
        service.refund_for_service(REFERENCE, amount=600, reason="Cancelled", key="cancel:one", via="permits")
    assert refused.value.problem == "over-available"
    assert pay_refunds(running) == [(3000, "submitted")]


@pytest.mark.parametrize(("amount", "reason", "key"), [(0, "r", KEY), (100, " ", KEY), (100, "r", "")])
def test_no_amount_reason_or_key_is_refused_writing_nothing(service, running, amount, reason, key):
    with pytest.raises(ValidationFailed):
        service.refund_for_service(REFERENCE, amount=amount, reason=reason, key=key, via="permits")
    assert service.store.of(REFERENCE) == []


GOOD: dict[str, Any] = {
    "action": "refund-order",
    "service": "permits",
    "reference": REFERENCE,
    "amount_pence": 500,
    "reason": "Cancelled",
    "idempotency_key": KEY,
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"action": "refund"}, "action"),
        ({"service": "web"}, "service"),
        ({"reference": "nope"}, "reference"),
        ({"amount_pence": 0}, "amount_pence"),
        ({"amount_pence": True}, "amount_pence"),
        ({"amount_pence": "500"}, "amount_pence"),
        ({"reason": ""}, "reason"),
        ({"idempotency_key": "short"}, "idempotency_key"),
    ],
)
def test_the_handler_refuses_a_malformed_request_before_anything(monkeypatch, change, field):
    monkeypatch.setattr(order_refunds, "refunds_settings", lambda: None)
    monkeypatch.setattr(order_refunds, "refunds", lambda: pytest.fail("nothing may be refunded"))
    answer = order_refunds.handler({**GOOD, **change}, FakeContext())
    assert answer["status"] == 400
    assert field.split("_")[0] in answer["body"]["detail"].lower()
