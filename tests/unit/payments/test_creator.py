"""Creates that survive Pay's rate limit (payments.creator): a 429 to the web's create queues the attempt, the paced
worker asks again with backoff until Pay makes it, and never two payments for one attempt; against the local Pay
over HTTP (the real adapter) and moto."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

import boto3
import pytest

from payments import creator, service
from payments.adapters.pay import GovUkPayAdapter
from payments.creator import CreateQueue, QueuedCreate
from payments.logic import Payments
from payments.reconciler import reconcile
from payments.store import PaymentsStore
from shared import aws, settings
from shared.errors import DependencyFailed
from shared.requests_repo import RequestsRepository
from tests.helpers import FakeContext
from tests.unit.payments.payments_support import put_awaiting_request, set_payments_environment

pytestmark = pytest.mark.unit

REFERENCE = "AC3E-4679"
LIMIT = 15  # the local Pay's, as Pay's: POSTs a second per key and category


@pytest.fixture
def queue_url(tables) -> str:
    return str(boto3.client("sqs", region_name="eu-west-2").create_queue(QueueName="creates")["QueueUrl"])


def put_request(reference: str = REFERENCE, status: str = "awaiting-payment") -> None:
    put_awaiting_request(reference, status=status)


@pytest.fixture
def queue(queue_url, clock) -> CreateQueue:
    return CreateQueue("payments", queue_url, clock=clock)


def service_queueing_to(queue: CreateQueue, running, api_key: str, clock) -> Payments:
    """The web's payments service: its adapter queues a 429 at once (`QUEUE_ON_429`), to `queue`."""
    return Payments(
        store=PaymentsStore("payments"),
        provider=GovUkPayAdapter(api_key, base_url=running.api_url, policy=creator.QUEUE_ON_429),
        requests=RequestsRepository("requests"),
        publish=lambda event: None,
        public_base_url="https://borough.example",
        clock=clock,
        queue_create=queue.put,
    )


@pytest.fixture
def payments(queue, running, api_key, clock) -> Payments:
    put_request()
    return service_queueing_to(queue, running, api_key, clock)


def pay_is_busy(running, busy: bool = True) -> None:
    """The local Pay's own limit, made to refuse every POST (0) or back to Pay's 15 a second."""
    running.sandbox.rate_limit_per_second = 0 if busy else LIMIT


def creates(running) -> int:
    return sum(1 for call in running.sandbox.requests if call == ("POST", "/v1/payments"))


def messages(queue_url: str) -> list[dict]:
    """What the queue holds: delayed first (Pay's window is a second), then delivered (a bounded long poll)."""
    sqs = boto3.client("sqs", region_name="eu-west-2")
    counts = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessagesDelayed"] == "1"
    found = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=10)
    return found.get("Messages", [])


def item(number: int = 1) -> dict:
    return aws.table("payments").get_item(Key={"reference": REFERENCE, "attempt": number})["Item"]


