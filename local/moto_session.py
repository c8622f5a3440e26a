"""The in-process moto the local cloud runs on: fake credentials, one region, and one lock for everything.

moto's backends and `os.environ` are process-global, and Step Functions executions run on moto's own threads.
Every call into moto goes through its botocore stubber, so holding one re-entrant lock there (and around each
HTTP request and each Lambda invocation) makes the whole local cloud behave as if single-threaded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from local import fast_query

REGION = "eu-west-2"
ACCOUNT_ID = "123456789012"  # moto's default account

# Never let a real credential or profile reach botocore while the local cloud runs.
_REMOVED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL",
)
FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    # Deterministic Cognito ids: the same pool and client ids on every start, so tokens survive a restart.
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
    "MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY": "HASH",
}

LOCK = threading.RLock()


@contextmanager
def released() -> Iterator[None]:
    """Let other threads into moto while this one waits (only for waits that do not touch moto)."""
    count = 0
    while True:
        try:
            LOCK.release()
        except RuntimeError:
            break
        count += 1
    try:
        yield
    finally:
        for _ in range(count):
            LOCK.acquire()


class MotoSession:
    """Starts and stops moto with the local cloud's environment, and hands out boto3 clients."""

    def __init__(self) -> None:
        self._mock: Any = None
        self._saved_environment: dict[str, str] | None = None
        self._clients: dict[tuple[str, str], Any] = {}
        self._original_stubber_call: Any = None
        self.fast_query = False

    def start(self) -> None:
        self._saved_environment = dict(os.environ)
        for name in _REMOVED:
            os.environ.pop(name, None)
        os.environ.update(FAKE_ENVIRONMENT)
        from moto import mock_aws
        from moto.core.botocore_stubber import BotocoreStubber

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        self.fast_query = fast_query.install()  # Query reads one partition (docs/local-cloud.md)
        original = BotocoreStubber.__call__
        self._original_stubber_call = original

        def locked_call(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
            with LOCK:
                return original(stubber, event_name, request, **kwargs)

        BotocoreStubber.__call__ = locked_call  # type: ignore[method-assign,assignment]

    def stop(self) -> None:
        from moto.core.botocore_stubber import BotocoreStubber

        if self._original_stubber_call is not None:
            BotocoreStubber.__call__ = self._original_stubber_call  # type: ignore[method-assign]
            self._original_stubber_call = None
        fast_query.uninstall()
        if self._mock is not None:
            self._mock.stop()
            self._mock = None
        self._clients.clear()
        if self._saved_environment is not None:
            os.environ.clear()
            os.environ.update(self._saved_environment)
            self._saved_environment = None

    def client(self, service: str, region: str = REGION) -> Any:
        """A client in the local cloud's region, or in `region` (the WAF stack's us-east-1)."""
        if (service, region) not in self._clients:
            import boto3
            from botocore.config import Config

            # No retries: a failed call into moto is a bug to see at once, and a retried Lambda invoke would run
            # the handler again.
            self._clients[service, region] = boto3.session.Session(
                aws_access_key_id=FAKE_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=FAKE_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
                region_name=region,
            ).client(service, config=Config(retries={"total_max_attempts": 1}))
        return self._clients[service, region]
