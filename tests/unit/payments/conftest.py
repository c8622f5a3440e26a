"""Fixtures for the payments adapter and the local Pay: a deterministic sandbox, and the same served over HTTP on
127.0.0.1 (the only host the tests may reach)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from local.sandbox.pay import PaySandbox, RunningPay, serve
from local.sandbox.pay.ledger import counting_ids
from payments.adapters.pay import GovUkPayAdapter
from shared import aws
from tests.unit.payments.pay_support import Clock, Receiver, Scheduled
from tests.unit.payments.payments_support import create_payments_table, create_refunds_table, create_requests_table


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def scheduled() -> Scheduled:
    return Scheduled()


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def sandbox(clock: Clock, scheduled: Scheduled, receiver: Receiver) -> PaySandbox:
    return PaySandbox(
        base_url="http://127.0.0.1:9/sandbox/pay",
        clock=clock,
        ids=counting_ids(),
        sender=receiver,
        scheduler=scheduled,
        refund_delay=timedelta(seconds=5),
    )


@pytest.fixture
def api_key(sandbox: PaySandbox) -> str:
    return sandbox.new_api_key()


@pytest.fixture
def running(sandbox: PaySandbox) -> Iterator[RunningPay]:
    sandbox.base_url = ""  # links point at the served address
    with serve(sandbox) as served:
        yield served


@pytest.fixture
def tables() -> Iterator[None]:
    """Moto's Requests, Payments and Refunds tables, as the payments service's tests use them."""
    with mock_aws():
        aws.reset()
        dynamodb = boto3.client("dynamodb", region_name="eu-west-2")
        create_requests_table(dynamodb, "requests")
        create_payments_table(dynamodb, "payments")
        create_refunds_table(dynamodb, "refunds")
        yield
        aws.reset()


@pytest.fixture
def adapter(running: RunningPay, api_key: str) -> GovUkPayAdapter:
    """The real adapter against the local Pay served over HTTP (a seeded jitter)."""
    return GovUkPayAdapter(api_key, base_url=running.api_url, rng=random.Random(3))
