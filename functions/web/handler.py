"""Resident web pages (HTML). Thin: refuse what did not come through CloudFront, let `pages.Web` resolve the rest."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import origin_verify
from shared.observability import correlation_id_from_http, logger, metrics, observed
from shared.publisher import publish
from web.addresses import lookup_from_environment
from web.api import LambdaApi
from web.drafts import DynamoDraftStore
from web.http import Reply
from web.pages import Ports, Web
from web.uploads import S3Uploads

NOT_THROUGH_CLOUDFRONT = "Forbidden: use the council's website address. This address does not serve pages directly.\n"


@cache
def web() -> Web:
    """Built on first use, from the function's environment (not at import: cold start and tests)."""
    ports = Ports(
        drafts=DynamoDraftStore(),
        api=LambdaApi(),
        uploads=S3Uploads() if os.environ.get("QUARANTINE_BUCKET") else None,
        publish=publish,
        addresses=lookup_from_environment(),  # None without OS_PLACES_API_KEY_SECRET_ARN: addresses typed in
    )
    return Web(ports, council=os.environ.get("BOROUGH_COUNCIL_NAME", "Your council"))


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # First of all: only CloudFront may reach the pages (the API's own address would skip the WAF).
    if not origin_verify.is_from_origin(event):
        logger.warning("Refused: no valid origin-verify header (not through CloudFront)")
        return Reply(status=403, body=NOT_THROUGH_CLOUDFRONT, content_type="text/plain; charset=utf-8").to_result()
    logger.set_correlation_id(correlation_id_from_http(event))
    result = web().resolve(event, context)
    metrics.add_metric(name="WebPages", unit=MetricUnit.Count, value=1)
    if int(result["statusCode"]) >= 500:
        logger.error("Page failed", extra={"status": result["statusCode"], "path": event.get("rawPath")})
    return result
