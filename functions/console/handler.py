"""The staff console (HTML under /staff). Thin: refuse what did not come through CloudFront, then the resolver."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from console import app, session
from console.audit import AuditLog
from console.kpi_counters import KpiCounters
from console.kpi_pages import KpiPages
from console.oauth import CognitoLogin
from console.pages import Pages
from console.queue import CaseQueue
from console.settings import settings, signing_key
from console.tokens import TokenVerifier, published_keys
from console.views import Views
from shared import origin_verify
from shared.observability import correlation_id_from_http, logger, observed


@cache
def resolver() -> APIGatewayHttpResolver:
    configured = settings()
    base = configured.public_base_url.rstrip("/")
    guard = app.Guard(
        TokenVerifier(
            configured.staff_issuer, configured.staff_client_id, lambda: published_keys(configured.staff_jwks_url)
        ),
        CognitoLogin(
            configured.staff_auth_base_url.rstrip("/"),
            configured.staff_client_id,
            redirect_uri=f"{base}/staff/callback",
            logout_uri=f"{base}/staff/signed-out",
        ),
        session.Signer(signing_key()),
    )
    pages = Pages(
        guard,
        CaseQueue(configured.requests_table),
        AuditLog(configured.audit_table, retention_days=configured.audit_retention_days),
        council=configured.borough_council_name,
        stylesheet=configured.stylesheet,
    )
    return app.build(guard, Views(pages, KpiPages(pages, KpiCounters(configured.kpis_table))), pages.refused)


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not origin_verify.is_from_origin(event):
        logger.warning("Refused: no valid origin-verify header (not through CloudFront)")
        return {"statusCode": 403, "headers": {"content-type": "text/plain"}, "body": "Forbidden\n"}
    logger.set_correlation_id(correlation_id_from_http(event))
    result: dict[str, Any] = resolver().resolve(event, context)
    return result
