"""The payment provider and the secrets, as the functions' settings name them (read once per container).

The Pay API key is read from Secrets Manager by name (`PAY_API_KEY_SECRET_ID`) and handed to the adapter, which
sends it only as a bearer token; it is never logged. The webhook signing secret may hold two values while it is
rotated (JSON `{"current": ..., "previous": ...}`, or one plain value).
"""

from __future__ import annotations

import json
from functools import cache

from payments.adapters.base import PaymentProvider
from payments.adapters.pay import DEFAULT_POLICY, GovUkPayAdapter, RetryPolicy
from shared import aws


@cache
def secret_text(secret_id: str) -> str:
    return str(aws.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]).strip()


def signing_secrets(secret_id: str) -> tuple[str, ...]:
    raw = secret_text(secret_id)
    if raw.startswith("{"):
        values = json.loads(raw)
        return tuple(str(values[name]) for name in ("current", "previous") if values.get(name))
    return (raw,)


@cache
def pay(secret_id: str, base_url: str, policy: RetryPolicy = DEFAULT_POLICY) -> PaymentProvider:
    return GovUkPayAdapter(secret_text(secret_id), base_url=base_url, policy=policy)


def reset() -> None:
    """Forget secrets and clients (tests change them)."""
    secret_text.cache_clear()
    pay.cache_clear()
