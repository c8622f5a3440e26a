"""AWS WAF in front of CloudFront: the web ACL in us-east-1, its rules and limits, and the distribution using it."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from stacks.waf_stack import (
    NOTIFY_RECEIPTS_LIMIT,
    POST_LIMIT,
    RATE_WINDOW_SECONDS,
    REQUEST_LIMIT,
    STATUS_LOOKUP_LIMIT,
)

pytestmark = pytest.mark.infra

MANAGED_GROUPS = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
}


def _acl(synth):
    (acl,) = synth.resources("AWS::WAFv2::WebACL")
    return acl


def _rules(synth):
    return {rule["Name"]: rule for rule in _acl(synth).props["Rules"]}


def _distribution(synth):
    (distribution,) = synth.resources("AWS::CloudFront::Distribution")
    return distribution


def test_the_web_acl_is_for_cloudfront_in_us_east_1_and_allows_by_default(synth):
    acl = _acl(synth)
    assert acl.stack == synth.stack("Waf")
    assert synth.region(acl.stack) == "us-east-1"
    assert acl.props["Scope"] == "CLOUDFRONT"
    assert acl.props["DefaultAction"] == {"Allow": {}}
    # Every other stack stays in the council's home region.
    assert {synth.region(name) for name in synth.templates if name != acl.stack} == {"eu-west-2"}


def test_the_distribution_uses_the_web_acl_through_a_cross_region_reference(synth):
    distribution = _distribution(synth)
    assert distribution.stack == synth.stack("Web")
    web_acl_id = distribution.props["DistributionConfig"]["WebACLId"]
    reader, parameter = web_acl_id["Fn::GetAtt"]  # the reader's attribute is the SSM parameter's name
    reader_props = synth.get(replace(distribution.id, logical_id=reader)).props["ReaderProps"]
    assert reader_props["region"] == synth.region(distribution.stack)
    assert parameter in reader_props["imports"]
    (writer,) = synth.resources("Custom::CrossRegionExportWriter")
    assert writer.stack == synth.stack("Waf")
    assert writer.props["WriterProps"]["region"] == synth.region(distribution.stack)
    exported = writer.props["WriterProps"]["exports"][parameter]
    assert exported == {"Fn::GetAtt": [_acl(synth).logical_id, "Arn"]}  # WAFv2 wants the ARN, not the id


def test_aws_managed_rule_groups_apply_with_their_own_actions_except_the_8_kb_body_limit(synth):
    rules = _rules(synth)
    managed = {name: rule for name, rule in rules.items() if "ManagedRuleGroupStatement" in rule["Statement"]}
    assert set(managed) == MANAGED_GROUPS
    for name, rule in managed.items():
        statement = rule["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", name)
        assert rule["OverrideAction"] == {"None": {}}
    # Forms post up to 64 KB (the web function enforces that); the common set would block bodies over 8 KB.
    common = managed["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    for name in MANAGED_GROUPS - {"AWSManagedRulesCommonRuleSet"}:
        assert not managed[name]["Statement"]["ManagedRuleGroupStatement"].get("RuleActionOverrides")


def test_rate_rules_block_one_address_over_its_limits_in_5_minutes(synth):
    rates = {
        name: rule["Statement"]["RateBasedStatement"] | {"Action": rule["Action"]}
        for name, rule in _rules(synth).items()
        if "RateBasedStatement" in rule["Statement"]
    }
    assert {name: rate["Limit"] for name, rate in rates.items()} == {
        "PostsPerAddress": POST_LIMIT,
        "RequestsPerAddress": REQUEST_LIMIT,
        "StatusLookupsPerAddress": STATUS_LOOKUP_LIMIT,
        "NotifyReceiptsPerAddress": NOTIFY_RECEIPTS_LIMIT,
    }
    assert (POST_LIMIT, REQUEST_LIMIT) == (300, 3000)
    for rate in rates.values():
        assert rate["AggregateKeyType"] == "IP"
        assert rate["EvaluationWindowSec"] == RATE_WINDOW_SECONDS == 300
        assert rate["Action"] == {"Block": {}}
    every = rates["RequestsPerAddress"]["ScopeDownStatement"]["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert every["SearchString"] == "/api/v1/notifications/receipts"  # receipts come in bursts from Notify
    posts = rates["PostsPerAddress"]["ScopeDownStatement"]["AndStatement"]["Statements"]
    method = posts[0]["ByteMatchStatement"]
    assert (method["FieldToMatch"], method["SearchString"]) == ({"Method": {}}, "POST")
    excluded = posts[1]["NotStatement"]["Statement"]["ByteMatchStatement"]
    assert excluded["SearchString"] == "/api/v1/notifications/receipts"  # Notify's receipts: their own token


def test_status_lookups_have_their_own_limit_far_below_pages(synth):
    """References must not be guessable at scale: the API's status route and the web's tracking page, counted
    together, allow one address a thirtieth of what it may ask for pages."""
    rule = _rules(synth)["StatusLookupsPerAddress"]
    rate = rule["Statement"]["RateBasedStatement"]
    assert rule["Action"] == {"Block": {}}
    assert (rate["Limit"], rate["AggregateKeyType"]) == (STATUS_LOOKUP_LIMIT, "IP")
    assert rate["Limit"] * 30 <= REQUEST_LIMIT
    method, paths = rate["ScopeDownStatement"]["AndStatement"]["Statements"]
    assert (method["ByteMatchStatement"]["FieldToMatch"], method["ByteMatchStatement"]["SearchString"]) == (
        {"Method": {}},
        "GET",
    )
    matches = [statement["ByteMatchStatement"] for statement in paths["OrStatement"]["Statements"]]
    assert {m["SearchString"] for m in matches} == {"/api/v1/requests/", "/track"}
    for match in matches:
        assert match["FieldToMatch"] == {"UriPath": {}}
        assert match["PositionalConstraint"] == "STARTS_WITH"
        # A path spelled in capitals or percent-encoded is still counted.
        assert {t["Type"] for t in match["TextTransformations"]} == {"URL_DECODE", "LOWERCASE"}


def test_notifys_receipts_have_their_own_rate_rule_not_an_exemption_from_every_limit(synth):
    rule = _rules(synth)["NotifyReceiptsPerAddress"]
    rate = rule["Statement"]["RateBasedStatement"]
    matched = rate["ScopeDownStatement"]["ByteMatchStatement"]
    assert (matched["FieldToMatch"], matched["PositionalConstraint"]) == ({"UriPath": {}}, "EXACTLY")
    assert matched["SearchString"] == "/api/v1/notifications/receipts"
    assert (rate["AggregateKeyType"], rate["EvaluationWindowSec"], rule["Action"]) == ("IP", 300, {"Block": {}})
    # Room for Notify's fastest sending (3,000 messages a minute, one receipt each) over the window, no more.
    notify_receipts_per_window = 3000 * RATE_WINDOW_SECONDS // 60
    assert notify_receipts_per_window < NOTIFY_RECEIPTS_LIMIT <= 2 * notify_receipts_per_window


def test_every_rule_has_a_unique_priority_metrics_and_sampled_requests(synth):
    acl = _acl(synth).props
    rules = acl["Rules"]
    assert sorted(rule["Priority"] for rule in rules) == list(range(len(rules)))
    metric_names = set()
    for visibility in [acl["VisibilityConfig"], *(rule["VisibilityConfig"] for rule in rules)]:
        assert visibility["CloudWatchMetricsEnabled"] is True
        assert visibility["SampledRequestsEnabled"] is True
        metric_names.add(visibility["MetricName"])
    assert len(metric_names) == len(rules) + 1


def _render(value):
    """A string or an Fn::Join of strings and pseudo parameters, with `<AccountId>`-style placeholders."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "<" + value["Ref"].removeprefix("AWS::") + ">"
    delimiter, parts = value["Fn::Join"]
    return delimiter.join(_render(part) for part in parts)


