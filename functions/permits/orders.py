"""Orders at payments from the permits functions: `register-order` on the payments function, by name (docs/decisions/
0010): an application's amount, a dearer change of vehicle's difference, or a correction's (permits.corrections)."""

from __future__ import annotations

import json
from collections.abc import Callable

from shared import aws
from shared.observability import logger

Registrar = Callable[[str, str, str, int], None]


class PaymentsUnavailable(Exception):
    """Payments did not take the order: nothing is stored, the resident (or staff) tries again."""


def registering(function_name: str) -> Registrar:
    """A registrar that invokes the named payments function's `register-order`; raises PaymentsUnavailable."""

    def register_order(reference: str, service_id: str, title: str, amount_pence: int) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        payload = {
            "action": "register-order",
            "reference": reference,
            "service_id": service_id,
            "title": title,
            "amount_pence": amount_pence,
            "correlation_id": logger.get_correlation_id() or "",
        }
        try:
            response = aws.client("lambda").invoke(FunctionName=function_name, Payload=json.dumps(payload).encode())
            answer = json.loads(response["Payload"].read())
        except (BotoCoreError, ClientError, ValueError) as error:
            raise PaymentsUnavailable(type(error).__name__) from None
        if response.get("FunctionError") or not isinstance(answer, dict) or answer.get("status") not in (200, 201):
            raise PaymentsUnavailable(str(answer.get("status") if isinstance(answer, dict) else "no answer"))

    return register_order