class Invocation:
    """The worker's time: `seconds` left, spent by its sleeps (no real waiting)."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds
        self.pauses: list[float] = []

    def seconds_left(self) -> float:
        return self.left

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.left -= seconds


FIRST = QueuedCreate(REFERENCE, 1)


def work(payments, queue, invocation: Invocation, create: QueuedCreate = FIRST) -> bool:
    return creator.work(
        payments,
        queue,
        create,
        seconds_left=invocation.seconds_left,
        sleep=invocation.sleep,
        rng=random.Random(7),
        correlation_id="test",
    )


def test_a_429_to_the_webs_create_queues_the_attempt_asked_once(payments, running, queue_url):
    pay_is_busy(running)
    outcome = payments.start(REFERENCE, correlation_id="c")
    assert (outcome.status, outcome.finished, outcome.next_url) == ("queued", False, "")
    assert creates(running) == 1  # no backoff in the resident's request: queued at once
    assert running.sandbox.ledger.payments == {}
    assert item()["status"] == "queued"
    assert item()["queued_at"]
    [message] = messages(queue_url)
    assert json.loads(message["Body"]) == {"reference": REFERENCE, "attempt": 1}
    # A second click (or the waiting page) while queued: the same attempt, Pay not asked.
    again = payments.start(REFERENCE, correlation_id="c")
    assert (again.attempt, again.status) == (1, "queued")
    assert creator.progress(payments, REFERENCE, correlation_id="c").status == "queued"
    assert creates(running) == 1


def test_the_worker_backs_off_with_jitter_while_pay_is_busy_then_hands_the_message_back(payments, queue, running):
    pay_is_busy(running)
    payments.start(REFERENCE, correlation_id="c")
    invocation = Invocation(seconds=60)
    assert work(payments, queue, invocation) is False  # still rate-limited when its time ran out
    assert len(invocation.pauses) >= 3
    for n, pause in enumerate(invocation.pauses, start=1):
        assert 0 <= pause <= min(creator.BACKOFF_CAP_S, creator.BACKOFF_BASE_S * 2**n)
    assert invocation.left >= creator.RESERVE_S  # never a try it had no time for
    assert creates(running) == 1 + len(invocation.pauses) + 1  # the web's, then one per claim
    assert item()["status"] == "queued"
    assert "claimed_at" not in item()
    assert running.sandbox.ledger.payments == {}


def test_once_pay_has_room_the_worker_makes_one_payment_and_the_waiting_page_gets_its_link(payments, queue, running):
    pay_is_busy(running)
    payments.start(REFERENCE, correlation_id="c")
    pay_is_busy(running, False)
    assert work(payments, queue, Invocation(seconds=60)) is True
    [payment] = running.sandbox.ledger.payments.values()
    assert (payment.reference, payment.amount, payment.metadata["attempt"]) == (REFERENCE, 2500, 1)
    outcome = creator.progress(payments, REFERENCE, correlation_id="c")
    assert outcome.status == "created"
    assert outcome.next_url.startswith(running.api_url + "/secure/")
    # The same message delivered again (SQS is at least once) asks Pay for nothing.
    before = creates(running)
    assert work(payments, queue, Invocation(seconds=60)) is True
    assert creates(running) == before
    assert len(running.sandbox.ledger.payments) == 1


def test_a_claimed_create_is_in_flight_for_everyone_else(payments, queue, running, clock):
    """The worker holds the claim while Pay answers: neither the reconciler nor a click looks it up or gives it up
    (that would let the worker's payment be made for an attempt already finished)."""
    pay_is_busy(running)
    payments.start(REFERENCE, correlation_id="c")
    clock.advance(minutes=10)  # queued long ago
    claimed = queue.claim(QueuedCreate(REFERENCE, 1))
    assert claimed is not None
    assert claimed.status == "creating"
    assert queue.claim(QueuedCreate(REFERENCE, 1)) is None  # a second delivery cannot claim it too
    assert payments.on_attempt(claimed, correlation_id="c").status == "creating"
    assert payments.start(REFERENCE, correlation_id="c").attempt == 1
    searches = sum(1 for method, path in running.sandbox.requests if method == "GET")
    assert searches == 0
    pay_is_busy(running, False)
    outcome = payments.create_claimed(claimed, on_rate_limited=queue.release, correlation_id="c")
    assert outcome.status == "created"
    assert len(running.sandbox.ledger.payments) == 1


def test_a_create_queued_too_long_is_given_up_by_the_reconciler_and_try_again_makes_a_new_one(
    payments, queue, running, clock
):
    pay_is_busy(running)
    payments.start(REFERENCE, correlation_id="c")
    clock.advance(minutes=5)
    assert reconcile(payments, now=clock(), give_up_stale=queue.give_up_stale)["closed"] == 0
    assert item()["status"] == "queued"  # the queue is still working on it
    clock.advance(minutes=11)
    assert reconcile(payments, now=clock(), give_up_stale=queue.give_up_stale)["closed"] == 1
    assert (item()["status"], item()["finished"], "open" in item()) == ("not-created", True, False)
    assert queue.claim(QueuedCreate(REFERENCE, 1)) is None  # a late delivery is dropped
    outcome = creator.progress(payments, REFERENCE, correlation_id="c")
    assert (outcome.status, outcome.finished) == ("not-created", True)
    pay_is_busy(running, False)
    retry = payments.start(REFERENCE, correlation_id="c")
    assert (retry.attempt, retry.status) == (2, "created")
    assert len(running.sandbox.ledger.payments) == 1


def test_a_request_no_longer_awaiting_payment_gets_no_payment_from_the_queue(payments, queue, running):
    pay_is_busy(running)
    payments.start(REFERENCE, correlation_id="c")
    put_request(status="closed")  # cancelled as unpaid meanwhile
    pay_is_busy(running, False)
    assert work(payments, queue, Invocation(seconds=60)) is True
    assert item()["status"] == "not-created"
    assert running.sandbox.ledger.payments == {}


def test_a_create_that_cannot_be_queued_is_try_again_and_leaves_nothing_open(queue_url, running, api_key, clock):
    put_request()
    broken = CreateQueue("payments", queue_url.replace("creates", "no-such-queue"), clock=clock)
    service = service_queueing_to(broken, running, api_key, clock)
    pay_is_busy(running)
    with pytest.raises(DependencyFailed, match="busy"):
        service.start(REFERENCE, correlation_id="c")
    assert (item()["status"], item()["finished"], "open" in item()) == ("not-created", True, False)


def test_without_a_queue_the_adapter_backs_off_within_its_budget_as_before(running, api_key):
    """The default policy still retries a 429 (functions without a create queue); the web's does not."""
    sleeps: list[float] = []
    adapter = GovUkPayAdapter(api_key, base_url=running.api_url, sleep=sleeps.append, rng=random.Random(1))
    pay_is_busy(running)
    from payments.adapters.base import NewPayment
    from payments.adapters.errors import RateLimited

    new = NewPayment(amount=100, reference="R", description="d", return_url="https://borough.example/r")
    with pytest.raises(RateLimited):
        adapter.create_payment(new)
    assert sleeps  # backed off
    assert creator.QUEUE_ON_429.retry_rate_limited is False
    assert creator.QUEUE_ON_429.budget_s == adapter.policy.budget_s


def test_the_local_pay_answers_a_16th_create_in_a_second_as_pay_does(sandbox, api_key):
    """429 with Pay's body and no Retry-After (Pay sends none), counted for the spike test."""
    from tests.unit.payments.pay_support import call

    body = {"amount": 100, "reference": "R", "description": "d", "return_url": "https://borough.example/r"}
    for _ in range(LIMIT):
        assert call(sandbox, "POST", "/v1/payments", body, key=api_key)[0] == 201
    status, answer, headers = call(sandbox, "POST", "/v1/payments", body, key=api_key)
    assert (status, answer) == (429, {"code": "P0900", "description": "Too many requests"})
    assert "retry-after" not in {name.lower() for name in headers}
    assert sandbox.rate_limited == 1


class ShortContext(FakeContext):
    """An invocation with less left than one more create needs: the handler hands the message back at once."""

    def get_remaining_time_in_millis(self) -> int:
        return int((creator.RESERVE_S - 1) * 1000)


@pytest.fixture
def deployed(queue_url, running, api_key, monkeypatch) -> Iterator[None]:
    """The create worker's environment, as the stack gives it."""
    boto3.client("secretsmanager", region_name="eu-west-2").create_secret(
        Name="borough/test/pay-api-key", SecretString=api_key
    )
    topic = boto3.client("sns", region_name="eu-west-2").create_topic(Name="events")["TopicArn"]
    set_payments_environment(monkeypatch, pay_url=running.api_url, topic_arn=topic, CREATE_QUEUE_URL=queue_url)
    settings.reset()
    service.reset()
    yield
    settings.reset()
    service.reset()


def test_the_handler_hands_a_still_limited_create_back_and_makes_it_on_a_later_delivery(deployed, running, queue_url):
    from payments import creator_handler

    put_request()
    pay_is_busy(running)
    assert service.payments().start(REFERENCE, correlation_id="c").status == "queued"
    sqs = boto3.client("sqs", region_name="eu-west-2")
    [message] = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=10).get("Messages", [])
    record = {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"]}
    answer = creator_handler.handler({"Records": [record]}, ShortContext())
    assert answer == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert item()["status"] == "queued"
    pay_is_busy(running, False)
    again = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=20).get("Messages", [])  # back in 2-15 s
    assert [m["MessageId"] for m in again] == [message["MessageId"]]
    redelivered = {
        "messageId": message["MessageId"],
        "receiptHandle": again[0]["ReceiptHandle"],
        "body": message["Body"],
    }
    assert creator_handler.handler({"Records": [redelivered]}, FakeContext()) == {"batchItemFailures": []}
    assert item()["status"] == "created"
    assert creator_handler.handler({"Records": [{**redelivered, "body": "{}"}]}, FakeContext()) == {
        "batchItemFailures": []
    }  # not one of ours: dropped, logged
