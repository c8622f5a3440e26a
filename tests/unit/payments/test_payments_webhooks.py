"""The webhook receiver and its worker: a valid signature queues a hint (the payment id only), a forged, altered or
unsigned message queues nothing, and the worker applies hints from Pay's own state, once however often they come."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.sandbox.pay.webhooks import sign
from payments import provider, service
from shared import aws, settings
from tests.helpers import FakeContext, http_event, sqs_event
from tests.unit.payments.pay_support import Browser, card_form
from tests.unit.payments.payments_support import (
    create_payments_table,
    create_refunds_table,
    create_requests_table,
    set_payments_environment,
)

pytestmark = pytest.mark.unit

SECRET = "webhook_test_" + "s" * 40
ROUTE = "POST /api/v1/payments/webhooks"


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with mock_aws():
        aws.reset()
        settings.reset()
        provider.reset()
        boto3.client("secretsmanager").create_secret(Name="borough/test/pay-webhook-secret", SecretString=SECRET)
        url = boto3.client("sqs").create_queue(QueueName="webhooks")["QueueUrl"]
        monkeypatch.setenv("PAY_WEBHOOK_SECRET_ID", "borough/test/pay-webhook-secret")
        monkeypatch.setenv("WEBHOOK_QUEUE_URL", url)
        yield url
        aws.reset()
        settings.reset()
        provider.reset()


def message(resource_id: str = "pay-1", event_type: str = "card_payment_succeeded") -> bytes:
    return json.dumps(
        {
            "webhook_message_id": "msg-1",
            "api_version": 1,
            "created_date": "2026-03-02T09:00:00.000Z",
            "resource_id": resource_id,
            "resource_type": "payment",
            "event_type": event_type,
            "resource": {"state": {"status": "success", "finished": True}, "email": "resident@example.org"},
        }
    ).encode()


def post(body: bytes, signature: str | None) -> dict[str, Any]:
    from payments import webhooks

    headers = {"pay-signature": signature} if signature is not None else {}
    event = http_event("POST", "/api/v1/payments/webhooks", body=body.decode(), headers=headers, route_key=ROUTE)
    return webhooks.handler(event, FakeContext())


def queued(url: str) -> list[dict[str, Any]]:
    found = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]


def test_a_signed_message_is_queued_as_a_hint_without_the_body(queue):
    body = message()
    answer = post(body, sign(body, SECRET))
    assert answer["statusCode"] == 200
    [hint] = queued(queue)
    assert hint == {"payment_id": "pay-1", "webhook_message_id": "msg-1", "event_type": "card_payment_succeeded"}
    assert "resident@example.org" not in json.dumps(hint)


@pytest.mark.parametrize(
    "signature",
    [None, "", "0" * 64, sign(message(), "another-secret")],
    ids=["unsigned", "empty", "forged", "wrong secret"],
)
def test_a_message_without_a_valid_signature_is_refused_and_not_queued(queue, signature):
    assert post(message(), signature)["statusCode"] == 401
    assert queued(queue) == []


def test_an_altered_message_is_refused(queue):
    signature = sign(message("pay-1"), SECRET)
    assert post(message("pay-2"), signature)["statusCode"] == 401
    assert queued(queue) == []


def test_a_rotated_secret_accepts_both_values(queue):
    boto3.client("secretsmanager").put_secret_value(
        SecretId="borough/test/pay-webhook-secret", SecretString=json.dumps({"current": "new", "previous": SECRET})
    )
    provider.reset()
    assert post(message(), sign(message(), "new"))["statusCode"] == 200
    assert post(message(), sign(message(), SECRET))["statusCode"] == 200
    assert len(queued(queue)) == 2


def test_a_signed_message_about_something_else_is_answered_and_not_queued(queue):
    body = json.dumps(json.loads(message()) | {"resource_type": "refund"}).encode()
    assert post(body, sign(body, SECRET))["statusCode"] == 200
    assert queued(queue) == []


# -- the worker ----------------------------------------------------------------------------------------------------
@pytest.fixture
def worker_cloud(monkeypatch: pytest.MonkeyPatch, running, api_key) -> Iterator[list]:
    with mock_aws():
        aws.reset()
        settings.reset()
        service.reset()
        dynamodb = boto3.client("dynamodb")
        create_requests_table(dynamodb, "requests")
        create_payments_table(dynamodb, "payments")
        create_refunds_table(dynamodb, "refunds")
        boto3.client("secretsmanager").create_secret(Name="borough/test/pay-api-key", SecretString=api_key)
        topic = boto3.client("sns").create_topic(Name="events")["TopicArn"]
        events = boto3.client("sqs").create_queue(QueueName="events")["QueueUrl"]
        events_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=events, AttributeNames=["QueueArn"])
        boto3.client("sns").subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=events_arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
        set_payments_environment(
            monkeypatch, pay_url=running.api_url, topic_arn=topic, REFUNDS_TABLE="refunds", REFUND_ROLES="finance"
        )
        aws.table("requests").put_item(
            Item={
                "reference": "AC3E-4679",
                "service_id": "bulky-waste",
                "status": "awaiting-payment",
                "amount_due_pence": 3500,
                "history": [{"status": "awaiting-payment", "at": "2026-03-02T09:00:00+00:00"}],
            }
        )
        received: list = []

        def drain() -> list:
            while (
                batch := boto3.client("sqs")
                .receive_message(QueueUrl=events, MaxNumberOfMessages=10)
                .get("Messages", [])
            ):
                for m in batch:
                    received.append(json.loads(m["Body"]))
                    boto3.client("sqs").delete_message(QueueUrl=events, ReceiptHandle=m["ReceiptHandle"])
            return received

        yield drain  # type: ignore[misc]
        aws.reset()
        settings.reset()
        service.reset()


def paid_on_the_card_page(running) -> Any:
    """The request's payment started and paid with a success card on the local Pay's pages (no return yet)."""
    started = service.payments().start("AC3E-4679", correlation_id="c")
    browser = Browser(running.sandbox)
    _, headers, _ = browser.get(started.next_url)
    _, headers, _ = browser.post(headers["Location"], card_form("4242424242424242"))
    browser.post(headers["Location"])
    [payment] = running.sandbox.ledger.payments.values()
    return payment


def test_the_worker_applies_a_hint_three_times_and_announces_once(worker_cloud, running):
    from payments import worker

    payment = paid_on_the_card_page(running)
    hint = json.dumps({"payment_id": payment.payment_id, "webhook_message_id": "m", "event_type": "x"})
    for _ in range(3):
        assert worker.handler(sqs_event(hint), FakeContext()) == {"batchItemFailures": []}
    assert worker_cloud() == []  # nothing straight to the topic: the event went with the request's write
    item = aws.table("requests").get_item(Key={"reference": "AC3E-4679"})["Item"]
    assert item["status"] == "received"
    assert json.loads(item["outbox"])["type"] == "payment-succeeded"
    assert len(item["history"]) == 2  # one move to received, however many hints


def test_a_hint_pay_cannot_answer_is_handed_back(worker_cloud, running):
    from payments import worker

    running.sandbox.fail_next(503, "P0298", times=10)
    hint = json.dumps({"payment_id": "p-unknown", "webhook_message_id": "m", "event_type": "x"})
    event = sqs_event(hint)
    answer = worker.handler(event, FakeContext())
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}


def test_a_refunded_hint_brings_the_payments_open_refunds_up_to_date_from_pay(worker_cloud, running, clock):
    from payments import worker
    from payments.refunds import StaffRef

    payment = paid_on_the_card_page(running)
    paid = json.dumps({"payment_id": payment.payment_id, "webhook_message_id": "m1", "event_type": "x"})
    assert worker.handler(sqs_event(paid), FakeContext()) == {"batchItemFailures": []}
    running.sandbox.advance()  # captured
    finance = StaffRef("finance-sub", frozenset({"finance"}))
    made = service.refunds().refund("AC3E-4679", amount=500, reason="Gone", staff=finance, number=1, form_key="k" * 20)
    assert made.status == "submitted"
    clock.advance(seconds=6)
    running.sandbox.advance()  # Pay finishes the refund (and would send card_payment_refunded)
    refunded = json.dumps(
        {"payment_id": payment.payment_id, "webhook_message_id": "m2", "event_type": "card_payment_refunded"}
    )
    assert worker.handler(sqs_event(refunded), FakeContext()) == {"batchItemFailures": []}
    assert aws.table("refunds").get_item(Key={"reference": "AC3E-4679", "refund": 1})["Item"]["status"] == "success"
