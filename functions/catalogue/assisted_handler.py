"""The console-only catalogue function (decision 0007): staff submitting a service for a resident.

Invoked directly by the staff console (an exact `lambda:InvokeFunction` grant; no route integrates it and the web
may not invoke it), with an event API Gateway cannot send:
`{"action": "submit", "service_id", "answers", "channel", "staff", "reason", "correlation_id"}`. It goes through
the one submission path, `catalogue.logic.submit_request(..., channel=, assisted=Assisted(staff, reason))`: the same
validation, reference, outbox event, notifications and tracking as a web request. Answers
`{"status": 201, "body": <the request's public summary>}` or `{"status": 4xx/5xx, "body": {"detail", "errors"}}`.
The reason and the answers are never logged.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from catalogue import logic
from catalogue.settings import assisted_settings
from catalogue.uploads import S3CleanUploads
from shared.errors import BoroughError
from shared.observability import logger, observed


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    configured = assisted_settings()  # a missing or malformed variable fails the first invocation with its name
    correlation_id = str(event.get("correlation_id") or "unknown")[:128]
    logger.set_correlation_id(correlation_id)
    answers = event.get("answers")
    if event.get("action") != "submit" or not isinstance(answers, dict):
        return {"status": 400, "body": {"detail": "Unknown action or malformed submission."}}
    try:
        created = logic.submit_request(
            str(event.get("service_id", "")),
            answers,
            correlation_id=correlation_id,
            channel=str(event.get("channel", "")),
            assisted=logic.Assisted(staff=str(event.get("staff", "")), reason=str(event.get("reason", ""))),
            uploads=S3CleanUploads(configured.uploads_bucket_parameter),
        )
    except BoroughError as error:
        return {"status": error.status, "body": {"detail": error.detail, "errors": error.errors}}
    logger.info("Assisted submission", extra={"reference": created["reference"], "channel": event.get("channel")})
    return {"status": 201, "body": created}
