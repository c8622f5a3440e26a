"""The staff console (HTML under /staff). Thin: refuse what did not come through CloudFront, then the resolver."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from console import app, session
from console.assisted_pages import AssistedPages, LambdaSubmitter
from console.assisted_payments import LambdaPaymentTaker, PaymentPages
from console.attachments import AttachmentDownloads, AttachmentsPanel, S3CleanStore
from console.audit import AuditLog
from console.bulk_assign import BulkAssign, BulkAssignPages
from console.casework import Casework, CaseworkPanel
from console.finance_pages import FinancePages
from console.kpi_counters import KpiCounters
from console.kpi_pages import KpiPages
from console.oauth import CognitoLogin
from console.pages import Pages
from console.payment_due import PaymentDueReader
from console.payments_panel import LambdaStaffPayments, PaymentsPanel, RefundViews
from console.permit_apply import PermitApplyPages
from console.permit_pages import LambdaStaffPermits, PermitPages
from console.queue import CaseQueue
from console.records import Records
from console.search_index import SearchIndex
from console.settings import settings, signing_key
from console.team_members import TeamMembers
from console.tokens import TokenVerifier, published_keys
from console.views import Views
from shared import origin_verify
from shared.addresses import configured_lookup
from shared.observability import correlation_id_from_http, logger, observed
from shared.requests_repo import RequestsRepository
from shared.search_keys import search_keys


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
    queue = CaseQueue(configured.requests_table)
    members = TeamMembers(configured.staff_user_pool_id)
    audit = AuditLog(configured.audit_table, retention_days=configured.audit_retention_days)
    staff_payments = configured.staff_payments_function
    staff_payments_client = LambdaStaffPayments(staff_payments) if staff_payments else None
    payments = PaymentsPanel(staff_payments_client)
    clean_store = S3CleanStore(configured.uploads_bucket)
    pages = Pages(
        guard,
        queue,
        audit,
        council=configured.borough_council_name,
        stylesheet=configured.stylesheet,
        script=configured.script,
        panels=[CaseworkPanel(members), AttachmentsPanel(clean_store), payments],
        members=members,
        staff_names=members.names,
    )
    requests = RequestsRepository(configured.requests_table)
    casework = Casework(requests, audit, pages.render, members)
    bulk = BulkAssignPages(BulkAssign(requests, audit, members), guard.signer, pages.render)
    refunds = RefundViews(payments, queue, audit, pages.case)
    finance = FinancePages(pages, staff_payments_client)
    records = Records(pages, queue, SearchIndex(configured.requests_table), audit, search_keys)
    assisted = AssistedPages(pages, pages.audit, LambdaSubmitter(configured.assisted_function))
    due = PaymentDueReader(configured.requests_table)
    moto = PaymentPages(pages, pages.audit, LambdaPaymentTaker(configured.moto_function), due)
    kpis = KpiPages(pages, KpiCounters(configured.kpis_table))
    downloads = AttachmentDownloads(queue, audit, clean_store, pages.render)
    permits_function = configured.permits_staff_function
    permits = PermitPages(
        pages,
        audit,
        LambdaStaffPermits(permits_function) if permits_function else None,
        configured_lookup(configured.os_places_api_key_secret_id, configured.os_places_base_url),
        evidence=clean_store,
    )
    applications_function = configured.permit_applications_function
    permit_apply = PermitApplyPages(
        pages,
        audit,
        LambdaStaffPermits(applications_function) if applications_function else None,
        LambdaPaymentTaker(configured.moto_function),
    )
    views = Views(
        pages, casework, bulk, refunds, finance, records, assisted, moto, kpis, downloads, permits, permit_apply
    )
    return app.build(guard, views, pages.refused)


@observed
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if not origin_verify.is_from_origin(event):
        logger.warning("Refused: no valid origin-verify header (not through CloudFront)")
        return {"statusCode": 403, "headers": {"content-type": "text/plain"}, "body": "Forbidden\n"}
    logger.set_correlation_id(correlation_id_from_http(event))
    result: dict[str, Any] = resolver().resolve(event, context)
    return result
