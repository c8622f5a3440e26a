"""Contract tests: the GOV.UK Pay adapter against the local Pay served over HTTP on 127.0.0.1, every operation and
every error class; and its time budget, retries and refusals against stub servers."""

from __future__ import annotations

import random
import time

import pytest

from local.sandbox.pay import serve
from payments.adapters import errors
from payments.adapters.base import MotoCard, NewPayment
from payments.adapters.pay import (
    DEFAULT_POLICY,
    MOTO_POLICY,
    WORST_CASE_SECONDS,
    GovUkPayAdapter,
    RetryPolicy,
    worst_case_seconds,
)
from tests.unit.payments.pay_support import START, Browser, Stub, card_form

pytestmark = pytest.mark.unit

WEB = NewPayment(
    amount=2500,
    reference="BW-2026-0001",
    description="Bulky waste collection",
    return_url="http://127.0.0.1:8000/pay/return/opaque",
    metadata={"ledger_code": "BW01", "attempt": 2},
    language="cy",
    email="resident@example.org",
)
MOTO = NewPayment(amount=1200, reference="GW-1", description="Garden waste", authorisation_mode="moto_api")
CARD = MotoCard(card_number="4242424242424242", expiry_date="12/30", cvc="123", cardholder_name="J Bloggs")
ALL_TIME = ("2020-01-01T00:00:00Z", "2100-01-01T00:00:00Z")
SCHEDULING_SLACK_S = 0.25  # a busy shared machine may wake a thread late; the budget itself is what is tested


