"""Payments in-process through the local cloud: creating a payment, and acknowledging GOV.UK Pay's webhooks.

- **create**: the web's payments function's `start` action (what the resident web invokes when a fee request is
  sent), over Lambda invoke in moto: the conditional writes of the attempt, the create at the local Pay over
  loopback HTTP (the adapter, JSON, the stand-in's validation) and the read back. The requests are submitted
  through the API first, untimed. Creates are paced under Pay's 15 POSTs a second so that none is refused (a
  refused create is another path, measured by the spike test, not here).
- **webhook**: `POST /api/v1/payments/webhooks` through the local gateway with a valid `Pay-Signature`: the
  signature check, parsing, and the hint put on the webhook queue. The worker that applies the hint is another
  function (in AWS it runs on its own instance): it runs to the end after each timed request, untimed, so that its
  work on the same two cores is not counted as the receiver's.

Run: `python -m bench.bench_payments [--operations N]`.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from typing import Any

from bench.bench_api import percentile

OPERATIONS = 1_000
SERVICE = "bulky-waste"
PAY_POSTS_PER_SECOND = 15  # Pay's documented limit per account and category
PACE_S = 1.2 / PAY_POSTS_PER_SECOND  # a little under the limit
IDLE_EVERY = 25  # let the background work (triage, webhook worker) drain, untimed


def _figures(samples: list[float]) -> dict[str, float]:
    import statistics

    return {"p50": statistics.median(samples), "p99": percentile(samples, 0.99), "n": len(samples)}


def _fee_request(cloud: Any, body: dict[str, Any]) -> str:
    answer = cloud.handle("POST", f"/api/v1/services/{SERVICE}/requests", json_body=body)
    if answer.status != 201 or answer.json()["status"] != "awaiting-payment":
        raise RuntimeError(f"submit failed: {answer.status} {answer.body[:300]!r}")
    return str(answer.json()["reference"])


def _start(cloud: Any, function_name: str, reference: str) -> tuple[float, dict[str, Any]]:
    client = cloud.client("lambda")
    payload = json.dumps({"action": "start", "reference": reference, "correlation_id": f"bench-{reference}"})
    started = time.perf_counter()
    answer = client.invoke(FunctionName=function_name, Payload=payload)
    elapsed = (time.perf_counter() - started) * 1000
    result = json.loads(answer["Payload"].read())
    if result.get("status") != 200 or not result["body"].get("next_url"):
        raise RuntimeError(f"start failed for {reference}: {result}")
    return elapsed, result["body"]


def _webhook_body(payment_id: str, number: int) -> bytes:
    message = {
        "webhook_message_id": f"bench-message-{number:06d}",
        "created_date": "2026-12-02T10:00:00.000Z",
        "resource_id": payment_id,
        "api_version": 1,
        "resource_type": "payment",
        "event_type": "card_payment_succeeded",
        "resource": {"payment_id": payment_id, "state": {"status": "success", "finished": True}},
    }
    return json.dumps(message, separators=(",", ":")).encode()


def run(cloud: Any, operations: int = OPERATIONS) -> dict[str, dict[str, float]]:
    from local import pay_standin
    from local.sandbox.pay.webhooks import sign
    from shared.catalogue import load_catalogue
    from tests.unit.catalogue.service_examples import valid_body

    body = valid_body(load_catalogue()[SERVICE])
    collection = date.today() + timedelta(days=21)
    while collection.weekday() >= 5:
        collection += timedelta(days=1)
    body["preferred_date"] = collection.isoformat()  # the examples' date is fixed in the past
    function_name = "Borough-dev-Payments"  # stacks.config.Config.payments_function (not imported: CDK)
    create_ms: list[float] = []
    for number in range(operations):
        reference = _fee_request(cloud, body)
        if number % IDLE_EVERY == 0:
            cloud.wait_for_idle(timeout_s=60)
        paced_until = time.monotonic() + PACE_S
        elapsed, _ = _start(cloud, function_name, reference)
        create_ms.append(elapsed)
        time.sleep(max(0.0, paced_until - time.monotonic()))
    cloud.wait_for_idle(timeout_s=60)

    secret = str(pay_standin.sandbox().webhooks.subscriptions[0].signing_secret)
    payment_id = next(
        (p.payment_id for p in pay_standin.sandbox().ledger.payments.values()), "bench-payment-without-id"
    )
    webhook_ms: list[float] = []
    for number in range(operations):
        raw = _webhook_body(payment_id, number)
        headers = [("content-type", "application/json"), ("pay-signature", sign(raw, secret))]
        started_at = time.perf_counter()
        answer = cloud.handle("POST", "/api/v1/payments/webhooks", headers, raw)
        webhook_ms.append((time.perf_counter() - started_at) * 1000)
        if answer.status != 200:
            raise RuntimeError(f"webhook refused: {answer.status} {answer.body[:300]!r}")
        cloud.wait_for_idle(timeout_s=60)
    return {"create": _figures(create_ms), "webhook": _figures(webhook_ms)}


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=OPERATIONS)
    arguments = parser.parse_args(argv or [])

    from local.assembly import ensure_assembly
    from local.cloud import LocalCloud

    with LocalCloud(ensure_assembly(), state_dir=None, port=0) as cloud:
        figures = run(cloud, arguments.operations)
    for name, figure in figures.items():
        print(f"{name:<8} p50 {figure['p50']:6.2f} ms  p99 {figure['p99']:6.2f} ms  over {figure['n']} operations")
    return figures


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
