#!/usr/bin/env python3
"""The Borough CDK app: the single source of truth for what deploys and for what the local cloud runs.

Choose the environment with `-c environment=prod` (default: dev); settings come from cdk.json's context.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.api_stack import ApiStack
from stacks.auth_stack import AuthStack
from stacks.config import load_config
from stacks.console_stack import ConsoleStack
from stacks.data_stack import DataStack
from stacks.events_stack import EventsStack
from stacks.foundation_stack import FoundationStack
from stacks.notifications_stack import NotificationsStack
from stacks.observability_stack import ObservabilityStack
from stacks.payments_stack import PaymentsStack
from stacks.permits_stack import PermitsStack
from stacks.renewals_stack import RenewalsStack
from stacks.waf_stack import WAF_REGION, WafStack
from stacks.web_stack import WebStack
from stacks.workflows_stack import WorkflowsStack

CDK_JSON = Path(__file__).resolve().parent / "cdk.json"


def build_app(app: cdk.App) -> cdk.App:
    """Add every Borough stack to `app` (tests and the local cloud call this too)."""
    # Through the CDK CLI, cdk.json's context (settings and feature flags) arrives in the app already; run
    # directly (`CDK_OUTDIR=cdk.out python app.py`), it is read here. Context must be set before any stack exists.
    for key, value in json.loads(CDK_JSON.read_text())["context"].items():
        if app.node.try_get_context(key) is None:
            app.node.set_context(key, value)
    context = {"environments": app.node.try_get_context("environments")}
    # `-c alarm_email=<address>` gives an environment its alarm address without writing it into cdk.json.
    config = load_config(
        context, app.node.try_get_context("environment"), alarm_email=app.node.try_get_context("alarm_email")
    )
    # Regions are explicit (cross-region references need them at synth); the account is the CLI's, and without
    # credentials (tests, the local cloud) it stays `AWS::AccountId`, resolved by CloudFormation at deploy time.
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    env = cdk.Environment(account=account, region=config.region)
    prefix = config.prefix

    # CloudFront's web ACL lives in us-east-1; the web stack reads its ARN across regions (decision 0003).
    waf = WafStack(app, f"{prefix}-Waf", config=config, env=cdk.Environment(account=account, region=WAF_REGION))

    foundation = FoundationStack(app, f"{prefix}-Foundation", config=config, env=env)
    data = DataStack(app, f"{prefix}-Data", config=config, key=foundation.key, env=env)
    events = EventsStack(app, f"{prefix}-Events", config=config, env=env)
    auth = AuthStack(app, f"{prefix}-Auth", config=config, env=env)
    api = ApiStack(
        app,
        f"{prefix}-Api",
        config=config,
        key=foundation.key,
        layer=foundation.layer,
        requests_table=data.requests,
        idempotency_table=data.idempotency,
        events_topic=events.topic,
        user_pool=auth.user_pool,
        user_pool_client=auth.client,
        env=env,
    )
    web = WebStack(
        app,
        f"{prefix}-Web",
        config=config,
        key=foundation.key,
        layer=foundation.layer,
        http_api=api.http_api,
        catalogue_function=api.catalogue,
        cases_function=api.cases,
        events_topic=events.topic,
        web_acl_arn=waf.web_acl_arn,
        origin_verify_secret=api.origin_verify,
        cross_region_references=True,
        env=env,
    )
    workflows = WorkflowsStack(
        app,
        f"{prefix}-Workflows",
        config=config,
        key=foundation.key,
        layer=foundation.layer,
        requests_table=data.requests,
        events_topic=events.topic,
        triage_queue=events.queues["triage"],
        env=env,
    )
    notifications = NotificationsStack(
        app,
        f"{prefix}-Notifications",
        config=config,
        key=foundation.key,
        layer=foundation.layer,
        notifications_table=data.notifications,
        requests_table=data.requests,
        subscriptions_table=data.subscriptions,
        return_links_function=web.return_links,
        queue=events.queues["notifications"],
        http_api=api.http_api,
        origin_verify_secret=api.origin_verify,
        # Links in messages: the council's domain if configured, else CloudFront's (web -> notifications only).
        public_base_url=config.public_base_url or f"https://{web.distribution.distribution_domain_name}",
        notify_provider=config.notify_provider,
        env=env,
    )
    # The console's callback and Pay's return: the council's domain if configured, else CloudFront's.
    public_base_url = config.public_base_url or f"https://{web.distribution.distribution_domain_name}"
    payments = PaymentsStack(
        app,
        f"{prefix}-Payments",
        config=config,
        key=foundation.key,
        layer=foundation.layer,
        requests_table=data.requests,
        events_topic=events.topic,
        http_api=api.http_api,
        staff_authorizer=api.staff_authorizer,  # the staff refund API's route
        origin_verify_secret=api.origin_verify,
        public_base_url=public_base_url,  # Pay sends residents back to the web
        env=env,
    )
    renewals = RenewalsStack(
        app,
        f"{prefix}-Renewals",
        config=config,
        key=foundation.key,
        layer=foundation.layer,
        queue=events.queues["renewals"],
        events_topic=events.topic,
        requests_table=data.requests,
        env=env,
    )
    console = ConsoleStack(
        app,
        f"{prefix}-Console",
        config=config,
        key=foundation.key,
        layer=foundation.layer,
        http_api=api.http_api,
        requests_table=data.requests,
        assisted_function=api.assisted_catalogue,
        moto_function=payments.moto,  # fees by phone: the console is created after payments for its name
        kpi_queue=events.queues["kpis"],
        uploads_bucket=web.clean,  # the residents' scanned-clean files, which staff download from the case page
        user_pool=auth.user_pool,
        origin_verify_secret=api.origin_verify,
        public_base_url=public_base_url,
        env=env,
    )
    permits = PermitsStack(
        app,
        f"{prefix}-Permits",
        config=config,
        key=foundation.key,
        layer=foundation.layer,
        http_api=api.http_api,
        origin_verify_secret=api.origin_verify,
        payments_function=payments.payments,
        order_refunds_function=payments.order_refunds,
        queue=events.queues["permits"],
        events_topic=events.topic,
        env=env,
    )
    ObservabilityStack(
        app,
        f"{prefix}-Observability",
        config=config,
        functions={
            "Catalogue": api.catalogue,
            "AssistedCatalogue": api.assisted_catalogue,
            "Cases": api.cases,
            "Console": console.function,
            "KpiCounters": console.kpi_counters,
            "OutboxPublisher": api.outbox.function,
            "Web": web.function,
            "WebDraftReminders": web.reminders,
            "WebReturnLinks": web.return_links,
            "TriageAssign": workflows.assign,
            "NotificationsConsumer": notifications.consumer,
            "NotifyReceipts": notifications.receipts,
            "ReminderSubscriptions": notifications.subscriptions,
            "DailyBinReminders": notifications.reminders,
            "Payments": payments.payments,
            "PaymentWebhooks": payments.receiver,
            "PaymentWebhookWorker": payments.worker,
            "PaymentsReconciler": payments.reconciler,
            "StaffPayments": payments.staff,
            "StaffRefundsApi": payments.staff_api,
            "OrderRefunds": payments.order_refunds,
            "RenewalsConsumer": renewals.consumer,
            "RenewalReminders": renewals.job,
            "RenewalLinks": renewals.links,
            "PaymentCreator": payments.creator,
            "PaymentsComparison": payments.comparison,
            "MotoPayments": payments.moto,
            "PermitCheck": permits.check,
            "PermitFeed": permits.feed,
            "PermitApplications": permits.applications,
            "PermitIssuer": permits.issuer,
            "PermitJourney": permits.journey_function,
            "PermitsOutboxPublisher": permits.outbox.function,
            "PermitSchedule": permits.schedule_job,
            "PermitsStaff": permits.staff,
        },
        dead_letter_queues={
            **events.dead_letter_queues,
            "outbox": api.outbox.dead_letters,
            "permitsoutbox": permits.outbox.dead_letters,
            "payments": payments.dead_letters,
            "paymentcreates": payments.create_dead_letters,
        },
        state_machines={"Triage": workflows.triage, "PermitJourney": permits.journey},
        pipes={"Triage": workflows.pipe},
        http_api=api.http_api,
        env=env,
    )
    cdk.Tags.of(app).add("project", "borough")
    cdk.Tags.of(app).add("environment", config.name)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app


if __name__ == "__main__":
    build_app(cdk.App()).synth()
