"""Builders shared by tests: API Gateway HTTP API (payload 2.0) events and a Lambda context."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from shared.http_events import http_api_event


@dataclass
class FakeContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-2:123456789012:function:test-function"
    aws_request_id: str = "11111111-2222-3333-4444-555555555555"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    route_key: str | None = None,
    claims: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A payload-2.0 event from the one builder (shared/http_events.py), JSON by default, `body` JSON-encoded unless
    it is text, and `claims` as the JWT authorizer passes them."""
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    return http_api_event(
        method,
        path,
        route_key=route_key,
        headers={"content-type": "application/json", "user-agent": "pytest", **(headers or {})},
        body=raw,
        path_parameters=path_parameters,
        authorizer=None if claims is None else {"jwt": {"claims": claims, "scopes": None}},
    )


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "handle",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-2:123456789012:queue",
                "awsRegion": "eu-west-2",
            }
            for body in bodies
        ]
    }


def create_tables(keys: dict[str, str], monkeypatch: Any) -> None:
    """On moto: one on-demand table per environment variable, named after it in lower case, keyed by `keys[name]`;
    the variable is set to the table's name."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    for env_name, key in keys.items():
        dynamodb.create_table(
            TableName=env_name.lower(),
            KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        monkeypatch.setenv(env_name, env_name.lower())


def enable_stream(table_name: str) -> str:
    """On moto: turn on the table's stream (new and old images, as the Data stack declares it); its ARN."""
    import boto3

    table = boto3.client("dynamodb").update_table(
        TableName=table_name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    )["TableDescription"]
    return str(table["LatestStreamArn"])


def stream_records(stream_arn: str, *, after: str | None = None) -> list[dict[str, Any]]:
    """The stream's records (after sequence number `after`), in the shape Lambda's event source mapping gives."""
    import boto3
    from botocore.config import Config

    # botocore would address the stream by its account (<account>.streams-ddb...), which moto does not route.
    streams = boto3.client("dynamodbstreams", config=Config(account_id_endpoint_mode="disabled"))
    [shard] = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    position: dict[str, str] = (
        {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
        if after
        else {"ShardIteratorType": "TRIM_HORIZON"}
    )
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard["ShardId"], **position)["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    for record in records:
        record["eventSourceARN"] = stream_arn
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        if created is not None and not isinstance(created, int | float):
            record["dynamodb"]["ApproximateCreationDateTime"] = created.timestamp()
    return records


def run_node_module(script: str, files: dict[str, str], tmp_path: Any) -> Any:
    """Run `script` as an ES module in Node.js beside `files` (name -> text) in `tmp_path`; its last printed line is
    JSON, returned parsed. For the project's own JavaScript: the map widget, the CloudFront functions."""
    import shutil
    import subprocess

    node = shutil.which("node")
    assert node is not None, "Node.js is needed (make install puts the CDK CLI and the web build on it too)"
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (tmp_path / "main.mjs").write_text(script)
    done = subprocess.run(
        [node, str(tmp_path / "main.mjs")], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def function_logs() -> Iterator[io.StringIO]:
    """Everything the functions' logger writes in the block, formatted as in Lambda (JSON with every extra key),
    at DEBUG."""
    from shared.observability import logger

    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(logger.registered_formatter)
    previous = logger.log_level
    logger.setLevel("DEBUG")
    logger.addHandler(capture)
    try:
        yield stream
    finally:
        logger.removeHandler(capture)
        logger.setLevel(previous)
