"""A free parking permit (priced at £0) through the resident web, on fakes of the permits and payments functions:
the permits function answers the application issued (no order was registered), check your answers says "This permit
is free" and offers "Get your permit" instead of Pay, nothing is asked of payments, and the confirmation says it
is issued with nothing paid."""

from __future__ import annotations

from typing import Any

import pytest
from web.api import ApiResult

from tests.unit.web.test_web_permit_pages import FakePermits, PermitPay, _draft, _to_check_answers
from tests.unit.web.test_web_permit_pages import site as site
from tests.unit.web.web_support import location

pytestmark = pytest.mark.unit

ELECTRIC = "EV70 ZER"


class FreePermits(FakePermits):
    """An electric car in Hopfield's outer tariff is free: the function answers it issued at once."""

    def apply(self, application: dict[str, Any], *, correlation_id: str) -> ApiResult:
        answer = super().apply(application, correlation_id=correlation_id)
        if answer.status == 201 and application["vrm"].replace(" ", "") == ELECTRIC.replace(" ", ""):
            answer.body.update(status="issued", permit_id="p-free", amount_pence=0, amount="£0.00",
                               reasons=["Zero-emission vehicles are free in Hopfield.", "Total: free."])  # fmt: skip
        return answer


@pytest.fixture
def free_site(site):
    h, _, _, client = site
    permits = FreePermits()
    pay = PermitPay(permits)
    import dataclasses

    h.web.site.ports = dataclasses.replace(h.web.site.ports, permits=permits, payments=pay)
    return h, permits, pay, client


def test_a_free_permit_is_got_without_paying_and_the_confirmation_says_it_is_issued(free_site):
    h, _, pay, client = free_site
    _to_check_answers(client, vrm=ELECTRIC)
    client.get("/permits/check-answers")
    assert location(client.post("/permits/check-answers", {})) == "/permits/check-answers"
    priced = client.get("/permits/check-answers")
    assert priced.status == 200
    assert "This permit is free" in priced.body
    assert 'href="/permits/confirmation" role="button"' in priced.body
    assert "Get your permit" in priced.body
    assert "Pay £" not in priced.body
    assert 'action="/permits/pay"' not in priced.body
    assert "Total: free." in priced.body
    assert location(client.post("/permits/pay", {})) == "/permits/confirmation"  # nothing to pay: no attempt made
    assert pay.attempts == []
    confirmed = client.get("/permits/confirmation")
    assert "Your permit has been issued" in confirmed.body
    assert "Free: there was nothing to pay" in confirmed.body
    assert _draft(h, client).reference in confirmed.body
    assert pay.attempts == []  # the confirmation asks payments nothing either


def test_a_priced_permit_still_shows_pay(free_site):
    _, _, _, client = free_site
    _to_check_answers(client)
    client.get("/permits/check-answers")
    client.post("/permits/check-answers", {})
    priced = client.get("/permits/check-answers")
    assert "Pay £80.00" in priced.body
    assert "This permit is free" not in priced.body


def test_a_free_permit_refused_at_issue_says_nothing_was_charged(free_site):
    h, permits, _, client = free_site
    _to_check_answers(client, vrm=ELECTRIC)
    client.get("/permits/check-answers")
    client.post("/permits/check-answers", {})
    permits.applications[_draft(h, client).reference].update(status="paid-not-issued", permit_id="")
    assert location(client.get("/permits/check-answers")) == "/permits/confirmation"
    page = client.get("/permits/confirmation")
    assert "We could not issue this free permit" in page.body
    assert "Nothing was charged" in page.body
    assert "refunding" not in page.body
