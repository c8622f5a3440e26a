"""Catalogue API: the council's services, and residents' submissions to them. Thin: parse, call logic, shape."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from catalogue import logic
from catalogue.settings import settings
from shared import aws
from shared.api import http_handler, json_response, make_resolver, read_json_object
from shared.errors import BadRequest, Conflict, ValidationFailed
from shared.observability import logger, metrics

IDEMPOTENCY_HEADER = "idempotency-key"
IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60  # a resident retrying the same submission within a day gets one request

app = make_resolver(settings)


@app.get("/api/v1/services")
def list_services() -> dict[str, Any]:
    return {"services": logic.list_services(), "topics": logic.list_topics()}


@app.get("/api/v1/services/<service_id>")
def get_service(service_id: str) -> dict[str, Any]:
    return logic.get_service(service_id).public()


@cache
def _idempotent_submit() -> Any:
    """Built on first use: the table name comes from the function's settings, and Powertools idempotency
    imports boto3 (about 100 ms), which only submissions that carry an Idempotency-Key need."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    # The key is the service and the caller's Idempotency-Key; the same key with other answers is refused.
    config = IdempotencyConfig(
        event_key_jmespath="[service_id, key]",
        payload_validation_jmespath="answers",
        expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
    )
    # Its DynamoDB client is ours: timeouts and retries that fit the function's timeout (shared/aws.py).
    persistence = DynamoDBPersistenceLayer(table_name=settings().idempotency_table, boto3_client=aws.client("dynamodb"))

    @idempotent_function(data_keyword_argument="submission", persistence_store=persistence, config=config)
    def submit(submission: dict[str, Any]) -> dict[str, Any]:
        return logic.submit_request(
            submission["service_id"], submission["answers"], correlation_id=submission["correlation_id"]
        )

    submit.config = config
    return submit


@app.post("/api/v1/services/<service_id>/requests")
def submit_request(service_id: str) -> Response[str]:
    body = read_json_object(app)
    correlation_id = logger.get_correlation_id() or "unknown"
    key = app.current_event.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        created = logic.submit_request(service_id, body, correlation_id=correlation_id)
    else:
        if not 8 <= len(key) <= 128:
            raise BadRequest("The Idempotency-Key header must be 8 to 128 characters long.")
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        submission = {"service_id": service_id, "key": key, "answers": body, "correlation_id": correlation_id}
        submit = _idempotent_submit()
        submit.config.register_lambda_context(app.lambda_context)
        try:
            created = submit(submission=submission)
        except IdempotencyValidationError as error:
            raise ValidationFailed("This Idempotency-Key was already used for a different request.") from error
        except IdempotencyAlreadyInProgressError as error:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed. Try again shortly."
            ) from error
    metrics.add_metric(name="RequestsSubmitted", unit=MetricUnit.Count, value=1)
    return json_response(201, created, headers={"Location": created["links"]["self"]})


handler = http_handler(app, settings)
