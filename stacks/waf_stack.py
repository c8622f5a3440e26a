"""AWS WAF in front of the resident web's CloudFront distribution (architecture: "CloudFront (+ WAF)").

A web ACL for CloudFront must be created in us-east-1 whatever the council's home region, so this stack is the one
Borough stack there; the web stack reads the ACL's ARN through CDK's cross-region references
(docs/decisions/0003-waf-cross-region.md). Default action: allow. Rules, in order:

1. AWS managed rules, common rule set (OWASP-style: XSS, LFI/RFI, bad bots' missing user agent, oversize parts),
   with its `SizeRestrictions_BODY` rule (bodies over 8 KB) counted, not blocked: the web's forms post up to 64 KB
   (`functions/web/http.py`, MAX_FORM_BYTES), which the web function itself enforces. Files never come through
   CloudFront: browsers post them straight to S3 with a presigned POST.
2. AWS managed rules, known bad inputs (Log4j, Java deserialization, Host header tricks).
3. AWS managed rules, Amazon IP reputation list (sources Amazon's threat intelligence has seen attacking).
4. POSTs per client address: 300 in 5 minutes (see POST_LIMIT); GOV.UK Notify's receipts are not counted.
5. All requests per client address: 3,000 in 5 minutes (see REQUEST_LIMIT); receipts not counted either.
6. Status lookups per client address (`GET /api/v1/requests/*` and the web's `/track` page): 100 in 5 minutes
   (see STATUS_LOOKUP_LIMIT), so references cannot be guessed at scale from one address.
7. GOV.UK Notify's receipts route, per address: 20,000 in 5 minutes (see NOTIFY_RECEIPTS_LIMIT), its own limit
   rather than none: room for Notify's bursts, not for a flood of forged receipts at the function.

These three managed rule groups carry no subscription fee (unlike Bot Control or Fraud Control): the ACL costs
$5 a month, $1 per rule or rule group and $0.60 per million requests (docs/cost-model.md).

Logging: only requests a rule blocked or counted go to CloudWatch Logs (`aws-waf-logs-borough-<env>`, retention
from config), with the `cookie` and `authorization` headers redacted; allowed requests are not logged (the HTTP
API's access logs record those). The log group's resource policy lets only CloudWatch Logs' delivery service, for
this account, write to exactly this group.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Aws, CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.function import log_retention
from stacks.routes import CASES_PUBLIC_ROUTES, NOTIFY_RECEIPTS_ROUTES

WAF_REGION = "us-east-1"  # CloudFront's web ACLs (scope CLOUDFRONT) can only be created here
RATE_WINDOW_SECONDS = 300  # the rate rules count over the last 5 minutes
# A resident's whole journey is 10-30 POSTs (one per question page, check answers, confirm) over several minutes;
# a library's or a council office's PCs share one address. 300 POSTs in 5 minutes is one a second, sustained: no
# person types that fast, a script spamming reports (and e-mails to the addresses it types) does. The API's own
# throttling is shared by everyone, so without this one client could use it up for all.
POST_LIMIT = 300
# Every request from one address (pages, API, assets, map tiles): 3,000 in 5 minutes is 10 a second, sustained,
# room for a busy shared address; a scraper or flood from one address is stopped before it reaches a twentieth of
# production's API throttle (200 a second) and so cannot deny the service to residents.
REQUEST_LIMIT = 3000
# GOV.UK Notify's delivery receipts arrive from a few Notify addresses in bursts (an evening's bin reminders) and
# carry their own bearer token: neither rate limit above counts them; they have a limit of their own. Notify sends
# at most 3,000 messages a minute per service (15,000 in 5 minutes), each with one receipt (a few more for retried
# text messages), and may send them all from one address: 20,000 in 5 minutes lets every one through and stops a
# flood of forged receipts (each a Lambda invocation and a Secrets Manager read) from any one address.
NOTIFY_RECEIPTS_LIMIT = 20_000
NOTIFY_RECEIPTS_PATH = NOTIFY_RECEIPTS_ROUTES[0].split(" ", 1)[1]
# A resident checks their request a few times a day; 100 lookups in 5 minutes from one address is one every 3 s,
# sustained, far below the 3,000 any page may have. One valid reference in about 7,000 is in use (7 random
# characters of 20, ~180,000 requests a year), so one address finds about one request in 6 hours of guessing.
STATUS_LOOKUP_LIMIT = 100
# Both ways to look up a reference: the API's status route, and the web's tracking page (functions/web), which
# asks the same function.
STATUS_LOOKUP_PATHS = (CASES_PUBLIC_ROUTES[0].split(" ", 1)[1].split("{", 1)[0], "/track")
MANAGED_RULE_GROUPS = (
    # (name, rules whose action is overridden to Count: see the module's docstring)
    ("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
    ("AWSManagedRulesKnownBadInputsRuleSet", ()),
    ("AWSManagedRulesAmazonIpReputationList", ()),
)
REDACTED_HEADERS = ("cookie", "authorization")  # session cookies and staff tokens never reach the WAF log


class WafStack(Stack):
    """The web ACL for CloudFront (us-east-1): `web_acl_arn` goes to the distribution's `web_acl_id`."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = config.prefix
        rules = [
            self._managed(name, priority, count_only) for priority, (name, count_only) in enumerate(MANAGED_RULE_GROUPS)
        ]
        # Notify's receipts are left out of both limits and have their own: an evening's bin reminders send
        # thousands from a few Notify addresses, and a blocked receipt loses a message's delivery status.
        receipts = _exactly("uri_path", NOTIFY_RECEIPTS_PATH)
        not_receipts = wafv2.CfnWebACL.StatementProperty(
            not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=receipts)
        )
        posts = wafv2.CfnWebACL.StatementProperty(
            and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=[_exactly("method", "POST"), not_receipts])
        )
        rules.append(self._rate_rule("PostsPerAddress", len(rules), POST_LIMIT, scope_down=posts))
        rules.append(self._rate_rule("RequestsPerAddress", len(rules), REQUEST_LIMIT, scope_down=not_receipts))
        lookups = wafv2.CfnWebACL.StatementProperty(
            and_statement=wafv2.CfnWebACL.AndStatementProperty(
                statements=[
                    _exactly("method", "GET"),
                    wafv2.CfnWebACL.StatementProperty(
                        or_statement=wafv2.CfnWebACL.OrStatementProperty(
                            statements=[_starts_with_path(path) for path in STATUS_LOOKUP_PATHS]
                        )
                    ),
                ]
            )
        )
        rules.append(self._rate_rule("StatusLookupsPerAddress", len(rules), STATUS_LOOKUP_LIMIT, scope_down=lookups))
        rules.append(
            self._rate_rule("NotifyReceiptsPerAddress", len(rules), NOTIFY_RECEIPTS_LIMIT, scope_down=receipts)
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{prefix}-Web",
            description=f"Borough {config.name} - resident web, API and assets on CloudFront",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"{prefix}-Web"),
            rules=rules,
        )
        self.web_acl_arn: str = self.web_acl.attr_arn
        self._logging(config)
        CfnOutput(self, "WebAclArn", value=self.web_acl_arn)

    def _managed(self, name: str, priority: int, count_only: tuple[str, ...]) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),  # the group's own actions apply
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS",
                    name=name,
                    rule_action_overrides=[
                        wafv2.CfnWebACL.RuleActionOverrideProperty(
                            name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                        )
                        for rule in count_only
                    ]
                    or None,
                )
            ),
            visibility_config=_visibility(name),
        )

    def _rate_rule(
        self, name: str, priority: int, limit: int, *, scope_down: wafv2.CfnWebACL.StatementProperty | None
    ) -> wafv2.CfnWebACL.RuleProperty:
        return wafv2.CfnWebACL.RuleProperty(
            name=name,
            priority=priority,
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    aggregate_key_type="IP",  # CloudFront hands WAF the viewer's own address
                    limit=limit,
                    evaluation_window_sec=RATE_WINDOW_SECONDS,
                    scope_down_statement=scope_down,
                )
            ),
            visibility_config=_visibility(name),
        )

    def _logging(self, config: EnvironmentConfig) -> None:
        """Blocked and counted requests only, to a log group WAF's naming rule accepts (`aws-waf-logs-`)."""
        group_name = f"aws-waf-logs-borough-{config.name}"
        group = logs.LogGroup(
            self,
            "BlockedRequests",
            log_group_name=group_name,
            retention=log_retention(config.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY,
        )
        # WAF wants the group's ARN without the `:*` that `log_group_arn` carries.
        group_arn = f"arn:{Aws.PARTITION}:logs:{WAF_REGION}:{Aws.ACCOUNT_ID}:log-group:{group_name}"
        # Without a policy of our own, WAF would add an account-wide one for every `aws-waf-logs-*` group.
        policy = logs.CfnResourcePolicy(
            self,
            "BlockedRequestsDelivery",
            policy_name=f"{config.prefix}-waf-logs",
            policy_document=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "WafLogDelivery",
                            "Effect": "Allow",
                            "Principal": {"Service": "delivery.logs.amazonaws.com"},
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": f"{group_arn}:log-stream:*",
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                                "ArnLike": {
                                    "aws:SourceArn": f"arn:{Aws.PARTITION}:logs:{WAF_REGION}:{Aws.ACCOUNT_ID}:*"
                                },
                            },
                        }
                    ],
                }
            ),
        )
        policy.node.add_dependency(group)
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "WebAclLogging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[group_arn],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                for header in REDACTED_HEADERS
            ],
            logging_filter={
                "DefaultBehavior": "DROP",
                "Filters": [
                    {
                        "Behavior": "KEEP",
                        "Requirement": "MEETS_ANY",
                        "Conditions": [
                            {"ActionCondition": {"Action": "BLOCK"}},
                            {"ActionCondition": {"Action": "COUNT"}},
                        ],
                    }
                ],
            },
        )
        logging.node.add_dependency(policy, group)


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def _exactly(field: str, value: str) -> wafv2.CfnWebACL.StatementProperty:
    """A request whose `field` (`method`, `uri_path`) is exactly `value`."""
    return _byte_match(field, value, "EXACTLY", ("NONE",))


def _starts_with_path(prefix: str) -> wafv2.CfnWebACL.StatementProperty:
    """A request whose path, URL-decoded and in lower case (so no spelling of it escapes), starts with `prefix`."""
    return _byte_match("uri_path", prefix, "STARTS_WITH", ("URL_DECODE", "LOWERCASE"))


def _byte_match(
    field: str, value: str, positional: str, transformations: tuple[str, ...]
) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(**{field: {}}),
            positional_constraint=positional,
            search_string=value,
            text_transformations=[
                wafv2.CfnWebACL.TextTransformationProperty(priority=priority, type=kind)
                for priority, kind in enumerate(transformations)
            ],
        )
    )
