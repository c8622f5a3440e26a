"""The web's way to the permit applications function: invoked directly by name, as the payments function is (it is
not on the HTTP API). See docs/permits.md for each action's answers.

`offers()` every zone's permit types and prices; `zone_of(address)` the zone of an address the lookup found (422
`AddressOutsideZones` outside every zone); `check_vrm(text)` a mark normalised, or 400 with why; `apply(application)`
the application made (201), or 400, 422 (a refusal; `declare: true` when DVLA is down) or 503, nothing stored;
`get(reference)` the application as it is now; `renewal(reference)` its permit's renewal pre-filled (404, 409 why not);
`manage(token)` the application a signed manage link names (404 for a bad or expired link), `change_vehicle` and
`cancel` by its reference (permits/manage_links.py, permits.changes), `move_quote` and `move` into another zone by its
reference and the new address as the lookup found it (permits.moving); `visitors(token)` the household's visitor
wallet (balance and sessions), `start_visitor_session` and `cancel_visitor_session` by the same link (the wallet
actions with `token`: permits/manage_wallet.py); `carer(token)` a carer permit and its running session,
`start_carer_session` and `end_carer_session` by the same link (permits/carer_handler.py). Each as an `ApiResult`.
Unit tests use a fake with this shape.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from web.api import ApiResult


class PermitsApi(Protocol):
    def offers(self, *, correlation_id: str) -> ApiResult: ...

    def zone_of(self, address: dict[str, str], *, correlation_id: str) -> ApiResult: ...

    def check_vrm(self, vrm: str, *, correlation_id: str) -> ApiResult: ...

    def apply(self, application: dict[str, Any], *, correlation_id: str) -> ApiResult: ...

    def get(self, reference: str, *, correlation_id: str) -> ApiResult: ...

    def renewal(self, reference: str, *, correlation_id: str) -> ApiResult: ...

    def manage(self, token: str, *, correlation_id: str) -> ApiResult: ...

    def change_vehicle(
        self, reference: str, vrm: str, *, correlation_id: str, declared_vehicle: dict[str, Any] | None = None
    ) -> ApiResult: ...

    def cancel(self, reference: str, *, correlation_id: str) -> ApiResult: ...

    def move_quote(self, reference: str, address: dict[str, str], *, correlation_id: str) -> ApiResult: ...

    def move(self, reference: str, address: dict[str, str], *, correlation_id: str) -> ApiResult: ...

    def visitors(self, token: str, *, correlation_id: str) -> ApiResult: ...

    def start_visitor_session(self, token: str, fields: dict[str, Any], *, correlation_id: str) -> ApiResult: ...

    def cancel_visitor_session(self, token: str, session_id: str, *, correlation_id: str) -> ApiResult: ...

    def carer(self, token: str, *, correlation_id: str) -> ApiResult: ...

    def start_carer_session(self, token: str, fields: dict[str, Any], *, correlation_id: str) -> ApiResult: ...

    def end_carer_session(self, token: str, session_id: str, *, correlation_id: str) -> ApiResult: ...


class LambdaPermits:
    def __init__(self, function_name: str) -> None:
        self._function = function_name

    def offers(self, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "offers", "correlation_id": correlation_id})

    def zone_of(self, address: dict[str, str], *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "offers", "address": address, "correlation_id": correlation_id})

    def check_vrm(self, vrm: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "check-vrm", "vrm": vrm, "correlation_id": correlation_id})

    def apply(self, application: dict[str, Any], *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "apply", "application": application, "correlation_id": correlation_id})

    def get(self, reference: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "get", "reference": reference, "correlation_id": correlation_id})

    def renewal(self, reference: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "renewal", "reference": reference, "correlation_id": correlation_id})

    def manage(self, token: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "manage", "token": token, "correlation_id": correlation_id})

    def change_vehicle(
        self, reference: str, vrm: str, *, correlation_id: str, declared_vehicle: dict[str, Any] | None = None
    ) -> ApiResult:
        payload: dict[str, Any] = {"action": "change-vehicle", "reference": reference, "vrm": vrm,
                                   "correlation_id": correlation_id}  # fmt: skip
        if declared_vehicle:  # DVLA was down: the details the resident declared (permits.changes)
            payload["declared_vehicle"] = declared_vehicle
        return self._invoke(payload)

    def cancel(self, reference: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "cancel", "reference": reference, "correlation_id": correlation_id})

    def move_quote(self, reference: str, address: dict[str, str], *, correlation_id: str) -> ApiResult:
        return self._move("move-quote", reference, address, correlation_id)

    def move(self, reference: str, address: dict[str, str], *, correlation_id: str) -> ApiResult:
        return self._move("move", reference, address, correlation_id)

    def _move(self, action: str, reference: str, address: dict[str, str], correlation_id: str) -> ApiResult:
        payload = {"action": action, "reference": reference, "address": address, "correlation_id": correlation_id}
        return self._invoke(payload)

    def visitors(self, token: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "visitor-balance", "token": token, "correlation_id": correlation_id})

    def start_visitor_session(self, token: str, fields: dict[str, Any], *, correlation_id: str) -> ApiResult:
        payload = {**fields, "action": "start-visitor-session", "token": token, "correlation_id": correlation_id}
        return self._invoke(payload)

    def cancel_visitor_session(self, token: str, session_id: str, *, correlation_id: str) -> ApiResult:
        payload = {"action": "cancel-visitor-session", "token": token, "session_id": session_id,
                   "correlation_id": correlation_id}  # fmt: skip
        return self._invoke(payload)

    def carer(self, token: str, *, correlation_id: str) -> ApiResult:
        return self._invoke({"action": "carer-permit", "token": token, "correlation_id": correlation_id})

    def start_carer_session(self, token: str, fields: dict[str, Any], *, correlation_id: str) -> ApiResult:
        payload = {**fields, "action": "start-carer-session", "token": token, "correlation_id": correlation_id}
        return self._invoke(payload)

    def end_carer_session(self, token: str, session_id: str, *, correlation_id: str) -> ApiResult:
        payload = {"action": "end-carer-session", "token": token, "session_id": session_id,
                   "correlation_id": correlation_id}  # fmt: skip
        return self._invoke(payload)

    def _invoke(self, payload: dict[str, Any]) -> ApiResult:
        from botocore.exceptions import BotoCoreError, ClientError

        from shared import aws

        try:
            response = aws.client("lambda").invoke(FunctionName=self._function, Payload=json.dumps(payload).encode())
            answer = json.loads(response["Payload"].read() or b"{}")
        except (BotoCoreError, ClientError, ValueError) as error:
            return ApiResult(status=502, body={"detail": type(error).__name__})
        if response.get("FunctionError") or not isinstance(answer, dict) or "status" not in answer:
            return ApiResult(status=502, body={"detail": "No response"})
        body = answer.get("body")
        return ApiResult(status=int(answer["status"]), body=body if isinstance(body, dict) else {})
