"""Resident web pages (HTML). Thin: refuse what did not come through CloudFront, let `pages.Web` resolve the rest."""

from __future__ import annotations

import re
from functools import cache, partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import origin_verify
from shared.observability import correlation_id_from_http, logger, metrics, observed
from shared.publisher import publish
from web.addresses import configured_lookup
from web.api import LambdaApi
from web.drafts import DynamoDraftStore
from web.http import Reply
from web.pages import Ports, Web
from web.payments_api import LambdaPayments
from web.permits_api import LambdaPermits
from web.renewal_pages import LambdaRenewals
from web.settings import settings
from web.uploads import S3Uploads

NOT_THROUGH_CLOUDFRONT = "Forbidden: use the council's website address. This address does not serve pages directly.\n"


@cache
def web() -> Web:
    """Built on the first invocation, from the function's settings (a missing or malformed variable fails it with
    the variable's name: web/settings.py), not at import (tests and the import-time benchmark)."""
    configured = settings()
    ports = Ports(
        drafts=DynamoDraftStore(configured.drafts_table),
        api=LambdaApi(configured.catalogue_function, configured.cases_function, configured.subscriptions_function),
        uploads=S3Uploads(configured.quarantine_bucket, configured.clean_bucket)
        if configured.quarantine_bucket
        else None,
        publish=partial(publish, topic_arn=configured.events_topic_arn),
        # None without an OS Places key's secret: addresses are typed in.
        addresses=configured_lookup(configured.os_places_api_key_secret_id, configured.os_places_base_url),
        payments=LambdaPayments(configured.payments_function) if configured.payments_function else None,
        permits=LambdaPermits(configured.permits_function) if configured.permits_function else None,
    )
    renewals = LambdaRenewals(configured.renewals_function) if configured.renewals_function else None
    return Web(ports, council=configured.borough_council_name, renewals=renewals)


# A path segment that is a bearer value (a manage, return, renewal or Pay-return link): never logged.
_BEARER_PATH = re.compile(r"^(/permits/manage/|/services/[^/]+/(?:return|renew|payment)/)[^/]*")


def loggable_path(path: Any) -> str:
    return _BEARER_PATH.sub(r"\1[link]", str(path or ""))


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
        logger.error("Page failed", extra={"status": result["statusCode"], "path": loggable_path(event.get("rawPath"))})
    return result
