"""The payments service against the local Pay over HTTP (the real adapter) and moto tables: one payment per
request whatever the clicks, state from Pay only, each outcome followed up once, and crashes completed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from payments.adapters.errors import ProviderUnavailable
from payments.adapters.pay import GovUkPayAdapter
from payments.logic import Payments
from payments.reconciler import reconcile
from payments.store import PaymentsStore
from payments.unpaid import cancellation_text
from shared import aws
from shared.errors import DependencyFailed
from shared.requests_repo import RequestsRepository
from tests.unit.payments.pay_support import START, Browser, card_form
from tests.unit.payments.payments_support import put_awaiting_request

pytestmark = pytest.mark.unit

REFERENCE = "AC3E-4679"
BASE = "https://borough.example"


class Published(list):
    """Every event announced: straight to the topic, or with a request write (the outbox), in order."""

    def ids(self) -> list[str]:
        return [event.id for event in self]

    def types(self) -> list[str]:
        return [event.type.value for event in self]


class OutboxRequests(RequestsRepository):
    """The Requests table, noting each event a write stores for the outbox publisher (once per write that won)."""

    def __init__(self, table_name: str, published: Published) -> None:
        super().__init__(table_name)
        self.published = published

    def set_status(self, reference: str, **kwargs: Any) -> dict[str, Any]:
        written = super().set_status(reference, **kwargs)
        assert json.loads(written["outbox"])["id"] == kwargs["event"].id  # stored in the same write
        self.published.append(kwargs["event"])
        return written


def put_request(status: str = "awaiting-payment", amount: int = 3500) -> None:
    put_awaiting_request(REFERENCE, status=status, amount=amount)


def request_status() -> str:
    return str(aws.table("requests").get_item(Key={"reference": REFERENCE})["Item"]["status"])


@pytest.fixture
def published() -> Published:
    return Published()


def service(provider: Any, clock, published: Published) -> Payments:
    return Payments(
        store=PaymentsStore("payments"),
        provider=provider,
        requests=OutboxRequests("requests", published),
        publish=published.append,
        public_base_url=BASE,
        clock=clock,
    )


@pytest.fixture
def payments(tables, adapter, clock, published) -> Payments:
    put_request()
    return service(adapter, clock, published)


def pay_with(running, next_url: str, number: str = "4242424242424242") -> None:
    browser = Browser(running.sandbox)
    _, headers, _ = browser.get(next_url)
    _, headers, _ = browser.post(headers["Location"], card_form(number))
    if number == "4242424242424242":
        browser.post(headers["Location"])  # Confirm


def creates(running) -> int:
    return len([1 for method, path in running.sandbox.requests if (method, path) == ("POST", "/v1/payments")])


def token_of(outcome_url: str) -> str:
    return outcome_url.rsplit("/", 1)[1]


def only_payment(running):
    [payment] = running.sandbox.ledger.payments.values()
    return payment


# -- starting ------------------------------------------------------------------------------------------------------
def test_a_payment_for_the_stored_amount_with_an_opaque_return_url(payments, running):
    started = payments.start(REFERENCE, correlation_id="c")
    assert (started.status, started.attempt, started.amount) == ("created", 1, 3500)
    assert started.next_url.startswith(running.api_url + "/secure/")
    payment = only_payment(running)
    assert payment.amount == 3500
    assert payment.reference == REFERENCE
    assert payment.return_url.startswith(f"{BASE}/services/bulky-waste/payment/")
    assert payment.payment_id not in payment.return_url


def test_a_double_click_and_a_second_tab_make_one_payment(payments, running):
    first = payments.start(REFERENCE, correlation_id="c")
    second = payments.start(REFERENCE, correlation_id="c")
    assert creates(running) == 1
    assert second.attempt == first.attempt
    assert second.next_url == first.next_url  # the browser follows one of the two redirects
    Browser(running.sandbox).get(first.next_url)  # one tab opened Pay's page
    third = payments.start(REFERENCE, correlation_id="c")
    assert (third.attempt, third.status, third.next_url) == (1, "started", "")
    assert creates(running) == 1


def test_two_concurrent_starts_race_for_the_attempt_and_one_asks_pay(payments, running, clock, published, adapter):
    other = service(adapter, clock, published)
    # The other click wrote attempt 1 first (between our read of the latest attempt and our write).
    original_latest = payments.store.latest
    payments.store.latest = lambda reference: None  # type: ignore[method-assign]
    other.start(REFERENCE, correlation_id="c")
    again = payments.start(REFERENCE, correlation_id="c")
    payments.store.latest = original_latest  # type: ignore[method-assign]
    assert again.attempt == 1
    assert creates(running) == 1


def test_the_amount_never_comes_from_the_caller_and_a_paid_request_is_not_paid_again(
    tables, adapter, clock, published, running
):
    put_request(status="received", amount=3500)
    outcome = service(adapter, clock, published).start(REFERENCE, correlation_id="c")
    assert outcome.status == "not-payable"
    assert creates(running) == 0


# -- outcomes ------------------------------------------------------------------------------------------------------
def test_success_on_return_resumes_the_request_once_and_announces_it_once(payments, running, published):
    started = payments.start(REFERENCE, correlation_id="c")
    pay_with(running, started.next_url)
    token = token_of(only_payment(running).return_url)
    back = payments.on_return(token, correlation_id="c")
    again = payments.on_return(token, correlation_id="c")
    assert (back.status, back.finished, again.status) == ("success", True, "success")
    assert request_status() == "received"
    assert published.types() == ["payment-succeeded"]
    event = published[0]
    assert set(event.data) == {"reference", "service_id", "attempt", "payment_id", "outcome"}
    assert payments.start(REFERENCE, correlation_id="c").status == "paid"
    assert creates(running) == 1


def test_a_declined_card_fails_the_attempt_and_the_resident_can_try_again(payments, running, published):
    first = payments.start(REFERENCE, correlation_id="c")
    pay_with(running, first.next_url, "4000000000000002")
    back = payments.on_return(token_of(only_payment(running).return_url), correlation_id="c")
    assert (back.status, back.code) == ("failed", "P0010")
    assert request_status() == "awaiting-payment"
    assert published.types() == ["payment-failed"]
    retry = payments.start(REFERENCE, correlation_id="c")
    assert (retry.attempt, retry.status) == (2, "created")
    assert creates(running) == 2


def test_the_return_before_any_webhook_and_webhooks_three_times_apply_once(payments, running, published):
    started = payments.start(REFERENCE, correlation_id="c")
    pay_with(running, started.next_url)
    payment = only_payment(running)
    payments.on_return(token_of(payment.return_url), correlation_id="c")
    for _ in range(3):
        payments.on_hint(payment.payment_id, correlation_id="c")
    assert published.types() == ["payment-succeeded"]
    assert request_status() == "received"


def test_a_webhook_before_the_return(payments, running, published):
    started = payments.start(REFERENCE, correlation_id="c")
    pay_with(running, started.next_url)
    payment = only_payment(running)
    applied = payments.on_hint(payment.payment_id, correlation_id="c")
    assert applied is not None
    assert (applied.status, applied.open) == ("success", False)
    back = payments.on_return(token_of(payment.return_url), correlation_id="c")
    assert back.status == "success"
    assert published.types() == ["payment-succeeded"]


def test_a_hint_for_a_payment_that_is_not_ours_is_ignored(payments, adapter):
    from payments.adapters.base import NewPayment

    stranger = adapter.create_payment(
        NewPayment(amount=100, reference=REFERENCE, description="x", return_url="https://x.example/")
    )
    assert payments.on_hint(stranger.payment_id, correlation_id="c") is None


def test_an_unknown_return_token_is_not_found(payments):
    from shared.errors import NotFound

    with pytest.raises(NotFound):
        payments.on_return("no-such-token-at-all", correlation_id="c")


# -- Pay failing mid-create ----------------------------------------------------------------------------------------
class TimesOutAfterCreating:
    """Pay made the payment but the answer was lost (a timeout): what the adapter raises then."""

    def __init__(self, adapter: GovUkPayAdapter) -> None:
        self.adapter = adapter

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)

    def create_payment(self, payment):
        self.adapter.create_payment(payment)
        raise ProviderUnavailable("timeout", maybe_applied=True)


def test_a_create_that_timed_out_is_found_by_reference_not_made_again(tables, adapter, clock, published, running):
    put_request()
    payments = service(TimesOutAfterCreating(adapter), clock, published)
    started = payments.start(REFERENCE, correlation_id="c")
    assert (started.attempt, started.status) == (1, "created")
    assert started.next_url.startswith(running.api_url + "/secure/")
    assert creates(running) == 1
    assert payments.start(REFERENCE, correlation_id="c").attempt == 1
    assert creates(running) == 1


def test_a_500_mid_create_leaves_nothing_open_and_the_next_click_makes_one_payment(payments, running):
    running.sandbox.fail_next(500, "P0198")
    with pytest.raises(DependencyFailed):
        payments.start(REFERENCE, correlation_id="c")
    assert payments.store.latest(REFERENCE).status == "not-created"
    assert not payments.store.latest(REFERENCE).open
    retry = payments.start(REFERENCE, correlation_id="c")
    assert (retry.attempt, retry.status) == (2, "created")
    assert len(running.sandbox.ledger.payments) == 1


# -- the reconciler ------------------------------------------------------------------------------------------------
def test_the_reconciler_finishes_a_tab_closed_on_pays_page_at_expiry(payments, running, clock, published):
    started = payments.start(REFERENCE, correlation_id="c")
    Browser(running.sandbox).get(started.next_url)  # opened, then the tab was closed
    clock.advance(minutes=91)
    running.sandbox.advance()
    counts = reconcile(payments, now=clock())
    assert counts == {"looked_at": 1, "closed": 1, "failed": 0, "cancelled": 0}
    latest = payments.store.latest(REFERENCE)
    assert (latest.status, latest.code, latest.open) == ("failed", "P0020", False)
    assert published.types() == ["payment-failed"]
    assert reconcile(payments, now=clock())["looked_at"] == 0


def test_a_crash_between_paid_and_resumed_is_completed_by_the_reconciler(payments, running, clock, published):
    started = payments.start(REFERENCE, correlation_id="c")
    pay_with(running, started.next_url)
    broken = payments.requests.set_status

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the function stopped here")

    payments.requests.set_status = crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        payments.on_hint(only_payment(running).payment_id, correlation_id="c")
    assert payments.store.latest(REFERENCE).status == "success"
    assert request_status() == "awaiting-payment"
    payments.requests.set_status = broken  # type: ignore[method-assign]
    clock.advance(minutes=1)
    assert reconcile(payments, now=clock())["closed"] == 1
    assert request_status() == "received"
    assert published.types() == ["payment-succeeded"]
    payments.on_hint(only_payment(running).payment_id, correlation_id="c")
    assert published.types() == ["payment-succeeded"]


def test_the_reconciler_leaves_an_attempt_open_while_pay_is_unreachable(payments, running, clock):
    payments.start(REFERENCE, correlation_id="c")
    clock.advance(minutes=1)
    running.sandbox.fail_next(503, "P0298", times=10)
    counts = reconcile(payments, now=clock())
    assert (counts["looked_at"], counts["closed"]) == (1, 0)
    assert payments.store.latest(REFERENCE).open


def test_clock_starts_where_the_sandbox_does(clock):
    assert clock() == START


# -- unpaid requests are cancelled after their service's time to pay ------------------------------------------------
def windowed(payments: Payments, minutes: int) -> Payments:
    payments.unpaid_window = lambda service_id: timedelta(minutes=minutes)
    return payments


def test_an_unpaid_request_is_cancelled_at_pay_and_closed_and_the_resident_is_told(payments, running, clock, published):
    windowed(payments, 30).start(REFERENCE, correlation_id="c")
    clock.advance(minutes=20)
    assert reconcile(payments, now=clock())["cancelled"] == 0  # still within the time to pay
    clock.advance(minutes=11)
    counts = reconcile(payments, now=clock())
    assert counts["cancelled"] == 1
    payment = only_payment(running)
    assert (payment.status, payment.code) == ("cancelled", "P0040")
    item = aws.table("requests").get_item(Key={"reference": REFERENCE})["Item"]
    assert item["status"] == "closed"
    assert item["history"][-1]["update"] == cancellation_text(0)  # 30 minutes: 0 whole hours
    assert published.types() == ["payment-failed", "status-changed"]
    changed = published[-1]
    assert changed.data == {
        "reference": REFERENCE,
        "service_id": "bulky-waste",
        "status": "closed",
        "previous_status": "awaiting-payment",
        "update_id": item["history"][-1]["update_id"],
    }
    assert reconcile(payments, now=clock())["cancelled"] == 0
    assert payments.start(REFERENCE, correlation_id="c").status == "not-payable"
    assert published.types() == ["payment-failed", "status-changed"]


def test_a_request_paid_just_before_its_deadline_is_not_cancelled(payments, running, clock, published):
    started = windowed(payments, 30).start(REFERENCE, correlation_id="c")
    pay_with(running, started.next_url)  # paid, but neither the return nor a webhook has come
    clock.advance(minutes=31)
    counts = reconcile(payments, now=clock())
    assert counts["cancelled"] == 0
    assert request_status() == "received"
    assert published.types() == ["payment-succeeded"]


def test_a_cancellation_that_stopped_before_settling_is_finished_once(payments, running, clock, published):
    windowed(payments, 30).start(REFERENCE, correlation_id="c")
    clock.advance(minutes=31)
    settle = payments.store.settle_order

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the function stopped here")

    payments.store.settle_order = crash  # type: ignore[method-assign]
    assert reconcile(payments, now=clock())["failed"] == 1
    assert request_status() == "closed"
    payments.store.settle_order = settle  # type: ignore[method-assign]
    assert reconcile(payments, now=clock())["failed"] == 0
    assert reconcile(payments, now=clock())["cancelled"] == 0
    assert published.types() == ["payment-failed", "status-changed"]  # closed and announced once
