"""boto3 clients and resources, created once per process and only when first used (cold start).

Every client's timeouts and retries fit inside its function's timeout: boto3's defaults (60 s to connect, 60 s to
read, retries with back-off) would let one slow call outlive a 10 s function, killing it between a write and what
must follow (the event, or the compensating delete). `call_budget` derives them from the function's timeout
(`BOROUGH_FUNCTION_TIMEOUT_SECONDS`, set by the function construct from the same value as the template's `Timeout`;
tests/infra/test_infra_timeouts.py checks every function).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from shared.settings import FunctionSettings, current

CALL_SHARE = 0.25  # one SDK call, every attempt and back-off included, takes at most this share of the timeout
INVOKE_SHARE = 0.6  # a synchronous lambda:Invoke waits for another function: a larger share, never retried
MAX_ATTEMPTS = 2  # at most one retry, and only where the budget leaves a useful attempt after the back-off
MIN_ATTEMPT_S = 1.0  # an attempt shorter than this is not worth a retry
MAX_CONNECT_S = 1.0  # a TCP + TLS connection in the same region takes milliseconds
# botocore's standard mode: a retry after a throttling error waits up to 1 s * 2^(retry - 1) (at most 20 s), and
# up to 5 s more if the service asks for it (x-amz-retry-after).
THROTTLING_BACKOFF_S = 1.0
MAX_BACKOFF_S = 20.0
RETRY_AFTER_EXTRA_S = 5.0


@dataclass(frozen=True)
class CallBudget:
    """The timeouts and attempts of one SDK client, and the longest a call through it can take."""

    connect_timeout: float
    read_timeout: float
    total_attempts: int

    @property
    def worst_case_seconds(self) -> float:
        """Every attempt connecting and reading until its timeout, with the longest back-off between them."""
        backoff = sum(
            min(THROTTLING_BACKOFF_S * 2 ** (retry - 1), MAX_BACKOFF_S) + RETRY_AFTER_EXTRA_S
            for retry in range(1, self.total_attempts)
        )
        return self.total_attempts * (self.connect_timeout + self.read_timeout) + backoff

    def config(self) -> Any:
        from botocore.config import Config

        return Config(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            retries={"max_attempts": self.total_attempts - 1, "mode": "standard"},  # retries after the first
        )


def call_budget(service: str, function_timeout_s: float) -> CallBudget:
    """The client budget for `service` in a function that may run `function_timeout_s` seconds."""
    invoke = service == "lambda"
    allowed = function_timeout_s * (INVOKE_SHARE if invoke else CALL_SHARE)
    for attempts in range(1 if invoke else MAX_ATTEMPTS, 0, -1):
        backoff = CallBudget(0.0, 0.0, attempts).worst_case_seconds
        per_attempt = (allowed - backoff) / attempts
        if attempts == 1 or per_attempt >= MIN_ATTEMPT_S:
            break
    connect = round(min(MAX_CONNECT_S, per_attempt / 3), 3)
    return CallBudget(connect_timeout=connect, read_timeout=round(per_attempt - connect, 3), total_attempts=attempts)


class SdkSettings(FunctionSettings):
    """What the clients need: the function's timeout (`FunctionSettings.borough_function_timeout_seconds`)."""


def _config(service: str) -> Any:
    return call_budget(service, current(SdkSettings).borough_function_timeout_seconds).config()


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service, config=_config(service))


@cache
def table(name: str) -> Any:
    import boto3

    return boto3.resource("dynamodb", config=_config("dynamodb")).Table(name)


def reset() -> None:
    """Forget cached clients (tests and the local cloud switch moto sessions)."""
    client.cache_clear()
    table.cache_clear()


def signing_key(configured: str, secret_id: str) -> bytes:
    """A service's HMAC key: `configured` when set (the local cloud and tests set it directly), else the string of
    the secret `secret_id`, read by name. Callers cache it for the life of the process."""
    if configured:
        return configured.encode()
    return str(client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]).encode()
