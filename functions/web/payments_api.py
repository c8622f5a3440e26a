"""The web's way to the payments service: its function, invoked directly (it is not on the HTTP API).

`start(reference)` answers the attempt to pay through (Pay's `next_url` while its card page is unopened);
`on_return(token)` the attempt's state as Pay has it now; `progress(reference)` where the latest attempt stands,
creating nothing (while a create Pay rate-limited waits on the payments service's queue). Each as an `ApiResult`
(status, body). Unit tests use a fake with this shape.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from web.api import ApiResult


class PaymentsApi(Protocol):
    def start(self, reference: str, *, correlation_id: str) -> ApiResult: ...

    def on_return(self, token: str, *, correlation_id: str) -> ApiResult: ...

    def progress(self, reference: str, *, correlation_id: str) -> ApiResult: ...


class LambdaPayments:
    def __init__(self, function_name: str) -> None:
        self._function = function_name

    def start(self, reference: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "start", "reference": reference, "correlation_id": correlation_id})

    def on_return(self, token: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "return", "token": token, "correlation_id": correlation_id})

    def progress(self, reference: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "progress", "reference": reference, "correlation_id": correlation_id})

    def _invoke(self, payload: dict[str, Any]) -> ApiResult:
        from shared import aws

        response = aws.client("lambda").invoke(FunctionName=self._function, Payload=json.dumps(payload).encode())
        answer = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError") or "status" not in answer:
            return ApiResult(status=502, body={"detail": str(answer.get("errorMessage", "No response"))})
        body = answer.get("body")
        return ApiResult(status=int(answer["status"]), body=body if isinstance(body, dict) else {})
