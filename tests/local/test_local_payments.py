"""Paying for a bulky waste collection in the local cloud, through the resident web and the local Pay's card pages:
a success card, a declined card and Cancel each end with one payment at Pay and the right request status (received
and sent to its team once paid; awaiting payment, never triaged, otherwise)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from local import pay_standin
from shared.catalogue import load_catalogue
from tests.local.test_local_notifications_journey import Browser
from tests.unit.web.web_support import sample_form

pytestmark = pytest.mark.local

SERVICE = "bulky-waste"
WEBHOOK_FIRST_ATTEMPT_S = 3.0  # Pay's (and the local Pay's) wait before the first delivery
CARD = {"expiry_month": "12", "expiry_year": "30", "cardholder_name": "J Bloggs", "cvc": "123"}


@pytest.fixture(autouse=True)
def webhooks_delivered(local_cloud) -> Iterator[None]:
    """Pay's webhooks go 3 s after each event: let them land (and be applied) before the next test measures."""
    yield
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)
    local_cloud.wait_for_idle(timeout_s=30)


def walk_to_check_answers(browser: Browser, service: str = SERVICE) -> str:
    definition = load_catalogue()[service]
    target = browser.request("GET", f"/services/{service}/begin").header("location")
    answers: dict[str, Any] = {}
    for _ in range(len(definition.pages) + 1):
        if target.endswith("/check-answers"):
            return target
        assert browser.request("GET", target).status == 200, target
        page = definition.page(target.rsplit("/", 1)[-1])
        form = sample_form(definition, page, answers)
        if any(q.type == "address" for q in page.questions):
            form["address.mode"] = "manual"
        answers.update(form)
        reply = browser.request("POST", target, form)
        assert reply.status == 303, (target, reply.body[:1500])
        target = reply.header("location")
    raise AssertionError("did not reach check your answers")


def send(local_cloud) -> tuple[Browser, str]:
    browser = Browser(local_cloud)
    check = walk_to_check_answers(browser)
    page = browser.request("GET", check).body.decode()
    assert "you will go to GOV.UK Pay to pay £25 by card" in page
    sent = browser.request("POST", check, {"action": "submit"})
    assert sent.status == 303, sent.body[:1500]
    next_url = sent.header("location")
    assert next_url.startswith(pay_standin.base_url(local_cloud.url) + "/secure/")
    return browser, next_url


def card_page(browser: Browser, next_url: str) -> str:
    opened = browser.request("GET", urlsplit(next_url).path)
    assert opened.status in (302, 303), opened.body[:500]
    card = opened.header("location")
    assert browser.request("GET", urlsplit(card).path).status == 200
    return urlsplit(card).path


def request_of(local_cloud, reference: str) -> dict[str, Any]:
    answer = local_cloud.handle("GET", f"/api/v1/requests/{reference}")
    assert answer.status == 200, answer.body
    return dict(answer.json())


def payments_for(reference: str) -> list[Any]:
    return [p for p in pay_standin.sandbox().ledger.payments.values() if p.reference == reference]


def reference_on(page: str) -> str:
    return re.search(r'id="reference">([A-Z0-9-]+)<', page).group(1)


def test_a_success_card_pays_once_and_the_request_goes_to_its_team(local_cloud):
    browser, next_url = send(local_cloud)
    card = card_page(browser, next_url)
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    assert confirm.status == 303, confirm.body[:500]
    back = browser.request("POST", urlsplit(confirm.header("location")).path, {})
    assert back.status == 303
    returned = browser.request("GET", urlsplit(back.header("location")).path)
    assert returned.status == 303, returned.body[:1500]
    assert returned.header("location") == f"/services/{SERVICE}/confirmation"
    page = browser.request("GET", returned.header("location")).body.decode()
    assert "You have paid <strong>£25</strong>" in page
    reference = reference_on(page)
    local_cloud.wait_for_idle(timeout_s=30)  # payment-succeeded -> triage -> acknowledged
    tracked = request_of(local_cloud, reference)
    assert tracked["status"] == "received"
    assert tracked["team"]
    [payment] = payments_for(reference)
    assert (payment.status, payment.amount) == ("success", 2500)
    confirmation = browser.request("GET", f"/services/{SERVICE}/confirmation").body.decode()
    assert "You have paid <strong>£25</strong>" in confirmation
    # Pay again (an old tab's form): the request is paid, so no payment is made.
    form = {"action": "pay", "csrf_token": browser.cookies["borough_csrf"]}
    again = browser.request("POST", f"/services/{SERVICE}/pay", form)
    assert again.status == 303, again.body[:1000]
    assert again.header("location").endswith("/confirmation")
    assert len(payments_for(reference)) == 1


