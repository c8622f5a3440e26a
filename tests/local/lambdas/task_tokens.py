"""Test functions for task tokens: `waits` is a `.waitForTaskToken` task that keeps nothing (the test reads the
token from the execution's history); `send` sends SendTaskSuccess for `event["token"]` and says what its role let
it do."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.exceptions import ClientError


def waits(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {}


def send(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        boto3.client("stepfunctions").send_task_success(taskToken=event["token"], output=json.dumps({"ok": True}))
    except ClientError as error:
        return {"sent": error.response["Error"]["Code"]}
    return {"sent": "allowed"}
