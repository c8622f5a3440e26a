"""Only CloudFront reaches the functions behind the HTTP API: the origin-verify header (decision 0003).

CloudFront sends the API stack's generated secret as a custom origin header, as a dynamic reference (never the
value); every function with an HTTP API integration knows the secret's ARN and may read exactly that secret.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared import origin_verify

pytestmark = pytest.mark.infra


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _secret(synth):
    (secret,) = [s for s in synth.resources("AWS::SecretsManager::Secret") if s.logical_id.startswith("OriginVerify")]
    return secret


def _http_functions(synth) -> dict[Any, Any]:
    """Every function an HTTP API integration invokes (by resource id), whatever stack it is in."""
    functions = {}
    for integration in synth.resources("AWS::ApiGatewayV2::Integration"):
        target = synth.refers_to(integration.stack, integration.props["IntegrationUri"])
        assert target is not None, integration.id
        functions[target] = synth.get(target)
    return functions


def _secret_reads(synth, function) -> list[dict[str, Any]]:
    return [
        statement
        for statement in synth.role_statements(function)
        if any(str(action).startswith("secretsmanager:") for action in _as_list(statement["Action"]))
    ]


def test_the_secret_is_generated_long_and_in_the_api_stack(synth):
    secret = _secret(synth)
    assert secret.stack == synth.stack("Api")  # created before the web and notifications stacks: no cycle
    generated = secret.props["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32
    assert "SecretString" not in secret.props


def test_cloudfront_sends_the_header_to_the_api_as_a_dynamic_reference_only(synth):
    (distribution,) = synth.resources("AWS::CloudFront::Distribution")
    origins = distribution.props["DistributionConfig"]["Origins"]
    api_endpoint = next(
        o for o in origins if "ApiEndpoint" in json.dumps(o["DomainName"])
    )  # the HTTP API's execute-api domain
    (header,) = api_endpoint["OriginCustomHeaders"]
    assert header["HeaderName"] == origin_verify.HEADER
    value = header["HeaderValue"]
    assert not isinstance(value, str), "the value must never be a literal in the template"
    parts = value["Fn::Join"][1]
    assert parts[0] == "{{resolve:secretsmanager:"
    assert parts[-1] == ":SecretString:::}}"
    assert synth.refers_to(distribution.stack, parts[1]) == _secret(synth).id
    # No other origin (S3, the map tile service) is given the value.
    others = [o for o in origins if o is not api_endpoint]
    assert origin_verify.HEADER not in json.dumps(others)


def test_no_template_holds_a_resolved_value(synth):
    # The only place the header's name appears with a value is the dynamic reference above.
    for stack, template in synth.templates.items():
        text = json.dumps(template)
        if origin_verify.HEADER in text:
            assert stack == synth.stack("Web"), stack
            assert text.count(origin_verify.HEADER) == 1


def test_every_function_behind_the_http_api_checks_the_header_and_may_read_exactly_that_secret(synth):
    secret = _secret(synth)
    functions = _http_functions(synth)
    # catalogue, cases, web pages, Notify's receipts, reminder subscriptions, the staff console, Pay's webhooks,
    # the staff refund API, the permits look-up, the devices' feed
    assert len(functions) == 10, sorted(f.props["Handler"] for f in functions.values())
    for function in functions.values():
        variables = function.props["Environment"]["Variables"]
        arn = variables.get(origin_verify.ENVIRONMENT_VARIABLE)
        assert arn is not None, f"{function.props['Handler']} has no {origin_verify.ENVIRONMENT_VARIABLE}"
        assert synth.refers_to(function.stack, arn) == secret.id
        grants = [
            statement
            for statement in _secret_reads(synth, function)
            if secret.id in {synth.refers_to(function.stack, r) for r in _as_list(statement["Resource"])}
        ]  # CDK merges statements with the same action: the web's also names its other two secrets
        assert len(grants) == 1, function.props["Handler"]
        assert grants[0]["Effect"] == "Allow"
        assert _as_list(grants[0]["Action"]) == ["secretsmanager:GetSecretValue"]  # no DescribeSecret, no wildcard
        assert "Condition" not in grants[0]


def test_no_other_function_may_read_it(synth):
    secret = _secret(synth)
    behind_the_api = set(_http_functions(synth))
    for function in synth.resources("AWS::Lambda::Function"):
        if function.id in behind_the_api:
            continue
        assert origin_verify.ENVIRONMENT_VARIABLE not in function.props.get("Environment", {}).get("Variables", {})
        for statement in _secret_reads(synth, function):
            for resource in _as_list(statement["Resource"]):
                assert synth.refers_to(function.stack, resource) != secret.id, function.id


def test_the_missing_rotation_is_suppressed_with_a_reason(synth):
    metadata = _secret(synth).body.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    (rule,) = [r for r in metadata if r["id"] == "AwsSolutions-SMG4"]
    assert "redeploy" in rule["reason"]
