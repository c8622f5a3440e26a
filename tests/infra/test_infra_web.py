"""The resident web stack: CloudFront behaviours and headers, buckets, malware scanning, drafts, exact grants."""

from __future__ import annotations

import json

import pytest

from stacks.constructs.web_assets import ASSET_MAX_AGE
from stacks.routes import WEB_ROUTES

pytestmark = pytest.mark.infra


def _one(synth, type_):
    (resource,) = [r for r in synth.resources(type_) if r.stack == synth.stack("Web")]
    return resource


def _web_function(synth, handler="web.handler.handler"):
    return next(f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == handler)


def test_cloudfront_sends_pages_and_api_to_the_http_api_and_assets_to_s3_over_https(synth):
    config = _one(synth, "AWS::CloudFront::Distribution").props["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    default = config["DefaultCacheBehavior"]
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(behaviours) == {"/api/*", "/assets/*", "/map-tiles/*"}  # map tiles: test_infra_map_tiles.py
    api_origin = origins[default["TargetOriginId"]]
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert behaviours["/api/*"]["TargetOriginId"] == default["TargetOriginId"]
    assets_origin = origins[behaviours["/assets/*"]["TargetOriginId"]]
    assert "S3OriginConfig" in assets_origin
    assert assets_origin.get("OriginAccessControlId")
    for behaviour in (default, *behaviours.values()):
        assert behaviour["ViewerProtocolPolicy"] == "https-only"
        assert behaviour.get("ResponseHeadersPolicyId")
    assert len(default["AllowedMethods"]) == 7  # forms post through CloudFront
    assert behaviours["/assets/*"]["AllowedMethods"] == ["GET", "HEAD"]


def test_assets_are_cached_for_a_year_and_pages_not_at_all(synth):
    (distribution,) = [r for r in synth.resources("AWS::CloudFront::Distribution") if r.stack == synth.stack("Web")]
    config = distribution.props["DistributionConfig"]
    assets = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == "/assets/*")
    policy = synth.get(synth.refers_to(distribution.stack, assets["CachePolicyId"])).props["CachePolicyConfig"]
    assert policy["DefaultTTL"] == policy["MaxTTL"] == int(ASSET_MAX_AGE.to_seconds())
    deployment = next(r for r in synth.resources("Custom::CDKBucketDeployment") if r.stack == synth.stack("Web"))
    assert deployment.props["SystemMetadata"]["cache-control"] == "public, max-age=31536000, immutable"
    assert deployment.props["DestinationBucketKeyPrefix"] == "assets/"


def test_every_response_gets_security_headers(synth):
    config = _one(synth, "AWS::CloudFront::ResponseHeadersPolicy").props["ResponseHeadersPolicyConfig"]
    headers = config["SecurityHeadersConfig"]
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "script-src 'self'" in json.dumps(csp)
    assert "frame-ancestors 'none'" in json.dumps(csp)
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True


