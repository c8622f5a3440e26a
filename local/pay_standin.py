"""The local GOV.UK Pay (`local/sandbox/pay/`) mounted on the local cloud's port under `/sandbox/pay/`.

One `PaySandbox` per run, whose links (`next_url`, the card pages' forms) point at `<local address>/sandbox/pay`.
A function whose template environment names `PAY_BASE_URL` is pointed there (the adapter uses the standard
library, which moto's HTTP mock leaves alone): only the URL and the key differ from AWS. The person-created secrets
get this run's values: `pay-api-key` a key of the local Pay (`api_test_...`, printed in full at start-up, so a
developer can `curl` it as they would Pay's test account), `pay-webhook-secret` the signing secret of a webhook
subscription to the local API's webhook route, so the local Pay's signed webhooks reach the receiver through the
front door, as Pay's reach CloudFront.
"""

from __future__ import annotations

from typing import Any

MOUNT = "/sandbox/pay"  # local.sandbox.pay.MOUNT (not imported: the sandbox is loaded on first use)
WEBHOOK_PATH = "/api/v1/payments/webhooks"  # stacks.routes.PAYMENT_WEBHOOK_ROUTES (not imported: CDK)
BASE_URL_VARIABLE = "PAY_BASE_URL"


class _Pay:
    sandbox: Any = None  # local.sandbox.pay.PaySandbox while a local cloud runs
    subscription: Any = None


def start(local_url: str) -> Any:
    """The run's local Pay (made on first use), its links pointing at `local_url`."""
    from local.sandbox.pay import PaySandbox

    if _Pay.sandbox is None:
        _Pay.sandbox = PaySandbox(base_url=local_url + MOUNT)
    return _Pay.sandbox


def sandbox() -> Any:
    return _Pay.sandbox


def stop() -> None:
    if _Pay.sandbox is not None and _Pay.subscription is not None:
        _Pay.sandbox.webhooks.unsubscribe(_Pay.subscription)
    _Pay.sandbox = _Pay.subscription = None


def is_pay(path: str) -> bool:
    return path.split("?", 1)[0].startswith(MOUNT + "/")


def handle(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    if _Pay.sandbox is None:
        return 404, {"Content-Type": "text/plain"}, b"The local Pay is not running."
    status, answer, payload = _Pay.sandbox.handle(method, path, headers, body)
    return status, dict(answer), payload


def base_url(local_url: str) -> str:
    return local_url + MOUNT


def api_key() -> str:
    """A new key of the local Pay (for the `pay-api-key` secret)."""
    return str(start_or_fail().new_api_key())


def webhook_secret(local_url: str) -> str:
    """Subscribe the local API's webhook route; the subscription's signing secret."""
    pay = start_or_fail()
    if _Pay.subscription is None:
        _Pay.subscription = pay.webhooks.subscribe(local_url + WEBHOOK_PATH)
    return str(_Pay.subscription.signing_secret)


def start_or_fail() -> Any:
    if _Pay.sandbox is None:
        raise RuntimeError("start the local Pay first (pay_standin.start)")
    return _Pay.sandbox


def cards_text() -> str:
    from local.sandbox.pay import cards_text as text

    return str(text())
