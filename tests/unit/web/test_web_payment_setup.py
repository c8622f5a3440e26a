"""The "setting up your payment" page: shown while a create GOV.UK Pay rate-limited waits on the payments service's
queue; it refreshes itself (no JavaScript), goes on to Pay's card page once the payment is made, or says it could
not be set up and offers "Try again"."""

from __future__ import annotations

import dataclasses
import re

import pytest
from web.api import ApiResult

from tests.unit.web.test_web_payment_pages import PAY, SERVICE, FakePayments, paying_with
from tests.unit.web.web_support import Client, harness, location

pytestmark = pytest.mark.unit

SETTING_UP = f"/services/{SERVICE}/setting-up-payment"


class BusyPay(FakePayments):
    """As FakePayments, but a new attempt is queued (Pay answered 429) until `ready()`."""

    def start(self, reference: str, *, correlation_id: str) -> ApiResult:
        fresh = not self.attempts or self.attempts[-1]["finished"]
        result = super().start(reference, correlation_id=correlation_id)
        if fresh and self.busy:
            self.attempts[-1]["status"] = "queued"
            return ApiResult(200, {**self.attempts[-1], "next_url": ""})
        return result

    busy = True
    progress_calls = 0

    def progress(self, reference: str, *, correlation_id: str) -> ApiResult:
        self.progress_calls += 1
        current = self.attempts[-1]
        link = f"{PAY}{current['attempt']}" if current["status"] == "created" else ""
        return ApiResult(200, {**current, "next_url": link})

    def ready(self) -> None:
        self.attempts[-1]["status"] = "created"


@pytest.fixture
def busy(catalogue):
    _, payments, client, check = paying_with(catalogue, BusyPay)
    return payments, client, check


def test_a_queued_create_shows_an_honest_page_that_refreshes_then_goes_to_pay(busy):
    payments, client, check = busy
    assert location(client.post(check, {"action": "submit"})) == SETTING_UP
    page = client.get(SETTING_UP)
    assert page.status == 200
    assert "We are setting up your payment" in page.body
    assert re.search(rf'<meta http-equiv="refresh" content="3; url={SETTING_UP}">', page.body)
    assert "No money has been taken yet" in page.body
    assert "has not been sent to the council yet" in page.body
    assert len(payments.attempts) == 1
    client.get(SETTING_UP)  # the refresh: still waiting, nothing new made
    assert len(payments.attempts) == 1
    payments.ready()
    assert location(client.get(SETTING_UP)) == f"{PAY}1"
    assert payments.starts == 1  # the page only asked where the attempt stands


def test_a_create_that_could_not_be_set_up_says_so_and_try_again_makes_a_new_attempt(busy):
    payments, client, check = busy
    client.post(check, {"action": "submit"})
    payments.finish("not-created")
    page = client.get(SETTING_UP)
    assert page.status == 200
    assert "We could not set up your payment" in page.body
    assert "No money has been taken" in page.body
    assert 'http-equiv="refresh"' not in page.body
    assert 'action="/services/bulky-waste/pay"' in page.body
    payments.busy = False
    assert location(client.post(f"/services/{SERVICE}/pay", {"action": "pay"})) == f"{PAY}2"
    assert len(payments.attempts) == 2


def test_paid_meanwhile_goes_to_the_confirmation(busy):
    payments, client, check = busy
    client.post(check, {"action": "submit"})
    payments.finish("success")
    assert location(client.get(SETTING_UP)).endswith(f"/services/{SERVICE}/confirmation")


def test_without_a_submitted_request_the_page_goes_back_to_the_start(catalogue):
    h = harness(catalogue)
    h.web.site.ports = dataclasses.replace(h.web.site.ports, payments=BusyPay(h.api.requests))
    reply = Client(h.web).get(SETTING_UP)
    assert reply.status in (302, 303)
    assert location(reply) == f"/services/{SERVICE}"