def test_only_blocked_and_counted_requests_are_logged_redacted_with_retention(synth):
    (logging,) = synth.resources("AWS::WAFv2::LoggingConfiguration")
    props = logging.props
    assert synth.refers_to(logging.stack, props["ResourceArn"]) == _acl(synth).id
    (group,) = [g for g in synth.resources("AWS::Logs::LogGroup") if g.stack == logging.stack]
    name = group.props["LogGroupName"]
    assert name == f"aws-waf-logs-borough-{synth.environment}"  # WAF only logs to groups named aws-waf-logs-*
    # The group's ARN without the `:*` that CloudFormation's Arn attribute carries (WAF rejects that form).
    assert [_render(d) for d in props["LogDestinationConfigs"]] == [
        f"arn:<Partition>:logs:us-east-1:<AccountId>:log-group:{name}"
    ]
    assert group.props["RetentionInDays"] == {"dev": 30, "prod": 365}[synth.environment]
    assert props["LoggingFilter"]["DefaultBehavior"] == "DROP"
    (kept,) = props["LoggingFilter"]["Filters"]
    assert kept["Behavior"] == "KEEP"
    assert {c["ActionCondition"]["Action"] for c in kept["Conditions"]} == {"BLOCK", "COUNT"}
    assert {f["SingleHeader"]["Name"] for f in props["RedactedFields"]} == {"cookie", "authorization"}


def test_only_cloudwatch_logs_delivery_for_this_account_writes_to_the_waf_log_group(synth):
    (policy,) = synth.resources("AWS::Logs::ResourcePolicy")
    (statement,) = json.loads(_render(policy.props["PolicyDocument"]))["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    group = f"aws-waf-logs-borough-{synth.environment}"
    assert statement["Resource"] == f"arn:<Partition>:logs:us-east-1:<AccountId>:log-group:{group}:log-stream:*"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "<AccountId>"}


def test_the_cross_region_reference_handlers_reach_only_their_own_parameters(synth):
    """CDK creates these at synth after cdk-nag has run, so their permissions are checked here instead."""
    home = synth.region(synth.stack("Web"))
    resources = {
        "Writer": "arn:aws:ssm:{home}:<account>:parameter/cdk/exports/*",
        "Reader": "arn:aws:ssm:{home}:<account>:parameter/cdk/exports/" + synth.stack("Web") + "/*",
    }
    for kind, expected in resources.items():
        path = f"/Custom::CrossRegionExport{kind}CustomResourceProvider/Role"
        (role,) = [
            body
            for template in synth.templates.values()
            for body in template["Resources"].values()
            if body.get("Metadata", {}).get("aws:cdk:path", "").endswith(path)
        ]
        (policy,) = role["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]:
            assert all(action.startswith("ssm:") for action in statement["Action"])
            resource = statement["Resource"]
            (resource,) = resource if isinstance(resource, list) else [resource]
            parts = resource["Fn::Join"][1]
            rendered = "".join(p if isinstance(p, str) else "<account>" for p in parts)
            assert rendered == expected.format(home=home)
