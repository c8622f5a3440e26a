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


# -- refunds: the staff function and the reconciler, as deployed ------------------------------------------------------
STAFF_PAYMENTS = "Borough-dev-StaffPayments"


def pay_with_a_success_card(local_cloud) -> str:
    """A bulky waste request paid on the local Pay's card page: its reference."""
    browser, next_url = send(local_cloud)
    card = card_page(browser, next_url)
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(confirm.header("location")).path, {})
    browser.request("GET", urlsplit(back.header("location")).path)
    [payment] = [p for p in pay_standin.sandbox().ledger.payments.values() if p.next_url_token in next_url]
    local_cloud.wait_for_idle(timeout_s=30)
    return str(payment.reference)


def invoke_staff_payments(local_cloud, event: dict[str, Any]) -> dict[str, Any]:
    """The StaffPayments function as the console invokes it (lambda:Invoke, by name)."""
    import json

    answer = local_cloud.client("lambda").invoke(FunctionName=STAFF_PAYMENTS, Payload=json.dumps(event).encode())
    assert "FunctionError" not in answer, answer["Payload"].read()
    return dict(json.loads(answer["Payload"].read()))


def fire_reconciler(local_cloud) -> dict[str, Any]:
    import json

    rule = local_cloud.scheduler.find(local_cloud.resource("Borough-dev-Payments/ReconcilePayments").logical_id)
    assert local_cloud.handle("POST", f"/sandbox/schedules/{rule.name}").status == 202
    local_cloud.wait_for_idle(timeout_s=30)
    reconciler = local_cloud.physical_id("Borough-dev-Payments/Reconciler/Function")
    last = local_cloud.runtime.invocations_of(reconciler)[-1]
    assert not last.errored, last.payload
    return dict(json.loads(last.payload))


def test_a_refund_pay_ends_in_error_is_found_by_the_reconciler_and_alarmed(local_cloud):
    from datetime import timedelta

    reference = pay_with_a_success_card(local_cloud)
    ledger = pay_standin.sandbox().ledger
    ledger.refund_errors, delay, ledger.refund_delay = 1, ledger.refund_delay, timedelta(0)
    try:
        made = invoke_staff_payments(
            local_cloud,
            {
                "action": "refund",
                "reference": reference,
                "amount_pence": 1000,
                "reason": "Collection missed",
                "number": 1,
                "form_key": "f" * 24,
                "staff": {"subject": "finance-sub", "roles": ["finance"]},
            },
        )
        assert (made["status"], made["body"]["status"]) == (200, "submitted"), made
        counts = fire_reconciler(local_cloud)  # Pay sends no webhook for an error: only the reconciler sees it
    finally:
        ledger.refund_delay = delay
    assert counts["refunds_finished"] >= 1, counts
    summary = invoke_staff_payments(local_cloud, {"action": "summary", "reference": reference})["body"]
    assert [(r["number"], r["status"]) for r in summary["refunds"]] == [(1, "error")]
    assert summary["refundable_pence"] == 2500  # the failed refund's money is available again


def test_finance_refunds_part_in_the_console_the_reconciler_finishes_it_and_more_than_is_left_is_refused(local_cloud):
    """Item 7 end to end: a resident pays £25 on the local Pay; the demo finance officer signs in to the console,
    opens the case, refunds £10 with a reason; the local Pay has the refund and the reconciler takes it to success;
    a second refund of £20 (£15 is left) is refused with the message, and Pay is not asked for it."""
    import html
    from datetime import timedelta

    from local.staff import DEMO_STAFF
    from tests.local.test_local_console import Browser as ConsoleBrowser
    from tests.local.test_local_console import _sign_in_as

    reference = pay_with_a_success_card(local_cloud)
    [payment] = payments_for(reference)
    staff = ConsoleBrowser(local_cloud)
    callback, _ = _sign_in_as(staff, DEMO_STAFF["finance"])
    assert staff.request("GET", callback).status == 303
    case = staff.request("GET", f"/staff/cases/{reference}")
    assert case.status == 200, case.body[:1500]
    page = case.body.decode()
    assert payment.payment_id in page
    assert "£25.00" in page  # paid, and all of it left to refund
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.split("/refunds", 1)[1]))

    ledger = pay_standin.sandbox().ledger
    delay, ledger.refund_delay = ledger.refund_delay, timedelta(0)  # Pay finishes it at its next call
    try:
        made = staff.request(
            "POST", f"/staff/cases/{reference}/refunds", {**form, "amount": "10", "reason": "Collection missed"}
        )
        assert made.status == 303, made.body[:1500]
        assert [(r.amount, r.status) for r in payment.refunds] == [(1000, "submitted")]  # the local Pay has it
        counts = fire_reconciler(local_cloud)
    finally:
        ledger.refund_delay = delay
    assert counts["refunds_finished"] == 1, counts  # the reconciler took it to success
    assert [(r.amount, r.status) for r in payment.refunds] == [(1000, "success")]
    after = staff.request("GET", made.header("location").split("#")[0]).body.decode()
    assert "Refund 1 was sent to GOV.UK Pay" in after
    assert 'data-state="success">Refunded<' in after
    assert "£15.00" in after  # left to refund

    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', after.split("/refunds", 1)[1]))
    refused = staff.request(
        "POST", f"/staff/cases/{reference}/refunds", {**form, "amount": "20.00", "reason": "Second visit missed"}
    )
    assert refused.status == 200
    message = html.unescape(refused.body.decode())
    assert "The refund was not made" in message
    assert "That is more than is left to refund. You can refund at most £15.00 of this payment, not £20.00." in message
    assert len(payment.refunds) == 1  # Pay was not asked
    audit = local_cloud.physical_id("Borough-dev-Console/Audit")
    trail = local_cloud.client("dynamodb").query(
        TableName=audit,
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": {"S": reference}},
    )["Items"]
    assert [e["action"]["S"] for e in trail].count("refund") == 2  # both asked for, both audited
