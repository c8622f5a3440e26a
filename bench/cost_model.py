"""What one submission costs in AWS usage, from the operations the code path really makes.

`measure_submission` drives one report through a LocalCloud (API -> catalogue -> SNS -> SQS -> starter -> state
machine -> assign -> SNS -> SQS -> notifications) and counts every AWS API call the code makes (at moto's
botocore seam), every Lambda invocation (at the local cloud's Lambda seam) and every SNS-to-SQS delivery.
`price` turns the counts into dollars with the list prices below. A test (tests/local/test_local_cost_model.py)
checks that the counted operations are exactly `EXPECTED_OPERATIONS`, which docs/cost-model.md prices, and that
the total stays under the target. `python -m bench.cost_model` prints the tables for docs/cost-model.md.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

TARGET_PER_SUBMISSION_USD = 0.00002
# us-east-1 on-demand list prices (USD), checked November 2026. London (eu-west-2) lists the same or up to ~15%
# more for these services, so every usage price below is uplifted by REGION_UPLIFT to stay on the safe side.
REGION_UPLIFT = 1.15
PRICE_USD = {
    "apigateway.http_request": 1.00 / 1e6,  # HTTP API, first 300 million a month
    "lambda.request": 0.20 / 1e6,
    "lambda.gb_second_arm64": 0.0000133334,
    "dynamodb.write_request_unit": 0.625 / 1e6,  # on demand, per 1 KB written
    "dynamodb.read_request_unit": 0.125 / 1e6,  # on demand, per 4 KB read strongly consistent
    "sns.publish": 0.50 / 1e6,  # per 64 KB chunk; SNS-to-SQS deliveries are free
    "sqs.request": 0.40 / 1e6,  # standard queue, per 64 KB chunk
    "states.express_request": 1.00 / 1e6,
    "states.express_gb_second": 0.00001667,  # billed in 64 MB, 100 ms increments
    "kms.request": 0.03 / 1e4,
}
# Modelled, not measured (local timings are an x86 laptop, not an arm64 Lambda).
LAMBDA_MEMORY_GB = 0.25  # 256 MB, set by stacks/constructs/function.py
LAMBDA_WARM_SECONDS = 0.060  # a warm invocation with 2-4 DynamoDB/SNS calls
LAMBDA_INIT_SECONDS = 0.9  # cold start incl. imports (docs/benchmarks.md), billed since 2025
COLD_START_SHARE = 0.15  # ~40 submissions an hour in the day keeps functions warm; nights and mornings do not
EXPRESS_SECONDS = 0.3  # the triage execution: one Lambda task and one SNS publish
EXPRESS_MEMORY_GB = 0.0625  # the 64 MB minimum
# KMS: DynamoDB asks KMS for a table's data key once per caller per ~5 minutes. Worst case (every cache cold):
# one request per function and customer-key table it touches. Events and queues use no customer key.
KMS_REQUESTS_WORST_CASE = 4  # catalogue x Requests, assign x Requests, notifications x Requests, x Notifications

# The AWS operations of one submission with an Idempotency-Key, as the code path makes them today.
EXPECTED_OPERATIONS: dict[str, int] = {
    "apigateway.http_request": 1,
    "dynamodb.GetItem": 5,
    "dynamodb.PutItem": 3,
    "dynamodb.UpdateItem": 4,
    "lambda.invocation": 4,
    "sns.Publish": 2,
    "sqs.delivery": 2,
    "states.StartExecution": 1,
}


@dataclass(frozen=True)
class Measurement:
    operations: dict[str, int]
    lambda_seconds_local: dict[str, float]
    request_item_bytes: int


@contextmanager
def _counting_api_calls(counter: Counter[str]) -> Iterator[None]:
    """Count every AWS API call made against moto, by `service.Operation`."""
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.__call__

    def counted(stubber: Any, event_name: str, request: Any, **kwargs: Any) -> Any:
        _, service, operation = [*event_name.split("."), "", ""][:3]
        counter[f"{service}.{operation}"] += 1
        return original(stubber, event_name, request, **kwargs)

    BotocoreStubber.__call__ = counted  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]


@contextmanager
def _counting_deliveries(counter: Counter[str]) -> Iterator[None]:
    """Count SNS-to-SQS deliveries (made inside moto, not through an API call; billed as SQS requests)."""
    from moto.sqs.models import SQSBackend

    original = SQSBackend.send_message

    def counted(backend: Any, *args: Any, **kwargs: Any) -> Any:
        counter["sqs.delivery"] += 1
        return original(backend, *args, **kwargs)

    SQSBackend.send_message = counted  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        SQSBackend.send_message = original  # type: ignore[method-assign]


REPORT = {
    "description": "Mattress dumped by the gate",
    "location": {"postcode": "ME15 6JQ"},
    "contact": {"email": "resident@example.org"},
}


def measure_submission(cloud: Any, *, idempotency_key: str) -> Measurement:
    """One fly-tipping report through the whole journey in `cloud`, counted."""
    cloud.wait_for_idle(timeout_s=30)
    already = len(cloud.runtime.invocations)
    calls: Counter[str] = Counter()
    with _counting_api_calls(calls), _counting_deliveries(calls):
        response = cloud.handle(
            "POST",
            "/api/v1/services/fly-tipping/requests",
            {"Idempotency-Key": idempotency_key},
            json_body=REPORT,
        )
        if response.status != 201:
            raise RuntimeError(f"The submission failed: {response.status} {response.body!r}")
        cloud.wait_for_idle(timeout_s=30)
    invocations = list(cloud.runtime.invocations)[already:]
    reference = response.json()["reference"]
    table = cloud.physical_id("Borough-dev-Data/Requests")
    item = cloud.client("dynamodb").get_item(TableName=table, Key={"reference": {"S": reference}})["Item"]
    operations = {
        key: count
        for key, count in calls.items()
        if key.split(".")[0] in ("dynamodb", "sns", "sqs", "states", "lambda", "kms")
        and not key.startswith("lambda.Invoke")  # counted below, once per handler run whatever started it
    }
    operations["apigateway.http_request"] = 1
    operations["lambda.invocation"] = len(invocations)
    seconds: dict[str, float] = {}
    for invocation in invocations:
        seconds[invocation.function_name] = seconds.get(invocation.function_name, 0.0) + invocation.seconds
    return Measurement(dict(sorted(operations.items())), seconds, len(json.dumps(item)))


def price(operations: dict[str, int], request_item_bytes: int = 1500) -> dict[str, float]:
    """Dollars per line of usage for one submission with the operations given."""
    write_units = math.ceil(request_item_bytes / 1024)  # PutItem/UpdateItem bill the larger item, per 1 KB
    read_units = math.ceil(request_item_bytes / 4096)
    invocations = operations.get("lambda.invocation", 0)
    lambda_seconds = invocations * (LAMBDA_WARM_SECONDS + COLD_START_SHARE * LAMBDA_INIT_SECONDS)
    express_gb_seconds = EXPRESS_SECONDS * EXPRESS_MEMORY_GB
    lines = {
        "API Gateway HTTP API request": operations.get("apigateway.http_request", 0)
        * PRICE_USD["apigateway.http_request"],
        "Lambda requests": invocations * PRICE_USD["lambda.request"],
        "Lambda compute (arm64, 256 MB)": lambda_seconds * LAMBDA_MEMORY_GB * PRICE_USD["lambda.gb_second_arm64"],
        "DynamoDB writes": (operations.get("dynamodb.PutItem", 0) + operations.get("dynamodb.UpdateItem", 0))
        * write_units
        * PRICE_USD["dynamodb.write_request_unit"],
        "DynamoDB reads": operations.get("dynamodb.GetItem", 0) * read_units * PRICE_USD["dynamodb.read_request_unit"],
        "SNS publishes": operations.get("sns.Publish", 0) * PRICE_USD["sns.publish"],
        # Each delivered message is sent (by SNS), received and deleted (by the Lambda poller): 3 SQS requests.
        "SQS requests": operations.get("sqs.delivery", 0) * 3 * PRICE_USD["sqs.request"],
        "Step Functions Express": operations.get("states.StartExecution", 0)
        * (PRICE_USD["states.express_request"] + express_gb_seconds * PRICE_USD["states.express_gb_second"]),
        "KMS requests (worst case, cold caches)": KMS_REQUESTS_WORST_CASE * PRICE_USD["kms.request"],
    }
    return {name: dollars * REGION_UPLIFT for name, dollars in lines.items()}


def markdown(operations: dict[str, int], request_item_bytes: int = 1500) -> str:
    lines = price(operations, request_item_bytes)
    out = ["| operation | count per submission |", "| --- | ---: |"]
    out += [f"| `{name}` | {count} |" for name, count in sorted(operations.items())]
    out += ["", "| usage | USD per submission |", "| --- | ---: |"]
    out += [f"| {name} | {dollars:.8f} |" for name, dollars in lines.items()]
    out.append(f"| **total** | **{sum(lines.values()):.8f}** |")
    return "\n".join(out)


def main() -> None:
    from local.assembly import ensure_assembly
    from local.cloud import LocalCloud

    with LocalCloud(ensure_assembly(), state_dir=None, port=0) as cloud:
        measured = measure_submission(cloud, idempotency_key="cost-model-0001")
    print(markdown(measured.operations, measured.request_item_bytes))
    print()
    print(f"Requests item: {measured.request_item_bytes} bytes")
    for name, seconds in measured.lambda_seconds_local.items():
        print(f"local in-process seconds {name}: {seconds * 1000:.1f} ms")


if __name__ == "__main__":
    main()