@pytest.mark.parametrize(
    ("how", "words"),
    [("declined", "Your payment was declined"), ("cancel", "You cancelled your payment")],
)
def test_not_paid_leaves_the_request_waiting_and_untriaged(local_cloud, how, words):
    browser, next_url = send(local_cloud)
    card = card_page(browser, next_url)
    [payment] = [p for p in pay_standin.sandbox().ledger.payments.values() if p.next_url_token in next_url]
    if how == "declined":
        browser.request("POST", card, {"card_number": "4000000000000002", **CARD})
        return_path = urlsplit(payment.return_url).path
    else:
        cancelled = browser.request("POST", f"{pay_standin.MOUNT}/card_details/{payment.payment_id}/cancel", {})
        assert cancelled.status == 303
        return_path = urlsplit(cancelled.header("location")).path
    returned = browser.request("GET", return_path)
    page = returned.body.decode()
    assert returned.status == 200, page[:1500]
    assert "Your payment was not taken" in page
    assert words in page
    reference = reference_on(page)
    local_cloud.wait_for_idle(timeout_s=30)
    tracked = request_of(local_cloud, reference)
    assert tracked["status"] == "awaiting-payment"
    assert not tracked.get("team")
    assert len(payments_for(reference)) == 1
    retry = browser.request("POST", f"/services/{SERVICE}/pay", {"action": "pay"})
    assert retry.status == 303
    assert retry.header("location").startswith(pay_standin.base_url(local_cloud.url) + "/secure/")
    assert len(payments_for(reference)) == 2  # Try again: a new attempt, the answers kept in the request


def test_make_run_prints_the_local_pay_key_in_full_and_the_test_cards(local_cloud):
    from local.__main__ import banner

    text = banner(local_cloud, 0.0, 0.0)
    key = local_cloud.client("secretsmanager").get_secret_value(SecretId="borough/dev/pay-api-key")["SecretString"]
    assert re.fullmatch(r"api_test_[a-z0-9]{58}", key)
    assert f"Pay API key         {key}" in text
    assert "4242424242424242" in text
    assert "4000000000000002" in text
    environment = local_cloud.function_environment("Borough-dev-Payments/WebPayments/Function")
    assert environment["PAY_BASE_URL"] == f"{local_cloud.url}/sandbox/pay"
    assert environment["PAY_API_KEY_SECRET_ID"] == "borough/dev/pay-api-key"
    listed = local_cloud.handle("GET", "/sandbox/pay/v1/payments", [("authorization", f"Bearer {key}")])
    assert listed.status == 200  # the key works as Pay's test keys do, with curl


def test_the_local_pays_signed_webhook_reaches_the_receiver_and_a_forged_one_is_refused(local_cloud):
    browser, next_url = send(local_cloud)
    card = card_page(browser, next_url)
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    browser.request("POST", urlsplit(confirm.header("location")).path, {})  # paid; the resident closes the tab
    [payment] = [p for p in pay_standin.sandbox().ledger.payments.values() if p.next_url_token in next_url]
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)
    local_cloud.wait_for_idle(timeout_s=30)  # receiver -> webhook queue -> worker -> Pay -> payment-succeeded
    messages = [m for m in pay_standin.sandbox().webhooks.messages if m.resource_id == payment.payment_id]
    assert messages
    assert {m.state for m in messages} == {"delivered"}
    assert all(a.status == 200 for m in messages for a in m.attempts)
    reference = payment.reference
    local_cloud.wait_for_idle(timeout_s=30)
    tracked = request_of(local_cloud, reference)
    assert tracked["status"] == "received"  # without the return page: the webhook did it
    assert tracked["team"]
    forged = local_cloud.handle(
        "POST",
        "/api/v1/payments/webhooks",
        [("content-type", "application/json"), ("pay-signature", "0" * 64)],
        messages[0].body,
    )
    assert forged.status == 401
