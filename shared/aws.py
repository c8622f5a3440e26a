"""boto3 clients and resources, created once per process and only when first used (cold start)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)


@cache
def table(name: str) -> Any:
    import boto3

    return boto3.resource("dynamodb").Table(name)


def reset() -> None:
    """Forget cached clients (tests and the local cloud switch moto sessions)."""
    client.cache_clear()
    table.cache_clear()
