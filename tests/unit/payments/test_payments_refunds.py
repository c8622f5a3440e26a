"""Refunds by staff against the local Pay over HTTP (the real adapter) and moto tables: in part, the rest, never more
than is left, one refund per confirmed form, P0604 re-read once, a lost answer found at Pay, the permission checked
here too, and every open refund polled to its end."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from payments.adapters.errors import ProviderUnavailable
from payments.adapters.pay import GovUkPayAdapter
from payments.logic import Payments
from payments.refunds import RefundRefused, Refunds, StaffRef
from payments.refunds_store import RefundsStore
from payments.store import PaymentsStore
from shared import aws
from shared.errors import DependencyFailed, Forbidden, ValidationFailed
from shared.requests_repo import RequestsRepository
from tests.unit.payments.pay_support import Browser, card_form
from tests.unit.payments.payments_support import (
    create_payments_table,
    create_refunds_table,
    create_requests_table,
)

pytestmark = pytest.mark.unit

REFERENCE = "AC3E-4679"
FINANCE = StaffRef("finance-sub", frozenset({"finance"}))
KEY = "k" * 24


@pytest.fixture
def tables() -> Iterator[None]:
    with mock_aws():
        aws.reset()
        dynamodb = boto3.client("dynamodb", region_name="eu-west-2")
        create_requests_table(dynamodb, "requests")
        create_payments_table(dynamodb, "payments")
        create_refunds_table(dynamodb, "refunds")
        yield
        aws.reset()


@pytest.fixture
def adapter(running, api_key) -> GovUkPayAdapter:
    return GovUkPayAdapter(api_key, base_url=running.api_url, rng=random.Random(3))


def refunds_with(provider: Any, clock) -> Refunds:
    return Refunds(
        attempts=PaymentsStore("payments"),
        store=RefundsStore("refunds"),
        provider=provider,
        refund_roles=frozenset({"finance"}),
        clock=clock,
    )


def pay(running, adapter, clock, *, capture: bool = True) -> str:
    """A bulky waste request of £35.00 paid with a success card (and captured): its Pay payment id."""
    aws.table("requests").put_item(
        Item={
            "reference": REFERENCE,
            "service_id": "bulky-waste",
            "service_title": "Book a bulky waste collection",
            "status": "awaiting-payment",
            "amount_due_pence": 3500,
            "history": [{"status": "awaiting-payment", "at": "2026-03-02T09:00:00+00:00"}],
            "expires_at": 2_000_000_000,
        }
    )
    payments = Payments(
        store=PaymentsStore("payments"),
        provider=adapter,
        requests=RequestsRepository("requests"),
        publish=lambda event: None,
        public_base_url="https://borough.example",
        clock=clock,
    )
    started = payments.start(REFERENCE, correlation_id="c")
    browser = Browser(running.sandbox)
    _, headers, _ = browser.get(started.next_url)
    _, headers, _ = browser.post(headers["Location"], card_form("4242424242424242"))
    browser.post(headers["Location"])
    attempt = PaymentsStore("payments").get(REFERENCE, 1)
    assert attempt is not None
    assert payments.on_return(attempt.return_token, correlation_id="c").status == "success"
    if capture:
        running.sandbox.advance()
    return attempt.payment_id


@pytest.fixture
def paid(tables, running, adapter, clock) -> str:
    return pay(running, adapter, clock)


@pytest.fixture
def refunds(paid, adapter, clock) -> Refunds:
    return refunds_with(adapter, clock)


def refund(service: Refunds, amount: int, *, number: int, key: str = KEY, staff: StaffRef = FINANCE, reason="Gone"):
    return service.refund(REFERENCE, amount=amount, reason=reason, staff=staff, number=number, form_key=key)


def pay_refunds(running) -> list[tuple[int, str]]:
    return [(r.amount, r.status) for p in running.sandbox.ledger.payments.values() for r in p.refunds]


def refund_posts(running) -> int:
    return len([1 for method, path in running.sandbox.requests if method == "POST" and path.endswith("/refunds")])


def test_refund_in_part_then_the_rest_then_a_third_is_refused(refunds, running, clock):
    first = refund(refunds, 1000, number=1, key="a" * 20)
    assert (first.status, first.amount, first.staff, first.reason) == ("submitted", 1000, "finance-sub", "Gone")
    assert refunds.summary(REFERENCE).refundable == 2500
    second = refund(refunds, 2500, number=2, key="b" * 20)
    assert second.status == "submitted"
    assert pay_refunds(running) == [(1000, "submitted"), (2500, "submitted")]
    with pytest.raises(RefundRefused) as refused:
        refund(refunds, 100, number=3, key="c" * 20)
    assert refused.value.problem == "fully-refunded"
    assert refund_posts(running) == 2
    summary = refunds.summary(REFERENCE)
    assert (summary.refundable, summary.refund_status, summary.next_number) == (0, "full", 4)
    assert [r.status for r in summary.refunds] == ["submitted", "submitted", "not-created"]


def test_never_more_than_pay_says_is_left(refunds, running):
    with pytest.raises(RefundRefused) as refused:
        refund(refunds, 3501, number=1)
    assert refused.value.problem == "over-available"
    assert "£35.00" in refused.value.detail
    assert pay_refunds(running) == []


def test_the_same_form_twice_makes_one_refund(refunds, running):
    first = refund(refunds, 500, number=1)
    again = refund(refunds, 500, number=1)
    assert again == first
    assert refund_posts(running) == 1


def test_another_form_for_the_same_number_is_told_the_payment_changed(refunds, running):
    refund(refunds, 500, number=1, key="a" * 20)
    with pytest.raises(RefundRefused) as refused:
        refund(refunds, 500, number=1, key="b" * 20)
    assert refused.value.problem == "changed"
    assert refund_posts(running) == 1


class RefundsMeanwhile:
    """Someone else refunds `times` times between our read of the payment and our refund (Pay answers 412 P0604)."""

    def __init__(self, adapter: GovUkPayAdapter, times: int) -> None:
        self.adapter, self.times = adapter, times

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)

    def create_refund(self, payment_id: str, amount: int, *, refund_amount_available: int):
        if self.times:
            self.times -= 1
            self.adapter.create_refund(payment_id, 100, refund_amount_available=refund_amount_available)
        return self.adapter.create_refund(payment_id, amount, refund_amount_available=refund_amount_available)


def test_a_p0604_reads_what_is_left_and_asks_again_once(paid, adapter, clock, running):
    made = refund(refunds_with(RefundsMeanwhile(adapter, 1), clock), 1000, number=1)
    assert made.status == "submitted"
    assert sorted(pay_refunds(running)) == [(100, "submitted"), (1000, "submitted")]


def test_a_second_p0604_is_a_clear_conflict(paid, adapter, clock, running):
    service = refunds_with(RefundsMeanwhile(adapter, 2), clock)
    with pytest.raises(RefundRefused) as refused:
        refund(service, 1000, number=1)
    assert refused.value.problem == "changed"
    assert pay_refunds(running) == [(100, "submitted"), (100, "submitted")]
    assert RefundsStore("refunds").get(REFERENCE, 1).status == "not-created"


def test_only_a_role_with_the_refund_permission_may_refund(refunds, running):
    for staff in (StaffRef("caseworker-sub", frozenset({"caseworker"})), StaffRef("", frozenset({"finance"}))):
        with pytest.raises(Forbidden):
            refund(refunds, 500, number=1, staff=staff)
    assert RefundsStore("refunds").of(REFERENCE) == []
    assert refund_posts(running) == 0


@pytest.mark.parametrize(("amount", "reason"), [(500, "   "), (500, "x" * 501), (0, "Gone")])
def test_a_reason_and_an_amount_are_required(refunds, running, amount, reason):
    with pytest.raises(ValidationFailed):
        refund(refunds, amount, number=1, reason=reason)
    assert refund_posts(running) == 0


def test_an_unpaid_request_has_nothing_to_refund(tables, adapter, clock):
    with pytest.raises(RefundRefused) as refused:
        refund(refunds_with(adapter, clock), 500, number=1)
    assert refused.value.problem == "not-paid"


def test_a_payment_not_yet_captured_is_not_refundable_yet(tables, running, adapter, clock):
    running.sandbox.ledger.capture_delay = timedelta(hours=1)  # the local Pay captures as it is asked otherwise
    pay(running, adapter, clock, capture=False)
    with pytest.raises(RefundRefused) as refused:
        refund(refunds_with(adapter, clock), 500, number=1)
    assert (refused.value.problem, "not been taken" in refused.value.detail) == ("not-refundable", True)


class TimesOutAfterRefunding:
    """Pay made the refund but its answer was lost (a timeout)."""

    def __init__(self, adapter: GovUkPayAdapter, *, make: bool = True) -> None:
        self.adapter, self.make = adapter, make

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)

    def create_refund(self, payment_id: str, amount: int, *, refund_amount_available: int):
        if self.make:
            self.adapter.create_refund(payment_id, amount, refund_amount_available=refund_amount_available)
        raise ProviderUnavailable("timeout", maybe_applied=True)


def test_a_refund_whose_answer_was_lost_is_found_at_pay_not_made_again(paid, adapter, clock, running):
    made = refund(refunds_with(TimesOutAfterRefunding(adapter), clock), 700, number=1)
    [(amount, _)] = pay_refunds(running)
    assert (made.status, made.refund_id != "", amount) == ("submitted", True, 700)


def test_a_lost_refund_not_found_blocks_others_until_the_reconciler_decides(paid, adapter, clock, running):
    service = refunds_with(TimesOutAfterRefunding(adapter, make=False), clock)
    with pytest.raises(DependencyFailed):
        refund(service, 700, number=1, key="a" * 20)
    with pytest.raises(RefundRefused) as refused:
        refund(refunds_with(adapter, clock), 700, number=2, key="b" * 20)
    assert refused.value.problem == "checking"
    [record] = RefundsStore("refunds").of(REFERENCE)
    assert service.poll(record).status == "requesting"  # still in flight
    clock.advance(minutes=1)
    assert service.poll(record).status == "not-created"
    assert refund(refunds_with(adapter, clock), 700, number=2, key="b" * 20).status == "submitted"


def test_a_refund_is_polled_to_success_or_error(refunds, running, clock):
    running.sandbox.ledger.refund_errors = 1
    failing = refund(refunds, 1000, number=1, key="a" * 20)
    succeeding = refund(refunds, 500, number=2, key="b" * 20)
    assert refunds.poll(failing).status == "submitted"
    clock.advance(seconds=6)
    running.sandbox.advance()
    assert refunds.poll(failing).status == "error"
    assert refunds.poll(succeeding).status == "success"
    assert RefundsStore("refunds").open_refunds(requested_before="9999") == []
    assert refunds.summary(REFERENCE).refundable == 3000  # the failed refund's money is available again


def test_a_refunded_webhook_is_a_hint_read_from_pay(refunds, running, clock, paid):
    refund(refunds, 1000, number=1)
    clock.advance(seconds=6)
    running.sandbox.advance()
    [polled] = refunds.on_refunded(paid)
    assert polled.status == "success"


# -- the reconciler's pass over open refunds ---------------------------------------------------------------------------
def test_the_reconciler_polls_every_open_refund_to_its_end_and_counts_an_error_in_the_alarmed_metric(
    refunds, running, clock
):
    from payments.reconciler import poll_refunds
    from payments.refunds import REFUNDS_FAILED_METRIC
    from shared.observability import metrics

    metrics.clear_metrics()
    running.sandbox.ledger.refund_errors = 1
    refund(refunds, 1000, number=1, key="a" * 20)
    refund(refunds, 500, number=2, key="b" * 20)
    clock.advance(seconds=1)
    assert poll_refunds(refunds, now=clock()) == {"refunds_looked_at": 2, "refunds_finished": 0, "refunds_failed": 0}
    clock.advance(seconds=6)
    running.sandbox.advance()
    counts = poll_refunds(refunds, now=clock())
    assert counts == {"refunds_looked_at": 2, "refunds_finished": 2, "refunds_failed": 0}
    assert [r.status for r in RefundsStore("refunds").of(REFERENCE)] == ["error", "success"]
    assert metrics.metric_set[REFUNDS_FAILED_METRIC]["Value"] == [1.0]
    assert poll_refunds(refunds, now=clock())["refunds_looked_at"] == 0  # final: out of the open-refunds index
    assert metrics.metric_set[REFUNDS_FAILED_METRIC]["Value"] == [1.0]  # counted once
    metrics.clear_metrics()


def test_the_reconciler_leaves_a_refund_open_while_pay_is_unreachable(refunds, running, clock):
    from payments.reconciler import poll_refunds

    refund(refunds, 1000, number=1)
    running.sandbox.fail_next(503, "P0798", times=20)
    clock.advance(seconds=1)
    assert poll_refunds(refunds, now=clock())["refunds_failed"] == 1
    assert RefundsStore("refunds").get(REFERENCE, 1).status == "submitted"


# -- the staff function (what the console invokes) -------------------------------------------------------------------
@pytest.fixture
def staff_function(paid, api_key, running, monkeypatch) -> Iterator[Any]:
    from payments import service, staff
    from shared import settings

    boto3.client("secretsmanager", region_name="eu-west-2").create_secret(
        Name="borough/test/pay-api-key", SecretString=api_key
    )
    for name, value in {
        "PAYMENTS_TABLE": "payments",
        "REFUNDS_TABLE": "refunds",
        "REFUND_ROLES": "finance",
        "PAY_BASE_URL": running.api_url,
        "PAY_API_KEY_SECRET_ID": "borough/test/pay-api-key",
    }.items():
        monkeypatch.setenv(name, value)
    settings.reset()
    service.reset()
    yield staff
    settings.reset()
    service.reset()


def staff_event(**fields: Any) -> dict[str, Any]:
    return {
        "action": "refund",
        "reference": REFERENCE,
        "amount_pence": 1000,
        "reason": "Collection missed",
        "number": 1,
        "form_key": KEY,
        "staff": {"subject": "finance-sub", "roles": ["finance"]},
        "correlation_id": "c",
        **fields,
    }


def test_the_staff_function_shows_the_payment_and_refunds_it(staff_function, running):
    from tests.helpers import FakeContext

    summary = staff_function.handler({"action": "summary", "reference": REFERENCE}, FakeContext())
    assert summary["status"] == 200
    body = summary["body"]
    assert (body["paid"], body["amount_pence"], body["refundable_pence"], body["next_number"]) == (True, 3500, 3500, 1)
    made = staff_function.handler(staff_event(), FakeContext())
    assert (made["status"], made["body"]["status"], made["body"]["amount_pence"]) == (200, "submitted", 1000)
    over = staff_function.handler(staff_event(number=2, form_key="b" * 20, amount_pence=2501), FakeContext())
    assert (over["status"], over["body"]["problem"]) == (409, "over-available")
    assert "£25.00" in over["body"]["detail"]
    assert pay_refunds(running) == [(1000, "submitted")]


@pytest.mark.parametrize(
    "fields",
    [{"amount_pence": "10.00"}, {"number": None}, {"form_key": "short"}, {"reference": "not-a-ref"}, {"action": "x"}],
)
def test_the_staff_function_refuses_a_malformed_event_and_writes_nothing(staff_function, running, fields):
    from tests.helpers import FakeContext

    assert staff_function.handler(staff_event(**fields), FakeContext())["status"] == 400
    assert RefundsStore("refunds").of(REFERENCE) == []
    assert refund_posts(running) == 0


def test_the_staff_function_refuses_a_role_without_the_refund_permission(staff_function, running):
    from tests.helpers import FakeContext

    caseworker = {"subject": "cw-sub", "roles": ["caseworker"]}
    assert staff_function.handler(staff_event(staff=caseworker), FakeContext())["status"] == 403
    assert refund_posts(running) == 0
