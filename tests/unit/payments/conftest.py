"""Fixtures for the payments adapter and the local Pay: a deterministic sandbox, and the same served over HTTP on
127.0.0.1 (the only host the tests may reach)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from local.sandbox.pay import PaySandbox, RunningPay, serve
from local.sandbox.pay.ledger import counting_ids
from tests.unit.payments.pay_support import Clock, Receiver, Scheduled


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