class FakeTime:
    """The adapter's monotonic clock and sleep, tied to the sandbox's clock so that backing off moves both."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return (self.clock.now - START).total_seconds()

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance(seconds=seconds)


@pytest.fixture
def fake_time(clock) -> FakeTime:
    return FakeTime(clock)


@pytest.fixture
def pay(running, api_key, fake_time) -> GovUkPayAdapter:
    return GovUkPayAdapter(
        api_key, base_url=running.api_url, clock=fake_time.monotonic, sleep=fake_time.sleep, rng=random.Random(7)
    )


def pay_on_card_page(running, created, number="4242424242424242") -> None:
    browser = Browser(running.sandbox)
    _, headers, _ = browser.get(created.next_url)
    _, headers, _ = browser.post(headers["Location"], card_form(number))
    browser.post(headers["Location"])


# -- every operation ----------------------------------------------------------------------------------------------
def test_create_get_and_events_of_a_web_payment(pay, running):
    created = pay.create_payment(WEB)
    assert created.state.status == "created"
    assert created.amount == 2500
    assert created.metadata == {"ledger_code": "BW01", "attempt": 2}
    assert (created.language, created.email, created.return_url) == ("cy", "resident@example.org", WEB.return_url)
    assert created.next_url is not None
    assert created.next_url.startswith(running.api_url + "/secure/")
    assert created.links.cancel is not None
    pay_on_card_page(running, created)
    got = pay.get_payment(created.payment_id)
    assert (got.state.status, got.state.finished) == ("success", True)
    assert got.settlement_summary.capture_submit_time == "2026-03-02T09:00:00.000Z"
    assert got.settlement_summary.captured_date == "2026-03-02"
    assert got.refund_summary is not None
    assert got.refund_summary.amount_available == 2500
    assert got.card_details is not None
    assert got.card_details.last_digits_card_number == "4242"
    assert [e.state.status for e in pay.payment_events(created.payment_id).events] == [
        "created",
        "started",
        "submitted",
        "success",
    ]


def test_cancel_then_cancel_again(pay):
    created = pay.create_payment(WEB)
    pay.cancel_payment(created.payment_id)
    state = pay.get_payment(created.payment_id).state
    assert (state.status, state.code) == ("cancelled", "P0040")
    with pytest.raises(errors.PaymentNotCancellable) as raised:
        pay.cancel_payment(created.payment_id)
    assert (raised.value.status, raised.value.code) == (409, "P0502")


def test_moto_create_and_authorise(pay):
    created = pay.create_payment(MOTO)
    assert created.return_url is None
    assert created.one_time_token
    assert created.links.auth_url_post is not None
    pay.authorise_moto(created.one_time_token, CARD)
    assert pay.get_payment(created.payment_id).state.status == "success"
    with pytest.raises(errors.MotoTokenUsed):
        pay.authorise_moto(created.one_time_token, CARD)
    with pytest.raises(errors.MotoTokenInvalid):
        pay.authorise_moto("no-such-token", CARD)


def test_moto_refusals(pay):
    declined = pay.create_payment(MOTO)
    with pytest.raises(errors.CardRejected) as raised:
        pay.authorise_moto(declined.one_time_token or "", MotoCard("4000000000000002", "12/30", "123", "J"))
    assert (raised.value.status, raised.value.code) == (402, "P0010")
    broken = pay.create_payment(MOTO)
    with pytest.raises(errors.ProviderUnavailable) as unavailable:
        pay.authorise_moto(broken.one_time_token or "", MotoCard("4000000000000119", "12/30", "123", "J"))
    assert (unavailable.value.code, unavailable.value.maybe_applied) == ("P0050", True)
    with pytest.raises(errors.PayValidationError) as invalid:
        pay.authorise_moto(broken.one_time_token or "", MotoCard("4242", "12/30", "123", "J"))
    assert invalid.value.field == "card_number"


def test_refunds_create_get_and_the_412(pay, running, clock):
    created = pay.create_payment(WEB)
    pay_on_card_page(running, created)
    refund = pay.create_refund(created.payment_id, 1000, refund_amount_available=2500)
    assert (refund.status, refund.amount, refund.payment_id) == ("submitted", 1000, created.payment_id)
    with pytest.raises(errors.RefundAmountMismatch) as raised:
        pay.create_refund(created.payment_id, 1000, refund_amount_available=2500)
    assert (raised.value.status, raised.value.code) == (412, "P0604")
    summary = pay.get_payment(created.payment_id).refund_summary
    assert summary is not None
    assert (summary.amount_available, summary.amount_submitted) == (1500, 1000)
    with pytest.raises(errors.PaymentNotRefundable):
        pay.create_refund(created.payment_id, 1501, refund_amount_available=1500)
    clock.advance(seconds=5)
    assert pay.get_refund(created.payment_id, refund.refund_id).status == "success"
    with pytest.raises(errors.RefundNotFound):
        pay.get_refund(created.payment_id, "nosuchrefund")


def test_search_payments_and_refunds_page_by_page(pay, running, clock):
    made = []
    for _ in range(5):
        made.append(pay.create_payment(WEB))
        clock.advance(seconds=1)  # also keeps under 15 POSTs a second
    found = list(pay.search_payments(*ALL_TIME, page_size=2))
    assert [p.payment_id for p in found] == [p.payment_id for p in reversed(made)]
    searches = [path for method, path in running.sandbox.requests if path == "/v1/payments" and method == "GET"]
    assert len(searches) == 3
    pay_on_card_page(running, made[0])
    for amount, available in ((100, 2500), (200, 2400), (300, 2200)):
        pay.create_refund(made[0].payment_id, amount, refund_amount_available=available)
        clock.advance(seconds=1)
    assert [r.amount for r in pay.search_refunds(*ALL_TIME, page_size=2)] == [300, 200, 100]
    assert list(pay.search_payments("2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z")) == []


def test_search_refunds_takes_a_day_from_its_first_second_to_the_next_days_first(pay, running, clock):
    """What the nightly comparison asks: [from_date, to_date), in Pay's format, every page; a bad date is Pay's 422."""
    created = pay.create_payment(WEB)
    pay_on_card_page(running, created)
    clock.now = clock.now.replace(hour=23, minute=59, second=59)
    before = pay.create_refund(created.payment_id, 100, refund_amount_available=2500)
    clock.advance(seconds=1)  # midnight: the next day's
    after = pay.create_refund(created.payment_id, 200, refund_amount_available=2400)
    day, next_day = ("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z"), ("2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z")
    assert [r.refund_id for r in pay.search_refunds(*day, page_size=1)] == [before.refund_id]
    assert [r.refund_id for r in pay.search_refunds(*next_day, page_size=1)] == [after.refund_id]
    found = next(iter(pay.search_refunds(*next_day)))
    assert (found.payment_id, found.amount, found.status) == (created.payment_id, 200, "submitted")
    with pytest.raises(errors.PayValidationError) as raised:
        list(pay.search_refunds("2026-03-02", "2026-03-03"))
    assert (raised.value.status, raised.value.code) == (422, "P1101")


def test_search_by_reference_finds_a_payment_whose_create_timed_out(pay):
    mine = pay.create_payment(WEB)
    pay.create_payment(NewPayment(amount=1, reference="OTHER", description="d", return_url=WEB.return_url))
    found = list(pay.search_payments(*ALL_TIME, reference=WEB.reference))
    assert [p.payment_id for p in found] == [mine.payment_id]


# -- every error class --------------------------------------------------------------------------------------------
def test_validation_errors_name_the_field(pay):
    with pytest.raises(errors.PayValidationError) as raised:
        pay.create_payment(NewPayment(amount=10_000_001, reference="r", description="d", return_url=WEB.return_url))
    assert (raised.value.status, raised.value.code, raised.value.field) == (422, "P0102", "amount")
    assert not raised.value.retryable
    with pytest.raises(errors.PayValidationError) as missing:
        pay.create_payment(NewPayment(amount=100, reference="r", description="d"))  # a web payment without return_url
    assert (missing.value.status, missing.value.code) == (400, "P0101")
    with pytest.raises(errors.PayValidationError) as search:
        list(pay.search_payments("yesterday", "today"))
    assert search.value.code == "P0401"


def test_a_wrong_key_is_an_alarm(running):
    adapter = GovUkPayAdapter("api_test_wrong", base_url=running.api_url)
    with pytest.raises(errors.PayAuthenticationFailed) as raised:
        adapter.get_payment("anything")
    assert raised.value.alarm
    assert raised.value.status == 401


def test_unknown_payments(pay):
    for action in (pay.get_payment, pay.cancel_payment, pay.payment_events):
        with pytest.raises(errors.PaymentNotFound):
            action("nosuchpayment")
    with pytest.raises(errors.PaymentNotFound) as raised:
        pay.create_refund("nosuchpayment", 1, refund_amount_available=1)
    assert raised.value.code == "P0600"


def test_account_errors_are_alarms(pay, running):
    running.sandbox.moto_api_enabled = False
    with pytest.raises(errors.PayAccountError) as raised:
        pay.create_payment(MOTO)
    assert (raised.value.code, raised.value.alarm) == ("P0195", True)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, {"code": "P0101", "field": "amount"}, errors.PayValidationError),
        (422, {"code": "P0102"}, errors.PayValidationError),
        (400, {"code": "P0920"}, errors.PayValidationError),
        (401, None, errors.PayAuthenticationFailed),
        (422, {"code": "P0196"}, errors.PayAccountError),
        (403, {"code": "P0941"}, errors.PayAccountError),
        (404, {"code": "P0200"}, errors.PaymentNotFound),
        (404, {"code": "P0300"}, errors.PaymentNotFound),
        (404, {"code": "P0700"}, errors.RefundNotFound),
        (404, {"code": "P0402"}, errors.SearchPageNotFound),
        (404, {"code": "P1100"}, errors.SearchPageNotFound),
        (400, {"code": "P0501"}, errors.PaymentNotCancellable),
        (409, {"code": "P0502"}, errors.PaymentNotCancellable),
        (400, {"code": "P0603"}, errors.PaymentNotRefundable),
        (412, None, errors.RefundAmountMismatch),
        (409, {"code": "P0191"}, errors.IdempotencyKeyReused),
        (400, {"code": "P1211"}, errors.MotoTokenInvalid),
        (400, {"code": "P1212"}, errors.MotoTokenUsed),
        (402, {"code": "P0010"}, errors.CardRejected),
        (429, {"code": "P0900"}, errors.RateLimited),
        (500, {"code": "P0198"}, errors.ProviderUnavailable),
        (503, None, errors.ProviderUnavailable),
        (418, None, errors.PayError),
    ],
)
def test_every_documented_answer_has_its_exception(status, body, kind):
    error = errors.error_for(status, body)
    assert type(error) is kind
    assert error.status == status
    assert error.retryable is (kind in (errors.RateLimited, errors.ProviderUnavailable))


# -- budget and retries -------------------------------------------------------------------------------------------
def test_the_declared_worst_case_is_within_60_percent_of_a_10_second_function():
    assert worst_case_seconds() == worst_case_seconds(DEFAULT_POLICY) == WORST_CASE_SECONDS
    assert WORST_CASE_SECONDS <= 0.6 * 10
    assert worst_case_seconds(RetryPolicy(attempt_timeout_s=1, budget_s=2)) == 3
    for timeout in (3, 10, 30, 60):
        assert worst_case_seconds(RetryPolicy.within(timeout)) == pytest.approx(0.6 * timeout)
    assert worst_case_seconds(MOTO_POLICY) <= 0.6 * 50  # a MOTO function needs a timeout of 50 s or more


def test_a_429_is_retried_with_full_jitter_backoff_and_creates_one_payment(pay, running, fake_time):
    running.sandbox.rate_limit_per_second = 1
    pay.create_payment(WEB)
    created = pay.create_payment(WEB)  # the second in the same second: 429, then backs off until a second passed
    assert created.state.status == "created"
    assert len(running.sandbox.ledger.payments) == 2
    assert fake_time.sleeps
    for retry, pause in enumerate(fake_time.sleeps):
        assert 0 <= pause <= min(DEFAULT_POLICY.backoff_cap_s, DEFAULT_POLICY.backoff_base_s * 2**retry)
    assert sum(fake_time.sleeps) >= 1.0


def test_a_429_that_outlasts_the_budget_is_raised_for_the_caller_to_queue(pay, running, fake_time):
    running.sandbox.rate_limit_per_second = 0
    with pytest.raises(errors.RateLimited) as raised:
        pay.create_payment(WEB)
    assert raised.value.code == "P0900"
    assert len(fake_time.sleeps) <= DEFAULT_POLICY.max_attempts - 1
    assert sum(fake_time.sleeps) <= DEFAULT_POLICY.budget_s
    assert running.sandbox.ledger.payments == {}


def test_reads_are_retried_after_a_5xx(pay, running):
    created = pay.create_payment(WEB)
    running.sandbox.fail_next(500, "P0298")
    assert pay.get_payment(created.payment_id).payment_id == created.payment_id
    gets = [path for method, path in running.sandbox.requests if method == "GET"]
    assert len(gets) == 2


def test_a_create_that_met_a_5xx_is_not_repeated_and_may_have_happened(pay, running):
    running.sandbox.fail_next(500, "P0198")
    with pytest.raises(errors.ProviderUnavailable) as raised:
        pay.create_payment(WEB)
    assert (raised.value.code, raised.value.maybe_applied, raised.value.retryable) == ("P0198", True, True)
    assert [m for m, path in running.sandbox.requests if path == "/v1/payments"] == ["POST"]


def test_a_refund_that_met_a_5xx_is_not_repeated(pay, running):
    created = pay.create_payment(WEB)
    pay_on_card_page(running, created)
    running.sandbox.fail_next(503, "P0698")
    with pytest.raises(errors.ProviderUnavailable) as raised:
        pay.create_refund(created.payment_id, 100, refund_amount_available=2500)
    assert raised.value.maybe_applied
    assert len([p for m, p in running.sandbox.requests if m == "POST" and p.endswith("/refunds")]) == 1


def slow(seconds: float):
    def answer(method, path, headers, body):
        time.sleep(seconds)
        return 200, {"Content-Type": "application/json"}, b"{}"

    return answer


def test_a_slow_pay_times_out_within_the_budget_and_a_create_is_not_repeated():
    policy = RetryPolicy(attempt_timeout_s=0.2, budget_s=0.5, backoff_base_s=0.01, min_attempt_s=0.05)
    stub = Stub(slow(1.0))
    with serve(stub) as served:
        adapter = GovUkPayAdapter("api_test_key", base_url=served.url, policy=policy)
        started = time.monotonic()
        with pytest.raises(errors.ProviderUnavailable) as raised:
            adapter.create_payment(WEB)
        assert time.monotonic() - started < worst_case_seconds(policy) + SCHEDULING_SLACK_S
        assert (raised.value.code, raised.value.maybe_applied) == ("timeout", True)
        assert len(stub.seen) == 1
        started = time.monotonic()
        with pytest.raises(errors.ProviderUnavailable) as read:
            adapter.get_payment("p1")
        assert time.monotonic() - started < worst_case_seconds(policy) + SCHEDULING_SLACK_S
        assert read.value.maybe_applied is False
        assert len(stub.seen) >= 3  # the read was tried again within the budget


def test_an_answer_dribbled_byte_by_byte_is_cut_off_at_the_deadline():
    """Each socket read is bounded by the attempt timeout; the deadline is checked between reads."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def dribble() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            while not stop.wait(0.05):
                try:
                    connection.sendall(b" ")
                except OSError:
                    return

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    policy = RetryPolicy(attempt_timeout_s=0.3, budget_s=0.5, max_attempts=1)
    adapter = GovUkPayAdapter("api_test_key", base_url=f"http://127.0.0.1:{listener.getsockname()[1]}", policy=policy)
    started = time.monotonic()
    try:
        with pytest.raises(errors.ProviderUnavailable) as raised:
            adapter.get_payment("p1")
        assert raised.value.code == "timeout"
        assert time.monotonic() - started < worst_case_seconds(policy) + SCHEDULING_SLACK_S
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def test_moto_authorisation_has_its_own_longer_single_attempt():
    assert MOTO_POLICY.max_attempts == 1
    assert MOTO_POLICY.attempt_timeout_s >= 15  # Pay asks clients of /v1/auth to wait at least 15 s


