"""Triage handler: `assign` is the triage state machine's task (an EventBridge Pipe starts the machine)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cases import logic
from cases.settings import triage_settings
from shared.events import EventEnvelope
from shared.observability import logger, observed


@observed
def assign(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    triage_settings()  # the first invocation reads them: a missing or malformed variable fails it with its name
    envelope = EventEnvelope.model_validate(event)
    logger.set_correlation_id(envelope.correlation_id)
    # The pipe names each execution at random: the event's id in every log line leads back to the event.
    logger.append_keys(event_id=envelope.id)
    result = logic.assign(envelope)
    if result.get("waiting_for_payment"):
        logger.info("Triage waits for payment", extra={"reference": result["reference"]})
    else:
        logger.info("Triage assigned", extra={"reference": result["reference"], "team": result["team"]})
    return json.loads(json.dumps(result))
