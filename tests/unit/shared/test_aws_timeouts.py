"""SDK clients give up inside their function's timeout (shared/aws.py): the budgets, the clients' configuration,
and a call to an endpoint that never answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from shared import aws
from shared.aws import CALL_SHARE, INVOKE_SHARE, call_budget

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("timeout", [3, 10, 15, 30, 60, 900])
@pytest.mark.parametrize("service", ["dynamodb", "sns", "sqs", "secretsmanager", "s3", "sesv2", "lambda"])
def test_a_budget_fits_its_share_of_the_timeout(service, timeout):
    budget = call_budget(service, timeout)
    share = INVOKE_SHARE if service == "lambda" else CALL_SHARE
    assert budget.worst_case_seconds <= share * timeout + 1e-6
    assert 0 < budget.connect_timeout <= aws.MAX_CONNECT_S
    assert budget.read_timeout > 0
    assert budget.total_attempts >= 1


def test_a_ten_second_function_does_not_retry_and_a_minute_long_one_retries_once():
    # A retry may wait 1 s, and 5 s more if the service asks: only a longer function has room for it.
    assert call_budget("dynamodb", 10).total_attempts == 1
    assert call_budget("dynamodb", 60).total_attempts == 2
    assert call_budget("lambda", 60).total_attempts == 1  # an invocation that timed out may have run: never again


def test_the_worst_case_counts_every_attempt_and_the_longest_back_off():
    budget = aws.CallBudget(connect_timeout=1.0, read_timeout=3.0, total_attempts=2)
    assert budget.worst_case_seconds == 2 * 4.0 + 1.0 + 5.0


@pytest.fixture
def fresh_clients(monkeypatch) -> Iterator[None]:
    aws.reset()
    yield
    aws.reset()


def test_clients_are_configured_from_the_functions_timeout(monkeypatch, fresh_clients):
    monkeypatch.setenv("BOROUGH_FUNCTION_TIMEOUT_SECONDS", "60")
    config = aws.client("sns").meta.config
    expected = call_budget("sns", 60)
    assert (config.connect_timeout, config.read_timeout) == (expected.connect_timeout, expected.read_timeout)
    assert config.retries["mode"] == "standard"
    assert config.retries["total_max_attempts"] == expected.total_attempts  # botocore's name for max_attempts + 1
    table_config = aws.table("requests").meta.client.meta.config
    assert table_config.read_timeout == call_budget("dynamodb", 60).read_timeout


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_call_to_a_silent_service_gives_up_within_its_budget(monkeypatch, fresh_clients, silent_endpoint):
    from botocore.exceptions import ReadTimeoutError

    monkeypatch.setenv("BOROUGH_FUNCTION_TIMEOUT_SECONDS", "4")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", silent_endpoint)
    budget = call_budget("sns", 4)
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        aws.client("sns").publish(TopicArn="arn:aws:sns:eu-west-2:123456789012:events", Message="{}")
    assert time.monotonic() - started <= budget.worst_case_seconds + 0.5
