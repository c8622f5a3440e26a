"""Cases API: public status of a request, and staff status changes (behind the API's Cognito JWT authorizer)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from cases import logic
from cases.settings import settings
from shared.api import http_handler, make_resolver, read_json_object
from shared.errors import Unauthorized
from shared.observability import logger, metrics

app = make_resolver(settings)


@app.get("/api/v1/requests/<reference>")
def get_request(reference: str) -> dict[str, Any]:
    return logic.public_status(reference)


@app.patch("/api/v1/requests/<reference>")
def change_status(reference: str) -> dict[str, Any]:
    authorizer = app.current_event.request_context.authorizer
    claims = dict(authorizer.jwt_claim or {}) if authorizer else {}
    if not claims:  # the API's authorizer guarantees a token; refuse if this is reached without one
        raise Unauthorized("Sign in as a member of staff to change a request.")
    change = logic.StatusChange.from_body(read_json_object(app))
    updated = logic.change_status(
        reference, change, claims=claims, correlation_id=logger.get_correlation_id() or "unknown"
    )
    metrics.add_metric(name="StatusChanges", unit=MetricUnit.Count, value=1)
    return updated


handler = http_handler(app, settings)
