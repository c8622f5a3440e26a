"""Notifications consumer throughput, in-process: events per second and p99 per message.

Batches of 10 SQS records go through the real handler on moto (DynamoDB reads and conditional writes) in two
modes: record-only, and GOV.UK Notify through the official client to the local stand-in over loopback HTTP
(JWT signing, a real HTTP request per message). Run: `python -m bench.bench_notifications [--events N]`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BATCH = 10  # the event source mapping's batch size

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "POWERTOOLS_SERVICE_NAME": "notifications",
        "POWERTOOLS_METRICS_NAMESPACE": "Borough",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "NOTIFICATIONS_TABLE": "notifications",
        "REQUESTS_TABLE": "requests",
        "SUBSCRIPTIONS_TABLE": "subscriptions",  # the consumer's settings require it (not read by these events)
        "PUBLIC_BASE_URL": "https://borough.example",
        "LINK_SIGNING_KEY": "bench-link-signing-key-not-a-secret",  # given directly: local only
        "BOROUGH_LOCAL_CLOUD": "1",
    }
)
for path in (str(ROOT), str(ROOT / "functions")):
    if path not in sys.path:
        sys.path.insert(0, path)


@contextlib.contextmanager
def cloud() -> Iterator[None]:
    import boto3
    from moto import mock_aws

    from shared import aws

    with mock_aws():
        aws.reset()
        dynamodb = boto3.client("dynamodb")
        for name, key in (("notifications", "message_id"), ("requests", "reference")):
            dynamodb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        yield
        aws.reset()


def _events(count: int) -> list[str]:
    import boto3

    from shared.events import EventType, new_event

    table = boto3.resource("dynamodb").Table("requests")
    bodies = []
    for n in range(count):
        reference = f"BEN-{n:06d}"
        table.put_item(Item={"reference": reference, "contact": {"email": f"resident{n}@example.org"}})
        event = new_event(
            EventType.REQUEST_ACKNOWLEDGED,
            source="bench",
            correlation_id=f"bench-{n}",
            data={"reference": reference, "team": "Street cleansing", "expected_by": "2026-12-08"},
        )
        bodies.append(event.to_message())
    return bodies


def run(mode: str, count: int) -> dict[str, Any]:
    from local.sandbox.notify import SANDBOX_API_KEY, NotifySandbox, serve
    from notifications import adapters, handler, settings
    from tests.helpers import FakeContext, sqs_event

    with contextlib.ExitStack() as stack:
        stack.enter_context(cloud())
        os.environ["NOTIFY_PROVIDER"] = mode
        if mode == "notify":
            running = stack.enter_context(serve(NotifySandbox(rate_limit_per_minute=10**9)))
            os.environ.update({"NOTIFY_API_KEY": SANDBOX_API_KEY, "NOTIFY_BASE_URL": running.url})
        settings.reset()
        adapters.from_environment.cache_clear()
        bodies = _events(count + BATCH)
        per_message: list[float] = []
        real = handler._handle

        def timed(record: Any) -> None:
            start = time.perf_counter()
            try:
                real(record)
            finally:
                per_message.append(time.perf_counter() - start)

        handler._handle = timed
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # EMF metrics lines
                handler.handler(sqs_event(*bodies[:BATCH]), FakeContext())  # warm up (first imports, first client)
                per_message.clear()
                start = time.perf_counter()
                for offset in range(BATCH, len(bodies), BATCH):
                    response = handler.handler(sqs_event(*bodies[offset : offset + BATCH]), FakeContext())
                    assert not response["batchItemFailures"], response
                elapsed = time.perf_counter() - start
        finally:
            handler._handle = real
    quantiles = statistics.quantiles(per_message, n=100)
    return {
        "mode": mode,
        "events": count,
        "events_per_second": count / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args(argv)
    results = [run(mode, args.events) for mode in ("record-only", "notify")]
    print(f"Notifications consumer, in-process on moto, batches of {BATCH} SQS records, {args.events} events per mode")
    print(f"{'mode':<34} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    labels = {"record-only": "record-only", "notify": "GOV.UK Notify (stand-in over HTTP)"}
    for r in results:
        print(f"{labels[r['mode']]:<34} {r['events_per_second']:>9.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}")
    return results


if __name__ == "__main__":
    main()
