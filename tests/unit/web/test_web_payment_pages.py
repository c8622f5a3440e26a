"""Paying through the web: "Send" goes to Pay's card page once whatever the clicks, the return page says what Pay
says (paid, not taken, not finished), "Try again" makes a new attempt, and every word matches what happens."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from web.api import ApiResult

from tests.unit.web.web_support import Client, complete_to_check_answers, harness, location

pytestmark = pytest.mark.unit

SERVICE = "bulky-waste"
PAY = "https://card.payments.service.gov.uk/secure/"


class FakePayments:
    """The payments service as the web sees it: one attempt until it finishes, then a new one on request."""

    def __init__(self, requests: dict[str, dict[str, Any]]) -> None:
        self.requests = requests
        self.attempts: list[dict[str, Any]] = []
        self.starts = 0

    def start(self, reference: str, *, correlation_id: str) -> ApiResult:
        self.starts += 1
        self.requests[reference]["status"] = self.requests[reference].get("status_if_unpaid", "awaiting-payment")
        current = self.attempts[-1] if self.attempts else None
        if current is not None and current["status"] == "success":
            return ApiResult(200, {**current, "status": "paid", "next_url": ""})
        if current is None or current["finished"]:
            number = len(self.attempts) + 1
            current = {
                "reference": reference,
                "attempt": number,
                "status": "created",
                "finished": False,
                "amount_pence": 2500,
                "token": f"token-of-attempt-{number}-xxxxxxxx",
                "code": "",
            }
            self.attempts.append(current)
        link = f"{PAY}{current['attempt']}" if current["status"] == "created" else ""
        return ApiResult(200, {**current, "next_url": link})

    def finish(self, status: str, code: str = "") -> str:
        self.attempts[-1].update(status=status, finished=True, code=code)
        if status == "success":
            self.requests[self.attempts[-1]["reference"]]["status"] = "received"
        return str(self.attempts[-1]["token"])

    def on_return(self, token: str, *, correlation_id: str) -> ApiResult:
        found = next((a for a in self.attempts if a["token"] == token), None)
        return ApiResult(200, {**found, "next_url": ""}) if found else ApiResult(404, {"detail": "no"})


def paying_with(catalogue, fake: type[FakePayments] = FakePayments):
    """The web with `fake` as its payments service, answered up to check your answers."""
    h = harness(catalogue)
    payments = fake(h.api.requests)
    h.web.site.ports = dataclasses.replace(h.web.site.ports, payments=payments)
    client = Client(h.web)
    check = complete_to_check_answers(client, catalogue[SERVICE], h.drafts)
    return h, payments, client, check


@pytest.fixture
def paying(catalogue):
    return paying_with(catalogue)


def test_check_answers_says_what_happens_next(paying):
    _, _, client, check = paying
    body = client.get(check).body
    assert "you will go to GOV.UK Pay to pay £25 by card" in body
    assert "You will be asked to pay" not in body


def test_send_goes_to_pays_card_page_and_a_double_click_makes_one_attempt(paying):
    h, payments, client, check = paying
    page = client.get(check)
    assert location(client.post(check, {"action": "submit"})) == f"{PAY}1"
    client.last = page  # the second click comes from the same page
    assert location(client.post(check, {"action": "submit"})).endswith("/confirmation")
    confirmation = client.get(f"/services/{SERVICE}/confirmation")
    assert "Pay £25 to send your request" in confirmation.body
    assert "has not been sent to the council yet" in confirmation.body
    assert location(client.post(f"/services/{SERVICE}/pay", {"action": "pay"})) == f"{PAY}1"
    assert len(payments.attempts) == 1
    assert len(h.api.submissions) == 1


def test_paid_the_return_page_leads_to_the_confirmation_with_the_amount(paying):
    _, payments, client, check = paying
    client.post(check, {"action": "submit"})
    token = payments.finish("success")
    back = client.get(f"/services/{SERVICE}/payment/{token}")
    assert location(back).endswith(f"/services/{SERVICE}/confirmation")
    later = client.get(f"/services/{SERVICE}/confirmation")
    assert "govuk-panel--confirmation" in later.body
    assert "You have paid <strong>£25</strong>" in later.body
    assert "We will send you a link to pay" not in later.body


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        ("failed", "P0010", "Your payment was declined"),
        ("failed", "P0030", "You cancelled your payment"),
        ("failed", "P0020", "Your payment timed out"),
        ("error", "P0050", "a problem with the payment service"),
    ],
)
def test_not_paid_says_so_and_try_again_makes_a_new_attempt(paying, status, code, words):
    _, payments, client, check = paying
    client.post(check, {"action": "submit"})
    token = payments.finish(status, code)
    back = client.get(f"/services/{SERVICE}/payment/{token}")
    assert "Your payment was not taken" in back.body
    assert words in back.body
    assert "No money has been taken" in back.body
    assert "govuk-panel--confirmation" not in back.body
    assert location(client.post(f"/services/{SERVICE}/pay", {"action": "pay"})) == f"{PAY}2"
    assert len(payments.attempts) == 2


def test_back_before_pay_has_finished(paying):
    _, payments, client, check = paying
    client.post(check, {"action": "submit"})
    back = client.get(f"/services/{SERVICE}/payment/{payments.attempts[0]['token']}")
    assert "Your payment is not finished" in back.body
    assert 'action="/services/bulky-waste/pay"' not in back.body


def test_an_unknown_return_token_is_not_found(paying):
    _, _, client, _ = paying
    assert client.get(f"/services/{SERVICE}/payment/not-a-token-of-ours").status == 404


def test_a_tab_that_opened_the_card_page_makes_the_other_tab_wait(paying):
    _, payments, client, check = paying
    client.post(check, {"action": "submit"})
    payments.attempts[0]["status"] = "started"  # the first tab opened Pay's page
    reply = client.post(f"/services/{SERVICE}/pay", {"action": "pay"})
    assert reply.status == 409
    assert "You will not be charged twice" in reply.body
    assert len(payments.attempts) == 1
