"""A test function: sends to QUEUE_URL, then tries to receive from it; says what its role let it do."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="hello")
    try:
        sqs.receive_message(QueueUrl=os.environ["QUEUE_URL"])
    except ClientError as error:
        return {"sent": True, "received": error.response["Error"]["Code"]}
    return {"sent": True, "received": "allowed"}