def test_a_refused_connection_is_retried_even_for_a_create():
    sleeps: list[float] = []
    with serve(Stub(slow(0))) as served:
        url = served.url
    adapter = GovUkPayAdapter("api_test_key", base_url=url, sleep=sleeps.append, rng=random.Random(1))
    with pytest.raises(errors.ProviderUnavailable) as raised:
        adapter.create_payment(WEB)
    assert (raised.value.code, raised.value.maybe_applied) == ("unreachable", False)
    assert len(sleeps) == DEFAULT_POLICY.max_attempts - 1


def test_redirects_are_not_followed_so_the_key_goes_nowhere_else():
    elsewhere = Stub(slow(0))
    with serve(elsewhere) as other:
        target = f"{other.url}/v1/payments/p1"
        with serve(Stub(lambda *_: (302, {"Location": target}, b""))) as served:
            adapter = GovUkPayAdapter("api_test_secret_key", base_url=served.url)
            with pytest.raises(errors.PayError) as raised:
                adapter.get_payment("p1")
    assert raised.value.status == 302
    assert elsewhere.seen == []


@pytest.mark.parametrize("payload", [b"not json", b'{"payment_id": "p1"}', b"[]"])
def test_an_answer_that_is_not_pays_is_provider_unavailable(payload):
    with serve(Stub(lambda *_: (200, {"Content-Type": "application/json"}, payload))) as served:
        adapter = GovUkPayAdapter("api_test_key", base_url=served.url, sleep=lambda _: None)
        with pytest.raises(errors.ProviderUnavailable) as raised:
            adapter.get_payment("p1")
    assert raised.value.code == "malformed"


