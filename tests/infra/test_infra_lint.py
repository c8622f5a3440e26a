"""Every synthesized template is cfn-lint clean and cdk-nag AwsSolutions clean, each suppression with a reason."""

from __future__ import annotations

import json

import pytest
from cfnlint.api import ManualArgs, lint

pytestmark = pytest.mark.infra

ENVIRONMENTS = ("dev", "prod")
# cfn-lint warnings accepted, each with why. Any other warning fails, like an error.
ACCEPTED_WARNINGS = {
    # CDK adds DependsOn on a function's role *and* its default policy so the policy exists before the function
    # runs; the role half is also implied by GetAtt. Harmless, and not ours to change.
    "W3005",
}
MIN_REASON_LENGTH = 40


def _stacks(environment):
    # Stack names are fixed by contract (`Borough-<env>-<Concern>`), so parametrize without synthesizing first.
    concerns = (
        "Waf", "Foundation", "Data", "Events", "Auth", "Api", "Workflows", "Notifications", "Observability", "Web",
        "Console", "Payments", "Renewals", "Permits",
    )  # fmt: skip
    return [(environment, f"Borough-{environment}-{c}") for c in concerns]


ALL_STACKS = [pair for environment in ENVIRONMENTS for pair in _stacks(environment)]


@pytest.fixture
def synths(dev, prod):
    return {"dev": dev, "prod": prod}


def test_every_stack_is_tested(dev, prod):
    assert {(s.environment, name) for s in (dev, prod) for name in s.templates} == set(ALL_STACKS)


@pytest.mark.parametrize(("environment", "stack"), ALL_STACKS)
def test_cfn_lint_finds_no_errors(synths, environment, stack):
    template = synths[environment].templates[stack]
    # Each stack in its own region: London for all but the WAF's, which is in us-east-1 (decision 0003).
    matches = lint(json.dumps(template), config=ManualArgs(regions=[synths[environment].region(stack)]))
    problems = [
        f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})"
        for m in matches
        if m.rule.id[0] == "E" or (m.rule.id[0] == "W" and m.rule.id not in ACCEPTED_WARNINGS)
    ]
    assert not problems


@pytest.mark.parametrize(("environment", "stack"), ALL_STACKS)
def test_cdk_nag_reports_no_unsuppressed_findings(synths, environment, stack):
    synth = synths[environment]
    findings = [
        f"{path}: {entry['data'][:120]}"
        for path, entries in synth.metadata(stack).items()
        for entry in entries
        if entry["type"] == "aws:cdk:error"
        or (entry["type"] == "aws:cdk:warning" and str(entry["data"]).startswith("AwsSolutions-"))
    ]
    assert not findings
    report = (synth.outdir / f"AwsSolutions--{stack}-NagReport.csv").read_text()
    assert "Non-Compliant" not in report
    assert report.startswith("Rule ID,")  # the checks ran on this stack
    if not stack.endswith("-Waf"):  # AwsSolutions has no rules for WAF ACLs, log groups or log resource policies
        assert "Compliant" in report


@pytest.mark.parametrize(("environment", "stack"), ALL_STACKS)
def test_every_nag_suppression_is_scoped_to_one_resource_and_has_a_reason(synths, environment, stack):
    template = synths[environment].templates[stack]
    assert "cdk_nag" not in template.get("Metadata", {}), "stack-wide suppression"
    for logical_id, resource in template["Resources"].items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            assert rule["id"].startswith("AwsSolutions-"), logical_id
            assert len(rule.get("reason", "")) >= MIN_REASON_LENGTH, (logical_id, rule)
            if rule["id"] == "AwsSolutions-IAM5":
                assert rule.get("applies_to"), f"{logical_id}: IAM5 suppressed without naming the finding"
