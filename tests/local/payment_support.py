"""Helpers for the local payments tests: invoking a deployed function as the web does, and requests awaiting
payment as the catalogue stores them on "Accept and send" (bulky waste, £25)."""

from __future__ import annotations

import json
from typing import Any

from local.moto_session import LOCK


def invoke(local_cloud, function: str, payload: dict[str, Any]) -> dict[str, Any]:
    with LOCK:
        response = local_cloud.client("lambda").invoke(FunctionName=function, Payload=json.dumps(payload).encode())
        answer: dict[str, Any] = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, answer
    return answer


def function_named_by_handler(local_cloud, handler: str) -> str:
    [function] = [
        f.physical_id
        for f in local_cloud.inventory.of_type("AWS::Lambda::Function")
        if f.properties.get("Handler") == handler
    ]
    return str(function)


def put_awaiting_requests(local_cloud, references: list[str]) -> None:
    table = local_cloud.physical_id("Borough-dev-Data/Requests")
    with LOCK:
        dynamodb = local_cloud.client("dynamodb")
        for reference in references:
            dynamodb.put_item(
                TableName=table,
                Item={
                    "reference": {"S": reference},
                    "service_id": {"S": "bulky-waste"},
                    "service_title": {"S": "Book a bulky waste collection"},
                    "status": {"S": "awaiting-payment"},
                    "amount_due_pence": {"N": "2500"},
                    "history": {"L": []},
                    "expires_at": {"N": "2000000000"},
                },
            )