def test_every_web_bucket_is_private_encrypted_ssl_only_and_expires_what_it_should(synth):
    buckets = [b for b in synth.resources("AWS::S3::Bucket") if b.stack == synth.stack("Web")]
    assert len(buckets) == 4  # access logs, quarantine, uploads, assets
    policies = [p for p in synth.resources("AWS::S3::BucketPolicy") if p.stack == synth.stack("Web")]
    for bucket in buckets:
        props = bucket.props
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, bucket.id
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], bucket.id
        policy = next(p for p in policies if synth.refers_to(p.stack, p.props["Bucket"]) == bucket.id)
        denies_plain_http = [
            s
            for s in policy.props["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert denies_plain_http, bucket.id
    quarantine = _quarantine(synth)
    rules = quarantine.props["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == 1 for r in rules)


def _quarantine(synth):
    plan = _one(synth, "AWS::GuardDuty::MalwareProtectionPlan")
    name = plan.props["ProtectedResource"]["S3Bucket"]["BucketName"]
    return synth.get(synth.refers_to(plan.stack, name))


def test_guardduty_scans_the_quarantine_bucket_and_tags_the_result(synth):
    plan = _one(synth, "AWS::GuardDuty::MalwareProtectionPlan")
    assert plan.props["Actions"]["Tagging"]["Status"] == "ENABLED"
    quarantine = _quarantine(synth)
    web = _web_function(synth)
    assert synth.refers_to(web.stack, web.props["Environment"]["Variables"]["QUARANTINE_BUCKET"]) == quarantine.id
    role = synth.get(synth.refers_to(plan.stack, plan.props["Role"]))
    assert role.props["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == (
        "malware-protection-plan.guardduty.amazonaws.com"
    )


def test_the_drafts_table_expires_drafts_and_indexes_reminders_by_day(synth):
    web = _web_function(synth)
    drafts = synth.get(synth.refers_to(web.stack, web.props["Environment"]["Variables"]["DRAFTS_TABLE"]))
    assert drafts.props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert drafts.props["SSESpecification"]["SSEEnabled"] is True
    (index,) = drafts.props["GlobalSecondaryIndexes"]
    assert index["KeySchema"][0]["AttributeName"] == "remind_on"
    assert {"reminds", "days_left", "draft_expires_at"} <= set(index["Projection"]["NonKeyAttributes"])


def test_the_web_may_invoke_exactly_the_catalogue_cases_subscriptions_payments_renewal_links_and_permit_functions(
    synth,
):
    web = _web_function(synth)
    variables = web.props["Environment"]["Variables"]
    wanted = {synth.refers_to(web.stack, variables[name]) for name in ("CATALOGUE_FUNCTION", "CASES_FUNCTION")}
    # The subscriptions, payments, renewal links and permit applications functions (stacks that depend on this one)
    # by name: no cycle.
    names = []
    for variable, handler, suffix in (
        ("SUBSCRIPTIONS_FUNCTION", "notifications.subscriptions.handler", "ReminderSubscriptions"),
        ("PAYMENTS_FUNCTION", "payments.handler.handler", "Payments"),
        ("RENEWALS_FUNCTION", "renewals.links.handler", "RenewalLinks"),
        ("PERMITS_FUNCTION", "permits.application_handler.handler", "PermitApplications"),
    ):
        name = variables[variable]
        (named,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == handler]
        assert named.props["FunctionName"] == name == f"Borough-{synth.environment}-{suffix}"
        names.append(name)
    statements = [s for s in synth.role_statements(web) if "lambda:InvokeFunction" in json.dumps(s["Action"])]
    (statement,) = statements
    assert statement["Action"] == "lambda:InvokeFunction"
    by_reference = [r for r in statement["Resource"] if synth.refers_to(web.stack, r) is not None]
    assert {synth.refers_to(web.stack, r) for r in by_reference} == wanted
    by_name = [r["Fn::Join"][1] for r in statement["Resource"] if r not in by_reference]
    assert all(parts[0] == "arn:" for parts in by_name)
    assert sorted(parts[-1] for parts in by_name) == sorted(f":function:{name}" for name in names)
    for parts in by_name:
        assert {"Ref": "AWS::Region"} in parts
        assert {"Ref": "AWS::AccountId"} in parts


def test_the_web_routes_are_public_and_the_api_routes_stay_more_specific(synth):
    routes = {r.props["RouteKey"]: r for r in synth.resources("AWS::ApiGatewayV2::Route")}
    for key in WEB_ROUTES:
        assert routes[key].props.get("AuthorizationType", "NONE") == "NONE"
    assert "ANY /api/v1/{proxy+}" in routes


def test_reminders_run_daily(synth):
    rule = _one(synth, "AWS::Events::Rule")
    assert rule.props["ScheduleExpression"].startswith("cron(0 9 ")
    reminders = _web_function(synth, "web.reminders.handler")
    (target,) = rule.props["Targets"]
    assert synth.refers_to(rule.stack, target["Arn"]) == reminders.id
