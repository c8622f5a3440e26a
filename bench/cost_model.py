"""What one submission costs in AWS usage, from the operations the code path really makes.

`measure_submission` drives one report through a LocalCloud (API -> catalogue -> stream -> outbox -> SNS -> SQS ->
pipe -> state machine -> assign -> SNS -> SQS -> notifications) and counts every AWS API call the code makes (at moto's
botocore seam), every Lambda invocation (at the local cloud's Lambda seam), every SNS-to-SQS delivery and every
message a pipe hands to its target (at the local cloud's SQS poller).
`price` turns the counts into dollars with the list prices below. A test (tests/local/test_local_cost_model.py)
checks that the counted operations are exactly `EXPECTED_OPERATIONS`, which docs/cost-model.md prices, and that
the total stays under the target. `python -m bench.cost_model` prints the tables for docs/cost-model.md.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TARGET_PER_SUBMISSION_USD = 0.00002
# Items written per submission (request, idempotency record, message): the example report's request item measures
# 1,363 bytes with the event it stores for the outbox and its postcode and email search keys (868 without either),
# so each write to it costs 2 write units; the other items are under 1 KB but are priced the same (on the safe
# side). A description near its 2,000-character limit would add one more write unit.
TYPICAL_ITEM_BYTES = 1400
# A paid booking's request item also holds its fee, its payment's state and the answers of a longer form: 1,778 bytes
# measured, still 2 write units.
PAID_ITEM_BYTES = 1800
# On-demand list prices in USD, us-east-1, checked November 2026, times LONDON: what London (eu-west-2) charges
# relative to us-east-1. Lambda, SNS, SQS, KMS and EventBridge Pipes list the same price in both; DynamoDB lists
# ~14% more in London;
# for API Gateway and Step Functions we assume +15% to stay on the safe side.
PRICE_USD = {
    "apigateway.http_request": 1.00 / 1e6,  # HTTP API, first 300 million a month
    "lambda.request": 0.20 / 1e6,
    "lambda.gb_second_arm64": 0.0000133334,
    "dynamodb.write_request_unit": 0.625 / 1e6,  # on demand, per 1 KB written
    "dynamodb.read_request_unit": 0.125 / 1e6,  # on demand, per 4 KB read strongly consistent
    "sns.publish": 0.50 / 1e6,  # per 64 KB chunk; SNS-to-SQS deliveries are free
    "sqs.request": 0.40 / 1e6,  # standard queue, per 64 KB chunk
    "pipes.request": 0.40 / 1e6,  # EventBridge Pipes, per event after filtering (per 64 KB chunk)
    "states.express_request": 1.00 / 1e6,
    "states.express_gb_second": 0.00001667,  # billed in 64 MB, 100 ms increments
    "kms.request": 0.03 / 1e4,
}
LONDON = {"apigateway": 1.15, "dynamodb": 1.15, "states": 1.15}


def _price(key: str) -> float:
    return PRICE_USD[key] * LONDON.get(key.split(".")[0], 1.0)


# Traffic at the reference council: 180,000 online transactions a year, 80% in office hours (~10 h x 22 days).
REFERENCE_SUBMISSIONS_PER_MONTH = 15_000
BUSY_SHARE = 0.8
BUSY_SUBMISSIONS_PER_5_MINUTES = BUSY_SHARE * REFERENCE_SUBMISSIONS_PER_MONTH / (10 * 22 * 12)
# Modelled, not measured (local timings are an x86 laptop, not an arm64 Lambda).
LAMBDA_MEMORY_GB = 0.25  # 256 MB, set by stacks/constructs/function.py
LAMBDA_WARM_SECONDS = 0.060  # a warm invocation with 2-4 DynamoDB/SNS calls
LAMBDA_INIT_SECONDS = 0.9  # cold start incl. imports (docs/benchmarks.md), billed since 2025
# In office hours a function is invoked every minute or so and stays warm (assume 1 in 20 invocations is cold);
# outside them assume every invocation is a cold start.
COLD_START_SHARE = BUSY_SHARE * 0.05 + (1 - BUSY_SHARE)
EXPRESS_SECONDS = 0.3  # the triage execution: one Lambda task and one SNS publish
EXPRESS_MEMORY_GB = 0.0625  # the 64 MB minimum
# KMS: DynamoDB asks KMS for a table's data key at most once per caller (function role) per ~5 minutes, so the
# requests per submission depend on traffic. Six (role, customer-key table) pairs are touched per submission:
# catalogue x Requests, the outbox x the Requests stream (its records are encrypted with the table's key), assign x
# Requests, notifications x Requests, notifications x Notifications, receipts x Notifications.
# Events, queues and the Idempotency table use no customer key.
KMS_PAIRS = 6
# In office hours a cache serves the submissions of its 5 minutes; outside them assume every cache is cold.
KMS_REQUESTS_TYPICAL = KMS_PAIRS * (BUSY_SHARE / max(1.0, BUSY_SUBMISSIONS_PER_5_MINUTES) + (1 - BUSY_SHARE))
KMS_REQUESTS_WORST_CASE = KMS_PAIRS  # every cache cold: a council with very little traffic

# The AWS operations of one submission with an Idempotency-Key, as the code path makes them today.
EXPECTED_OPERATIONS: dict[str, int] = {
    "apigateway.http_request": 2,  # the resident's POST, and GOV.UK Notify's delivery receipt for the message
    "dynamodb.GetItem": 2,  # assign and the notifications consumer read the request (consistent reads)
    "dynamodb.PutItem": 4,  # ... and the KPI counters remember the due date request-acknowledged carries
    # the KPI counters: report-submitted's id, its week's and its total's counter, in one transaction
    "dynamodb.TransactWriteItems": 1,
    "dynamodb.UpdateItem": 5,
    # catalogue, the outbox (twice: the write it publishes, and assign's update, which announces nothing), assign,
    # notifications, Notify's receipt (the pipe starts the state machine), the KPI counters (report-submitted and
    # request-acknowledged)
    "lambda.invocation": 8,
    "pipes.request": 1,  # the report-submitted event, handed by the triage pipe to the state machine
    "sfn.StartExecution": 1,  # made by the pipe, with its role (StartSyncExecution in AWS: priced the same)
    "sns.Publish": 2,
    # the triage pipe, the notifications poller and the KPI counters' poller (twice) delete what they processed
    "sqs.DeleteMessageBatch": 4,
    "sqs.ReceiveMessage": 4,  # each receives its batch (idle long polls: fixed monthly cost)
    "sqs.delivery": 4,  # SNS sends each event to every queue whose filter matches: the KPI queue takes both
}
# The AWS operations of one bulky waste booking paid by card (`measure_paid_booking`), as the code path makes them
# today: the submission as above (with no acknowledgement until paid), the payment's creation (the payments function,
# its attempt written conditionally, the create at Pay), the resident's return through the gateway to the web and the
# payments function (read back from Pay), Pay's webhooks (`card_payment_succeeded`, then `_captured`: each received,
# queued and applied by the worker), payment-succeeded resuming the request into triage, the receipt and the
# acknowledgement with their delivery receipts, the renewals consumer (which records subscriptions, none here) and
# the KPI counters.
EXPECTED_PAID_OPERATIONS: dict[str, int] = {
    "apigateway.http_request": 6,  # the booking, the return from Pay, two webhooks, two Notify delivery receipts
    "dynamodb.GetItem": 15,  # ... among them the follow-up's read of the order item (a request's, or another service's)
    "dynamodb.PutItem": 7,
    "dynamodb.Query": 2,  # the payment attempt found by its Pay payment id (webhooks)
    "dynamodb.TransactWriteItems": 2,  # the KPI counters, twice (submitted, acknowledged)
    "dynamodb.UpdateItem": 13,
    "lambda.invocation": 21,
    "pipes.request": 2,
    "sfn.StartExecution": 2,
    "sns.Publish": 3,
    "sqs.DeleteMessageBatch": 10,
    "sqs.ReceiveMessage": 10,
    "sqs.SendMessage": 2,  # the webhook receiver queues each hint for the worker
    "sqs.delivery": 10,
}
# Items in the KPI counters' transaction (the event's id, two counters); a transactional write costs twice a
# standard one per item.
KPI_TRANSACTION_ITEMS = 3


@dataclass(frozen=True)
class Measurement:
    operations: dict[str, int]
    lambda_seconds_local: dict[str, float]
    request_item_bytes: int


@contextmanager
def _counting(owner: type, method: str, count: Callable[..., str], counter: Counter[str]) -> Iterator[None]:
    """Wrap `owner.method` so that each call adds one to `counter[count(*arguments)]`; restore it afterwards."""
    original = getattr(owner, method)

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        counter[count(*args, **kwargs)] += 1
        return original(self, *args, **kwargs)

    setattr(owner, method, counted)
    try:
        yield
    finally:
        setattr(owner, method, original)


def _api_call(event_name: str, *_args: Any, **_kwargs: Any) -> str:
    """`before-send.dynamodb.PutItem` -> `dynamodb.PutItem`."""
    _, service, operation = [*event_name.split("."), "", ""][:3]
    return f"{service}.{operation}"


@contextmanager
def _counting_everything(counter: Counter[str]) -> Iterator[None]:
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.sqs.models import SQSBackend

    from local.gateway import Gateway

    # Every AWS API call made against moto, by `service.Operation`; SNS-to-SQS deliveries, which happen inside moto
    # rather than through an API call and are billed as SQS requests; requests the HTTP API serves, each routed
    # once (`Gateway.handle` is held bound elsewhere).
    with (
        _counting(BotocoreStubber, "__call__", _api_call, counter),
        _counting(SQSBackend, "send_message", lambda *_, **__: "sqs.delivery", counter),
        _counting(Gateway, "select", lambda *_, **__: "apigateway.http_request", counter),
    ):
        yield


REPORT = {
    "description": "Mattress dumped by the gate",
    "location": {"postcode": "ME15 6JQ"},
    "contact": {"email": "resident@example.org"},
}


RECEIPTS_FUNCTION = "Notifications-ReceiptsFunction"  # in the receipts function's physical name


def _wait_for_receipt(cloud: Any, mark: int, timeout_s: float = 30.0, *, messages: int = 1) -> None:
    """Until the receipts function has handled the delivery receipts of `messages` messages: the Notify stand-in
    posts them from a thread of its own, which `wait_for_idle` (queues and executions) does not see."""
    import time

    from local.moto_session import released

    deadline = time.monotonic() + timeout_s
    while sum(RECEIPTS_FUNCTION in i.function_name for i in cloud.runtime.invocations_since(mark)) < messages:
        if time.monotonic() > deadline:
            raise TimeoutError(f"No delivery receipt was handled within {timeout_s} s")
        with released():
            time.sleep(0.02)
    cloud.wait_for_idle(timeout_s=timeout_s)


def measure_submission(cloud: Any, *, idempotency_key: str) -> Measurement:
    """One fly-tipping report through the whole journey in `cloud`, counted."""
    cloud.wait_for_idle(timeout_s=30)
    mark = cloud.runtime.invocation_count
    piped = cloud.poller.pipe_messages
    calls: Counter[str] = Counter()
    with _counting_everything(calls):
        response = cloud.handle(
            "POST",
            "/api/v1/services/fly-tipping/requests",
            {"Idempotency-Key": idempotency_key},
            json_body=REPORT,
        )
        if response.status != 201:
            raise RuntimeError(f"The submission failed: {response.status} {response.body!r}")
        cloud.wait_for_idle(timeout_s=30)
        _wait_for_receipt(cloud, mark)
    return _measurement(cloud, calls, mark, piped, str(response.json()["reference"]))


def _measurement(cloud: Any, calls: Counter[str], mark: int, piped: int, reference: str) -> Measurement:
    invocations = cloud.runtime.invocations_since(mark)
    table = cloud.physical_id("Borough-dev-Data/Requests")
    item = cloud.client("dynamodb").get_item(TableName=table, Key={"reference": {"S": reference}})["Item"]
    operations = {
        key: count
        for key, count in calls.items()
        if key.split(".")[0] in ("apigateway", "dynamodb", "sns", "sqs", "sfn", "lambda", "kms")
        and not key.startswith("lambda.Invoke")  # counted below, once per handler run whatever started it
    }
    operations["lambda.invocation"] = len(invocations)
    operations["pipes.request"] = cloud.poller.pipe_messages - piped
    seconds: dict[str, float] = {}
    for invocation in invocations:
        seconds[invocation.function_name] = seconds.get(invocation.function_name, 0.0) + invocation.seconds
    return Measurement(dict(sorted(operations.items())), seconds, len(json.dumps(item)))


PAID_SERVICE = "bulky-waste"
PAYMENTS_FUNCTION = "Borough-dev-Payments"  # stacks.config.Config.payments_function (not imported: CDK)
PAY_WEBHOOK_WAIT_S = 3.5  # Pay (and the local Pay) send a webhook 3 s after each event


def _bulky_waste_booking() -> dict[str, Any]:
    from datetime import date, timedelta

    from shared.catalogue import load_catalogue
    from tests.unit.catalogue.service_examples import valid_body

    body = valid_body(load_catalogue()[PAID_SERVICE])
    collection = date.today() + timedelta(days=21)
    while collection.weekday() >= 5:
        collection += timedelta(days=1)
    body["preferred_date"] = collection.isoformat()  # the example's date is fixed in the past
    return body


def measure_paid_booking(cloud: Any, *, idempotency_key: str) -> Measurement:
    """One bulky waste booking paid by card, counted: the submission (awaiting payment), the payment created as
    the web creates it on "Accept and send" (the payments function's `start`), the card accepted at the local Pay,
    the resident's return through the gateway, Pay's webhook, and everything they set off (triage, the receipt
    and the acknowledgement, their delivery receipts, the KPI counters). The card pages are Pay's, not ours."""
    import time

    from local import pay_standin
    from local.moto_session import released

    cloud.wait_for_idle(timeout_s=30)
    mark = cloud.runtime.invocation_count
    piped = cloud.poller.pipe_messages
    calls: Counter[str] = Counter()
    with _counting_everything(calls):
        response = cloud.handle(
            "POST",
            f"/api/v1/services/{PAID_SERVICE}/requests",
            {"Idempotency-Key": idempotency_key},
            json_body=_bulky_waste_booking(),
        )
        if response.status != 201 or response.json()["status"] != "awaiting-payment":
            raise RuntimeError(f"The booking failed: {response.status} {response.body!r}")
        reference = str(response.json()["reference"])
        cloud.wait_for_idle(timeout_s=30)
        payload = json.dumps({"action": "start", "reference": reference, "correlation_id": f"cost-{reference}"})
        invoked = cloud.client("lambda").invoke(FunctionName=PAYMENTS_FUNCTION, Payload=payload)
        started = json.loads(invoked["Payload"].read())
        if started.get("status") != 200 or not started["body"].get("next_url"):
            raise RuntimeError(f"The payment was not created: {started}")
        sandbox = pay_standin.sandbox()
        [payment] = [p for p in sandbox.ledger.payments.values() if p.reference == reference]
        sandbox.move(payment, "success")  # what the card page does with a success card
        returned = urlsplit(str(payment.return_url))
        back = cloud.handle("GET", returned.path + (f"?{returned.query}" if returned.query else ""))
        if back.status != 303 or not back.header("location").endswith("/confirmation"):
            raise RuntimeError(f"The return from Pay did not confirm: {back.status} {back.body[:300]!r}")
        with released():
            time.sleep(PAY_WEBHOOK_WAIT_S)
        cloud.wait_for_idle(timeout_s=30)
        _wait_for_receipt(cloud, mark)
    return _measurement(cloud, calls, mark, piped, reference)


def price(
    operations: dict[str, int],
    request_item_bytes: int = TYPICAL_ITEM_BYTES,
    *,
    kms_requests: float = KMS_REQUESTS_TYPICAL,
) -> dict[str, float]:
    """Dollars per line of usage for one submission with the operations given."""
    write_units = math.ceil(request_item_bytes / 1024)  # PutItem/UpdateItem bill the larger item, per 1 KB
    read_units = math.ceil(request_item_bytes / 4096)
    invocations = operations.get("lambda.invocation", 0)
    lambda_seconds = invocations * (LAMBDA_WARM_SECONDS + COLD_START_SHARE * LAMBDA_INIT_SECONDS)
    express_gb_seconds = EXPRESS_SECONDS * EXPRESS_MEMORY_GB
    return {
        "API Gateway HTTP API request": operations.get("apigateway.http_request", 0)
        * _price("apigateway.http_request"),
        "Lambda requests": invocations * _price("lambda.request"),
        "Lambda compute (arm64, 256 MB)": lambda_seconds * LAMBDA_MEMORY_GB * _price("lambda.gb_second_arm64"),
        "DynamoDB writes": (
            (operations.get("dynamodb.PutItem", 0) + operations.get("dynamodb.UpdateItem", 0)) * write_units
            + operations.get("dynamodb.TransactWriteItems", 0) * KPI_TRANSACTION_ITEMS * 2
        )
        * _price("dynamodb.write_request_unit"),
        # A Query here returns one small item (a payment attempt or a refund by its index): one read unit, as a GetItem.
        "DynamoDB reads": (operations.get("dynamodb.GetItem", 0) + operations.get("dynamodb.Query", 0))
        * read_units
        * _price("dynamodb.read_request_unit"),
        "SNS publishes": operations.get("sns.Publish", 0) * _price("sns.publish"),
        "SQS requests": sum(count for key, count in operations.items() if key.startswith("sqs."))
        * _price("sqs.request"),
        "EventBridge Pipes requests": operations.get("pipes.request", 0) * _price("pipes.request"),
        "Step Functions Express": operations.get("sfn.StartExecution", 0)
        * (_price("states.express_request") + express_gb_seconds * _price("states.express_gb_second")),
        "KMS requests (customer-key tables)": kms_requests * _price("kms.request"),
    }


# Fixed monthly costs of one deployed environment, per resource the templates declare (USD a month).
FIXED_MONTHLY_USD = {
    "AWS::KMS::Key": 1.00,  # +$1 for each of the first two yearly rotations
    "AWS::SecretsManager::Secret": 0.40,
    "AWS::CloudWatch::Alarm": 0.10,  # standard resolution, one metric
    "AWS::CloudWatch::Dashboard": 3.00,  # the first three in an account are free
    "AWS::Lambda::EventSourceMapping": 0.26,  # idle SQS long polls: ~650,000 ReceiveMessage a month per queue
    "AWS::Pipes::Pipe": 0.26,  # a pipe polls its SQS source as an event source mapping does (the same estimate)
}
# Secrets a person creates (read by name; not in the templates): the Notify API key and its callback token, and
# the OS Places API key for address lookup.
SECRETS_CREATED_BY_HAND = 3
# AWS WAF on CloudFront, from the web ACLs the templates declare: $5 an ACL and $1 a rule or rule group a month
# (the AWS managed groups used, common, known bad inputs and IP reputation, carry no subscription fee), plus $0.60
# per million requests inspected. Every request to CloudFront is inspected, and assets are cached by browsers, so
# requests are modelled per submission: a journey's ~25 page GETs and POSTs, and three times that again for
# browsing, tracking requests and journeys not finished.
WAF_WEB_ACL_USD = 5.00
WAF_RULE_USD = 1.00
WAF_REQUEST_USD = 0.60 / 1e6
WAF_REQUESTS_PER_SUBMISSION = 100
# The map on location questions (docs/web.md), when the distribution has a /map-tiles/* behaviour: tiles are
# CloudFront requests that run a viewer function with one key value store read, transfer ~20 KB each and pass
# WAF. Modelled: 40% of submissions have a location page (the report-a-problem services), ~30 tiles a view (the
# first screen's 12, then moves and zooms). OS Maps API OpenData tiles (zoom 7-16) cost nothing at the origin.
MAP_SHARE_OF_SUBMISSIONS = 0.4
MAP_TILES_PER_VIEW = 30
MAP_TILE_BYTES = 20_000
MAP_TILE_USD = (
    0.0120 / 10_000  # CloudFront HTTPS requests, Europe
    + 0.10 / 1e6  # CloudFront Functions invocations
    + 0.03 / 1e6  # CloudFront KeyValueStore reads
    + MAP_TILE_BYTES / 1e9 * 0.085  # data transfer out, Europe, first 10 TB
    + WAF_REQUEST_USD
)
# Small per-month usage outside submissions at the reference volume (logs, storage, staff sign-ins).
OTHER_MONTHLY_USD = {
    "CloudWatch Logs ingestion (~0.2 GB)": 0.2 * 0.57,
    "DynamoDB storage and PITR (~1 GB after six years' retention)": 0.25 + 0.20,
    "Cognito Plus for ~20 staff": 20 * 0.02,
}
GBP_PER_USD = 0.79
MONTHLY_TARGET_GBP = 30


def fixed_monthly(assembly_dir: Any) -> dict[str, float]:
    """Fixed monthly USD of an environment, from the resources its synthesized templates declare."""
    counts: Counter[str] = Counter()
    waf_rules = 0
    map_tiles = False
    for template in Path(assembly_dir).glob("*.template.json"):
        for resource in json.loads(template.read_text()).get("Resources", {}).values():
            counts[resource["Type"]] += 1
            if resource["Type"] == "AWS::WAFv2::WebACL":
                waf_rules += len(resource["Properties"].get("Rules", []))
            if resource["Type"] == "AWS::CloudFront::Distribution":
                behaviours = resource["Properties"]["DistributionConfig"].get("CacheBehaviors", [])
                map_tiles = map_tiles or any(b["PathPattern"] == "/map-tiles/*" for b in behaviours)
    counts["AWS::SecretsManager::Secret"] += SECRETS_CREATED_BY_HAND
    lines = {f"{kind} x {counts[kind]}": counts[kind] * price for kind, price in FIXED_MONTHLY_USD.items()}
    acls = counts["AWS::WAFv2::WebACL"]
    requests = REFERENCE_SUBMISSIONS_PER_MONTH * WAF_REQUESTS_PER_SUBMISSION if acls else 0
    lines[f"AWS WAF web ACL x {acls}"] = acls * WAF_WEB_ACL_USD
    lines[f"AWS WAF rules and managed rule groups x {waf_rules}"] = waf_rules * WAF_RULE_USD
    lines[f"AWS WAF requests (~{requests / 1e6:.1f} million)"] = requests * WAF_REQUEST_USD
    if map_tiles:
        tiles = REFERENCE_SUBMISSIONS_PER_MONTH * MAP_SHARE_OF_SUBMISSIONS * MAP_TILES_PER_VIEW
        lines[f"Map tiles through CloudFront (~{tiles / 1e6:.2f} million)"] = tiles * MAP_TILE_USD
    lines.update(OTHER_MONTHLY_USD)
    return lines


def monthly_total_usd(assembly_dir: Any, per_submission_usd: float) -> float:
    return sum(fixed_monthly(assembly_dir).values()) + REFERENCE_SUBMISSIONS_PER_MONTH * per_submission_usd


def monthly_markdown(assembly_dir: Any, per_submission_usd: float) -> str:
    fixed = fixed_monthly(assembly_dir)
    variable = REFERENCE_SUBMISSIONS_PER_MONTH * per_submission_usd
    out = ["| monthly cost | USD |", "| --- | ---: |"]
    out += [f"| {name} | {usd:.2f} |" for name, usd in fixed.items()]
    out.append(f"| {REFERENCE_SUBMISSIONS_PER_MONTH:,} submissions x ${per_submission_usd:.8f} | {variable:.2f} |")
    total = monthly_total_usd(assembly_dir, per_submission_usd)
    out.append(f"| **total** | **{total:.2f}** (about £{total * GBP_PER_USD:.0f}) |")
    return "\n".join(out)


KPI_FIGURES = Path(__file__).resolve().parents[1] / "functions" / "console" / "data" / "cost_model.json"


def kpi_figures(assembly_dir: Any, per_submission_usd: float) -> dict[str, float]:
    """What the console's KPI page estimates a digital transaction's cost from (functions/console/kpi_pages.py):
    written to `KPI_FIGURES` by `python -m bench.cost_model`; tests/infra/test_infra_kpis.py checks it is current."""
    return {
        "per_submission_usd": round(per_submission_usd, 8),
        "fixed_monthly_usd": round(sum(fixed_monthly(assembly_dir).values()), 2),
        "gbp_per_usd": GBP_PER_USD,
    }


def markdown(operations: dict[str, int], request_item_bytes: int = TYPICAL_ITEM_BYTES) -> str:
    typical = price(operations, request_item_bytes)
    worst = price(operations, request_item_bytes, kms_requests=KMS_REQUESTS_WORST_CASE)
    out = ["| operation | count per submission |", "| --- | ---: |"]
    out += [f"| `{name}` | {count} |" for name, count in sorted(operations.items())]
    out += [
        "",
        f"| usage | USD, reference volume ({KMS_REQUESTS_TYPICAL:.2f} KMS requests) "
        f"| USD, every cache cold ({KMS_PAIRS} KMS) |",
        "| --- | ---: | ---: |",
    ]
    out += [f"| {name} | {dollars:.8f} | {worst[name]:.8f} |" for name, dollars in typical.items()]
    out.append(f"| **total** | **{sum(typical.values()):.8f}** | **{sum(worst.values()):.8f}** |")
    return "\n".join(out)


def main() -> None:
    from local.assembly import ensure_assembly
    from local.cloud import LocalCloud

    assembly = ensure_assembly()
    with LocalCloud(assembly, state_dir=None, port=0) as cloud:
        measured = measure_submission(cloud, idempotency_key="cost-model-0001")
        paid = measure_paid_booking(cloud, idempotency_key="cost-model-paid-0001")
    print(markdown(measured.operations))
    print()
    print("One paid booking:")
    print(markdown(paid.operations, PAID_ITEM_BYTES))
    print(f"Paid booking's request item: {paid.request_item_bytes} bytes")
    print()
    per_submission = sum(price(measured.operations).values())
    print(monthly_markdown(assembly, per_submission))
    KPI_FIGURES.write_text(json.dumps(kpi_figures(assembly, per_submission), indent=2) + "\n")
    print()
    print(f"Requests item: {measured.request_item_bytes} bytes")
    for name, seconds in measured.lambda_seconds_local.items():
        print(f"local in-process seconds {name}: {seconds * 1000:.1f} ms")


if __name__ == "__main__":
    main()