def test_the_key_is_sent_as_a_bearer_token_and_never_shown():
    stub = Stub(lambda *_: (401, {}, b""))
    key = "api_test_" + "k" * 58
    with serve(stub) as served:
        adapter = GovUkPayAdapter(key, base_url=served.url)
        with pytest.raises(errors.PayAuthenticationFailed) as raised:
            adapter.get_payment("../../v1/refunds?x=1")
    _, path, headers = stub.seen[0]
    assert headers["Authorization"] == f"Bearer {key}"
    assert path == "/v1/payments/..%2F..%2Fv1%2Frefunds%3Fx%3D1"  # an id is one path segment
    assert key not in repr(adapter)
    assert key not in str(raised.value)
    assert "k" * 20 not in repr(CARD) + repr(WEB)


def test_card_details_and_emails_are_not_in_reprs():
    assert "4242" not in repr(CARD)
    assert "resident@example.org" not in repr(WEB)


@pytest.mark.parametrize(
    ("key", "base_url"),
    [
        ("", "https://publicapi.payments.service.gov.uk"),
        ("api_test_a b", "https://publicapi.payments.service.gov.uk"),
        ("api_test_k", "http://publicapi.payments.service.gov.uk"),
        ("api_test_k", "ftp://127.0.0.1"),
    ],
)
def test_an_empty_key_or_an_insecure_base_url_is_refused(key, base_url):
    with pytest.raises(ValueError, match=r"GOV\.UK Pay"):
        GovUkPayAdapter(key, base_url=base_url)


def test_the_default_base_url_is_pays():
    assert GovUkPayAdapter("api_live_k").base_url == "https://publicapi.payments.service.gov.uk"


def test_expiry_through_the_adapter(pay, clock):
    created = pay.create_payment(WEB)
    clock.advance(minutes=90)
    state = pay.get_payment(created.payment_id).state
    assert (state.status, state.code, state.message) == ("failed", "P0020", "Payment expired")
