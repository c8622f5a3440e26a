"""The origin-verify header locally: the front door adds the distribution's origin custom headers (the dynamic
reference resolved from the local Secrets Manager); a request straight to the gateway, without it, is refused."""

from __future__ import annotations

import json

import pytest

from local.cdn import with_origin_headers
from local.intrinsics import UnresolvedReferenceError, resolve_dynamic_references
from shared import origin_verify

pytestmark = pytest.mark.local

CATALOGUE = "Borough-dev-Api/Catalogue/Function"
WEB = "Borough-dev-Web/Web/Function"
HTTP_FUNCTIONS = (
    CATALOGUE,
    "Borough-dev-Api/Cases/Function",
    WEB,
    "Borough-dev-Notifications/Receipts/Function",
    "Borough-dev-Notifications/Subscriptions/Function",
)


def _expected(cloud) -> str:
    arn = cloud.function_environment(CATALOGUE)[origin_verify.ENVIRONMENT_VARIABLE]
    return str(cloud.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])


def _last_event_headers(cloud, path: str) -> dict[str, str]:
    return cloud.runtime.invocations_of(cloud.physical_id(path))[-1].event["headers"]


def test_every_function_behind_the_api_knows_the_secret(local_cloud):
    arns = {local_cloud.function_environment(f).get(origin_verify.ENVIRONMENT_VARIABLE) for f in HTTP_FUNCTIONS}
    assert len(arns) == 1
    assert None not in arns


def test_the_front_door_adds_the_header_with_the_secrets_value(local_cloud):
    response = local_cloud.handle("GET", "/api/v1/services")
    assert response.status == 200
    value = _last_event_headers(local_cloud, CATALOGUE)[origin_verify.HEADER]
    assert value == _expected(local_cloud)
    assert len(value) >= 32
    assert not value.startswith("{{resolve:")


def test_a_viewer_cannot_supply_the_header_itself(local_cloud):
    response = local_cloud.handle("GET", "/api/v1/services", headers={origin_verify.HEADER: "forged"})
    assert response.status == 200  # CloudFront replaces the viewer's header with the origin's
    assert _last_event_headers(local_cloud, CATALOGUE)[origin_verify.HEADER] == _expected(local_cloud)


def test_the_api_straight_through_the_gateway_is_refused_without_the_header(local_cloud):
    response = local_cloud.handle("GET", "/api/v1/services", front_door=False)
    assert response.status == 403
    assert response.header("content-type") == "application/problem+json"
    assert response.json()["status"] == 403
    wrong = local_cloud.handle("GET", "/api/v1/services", headers={origin_verify.HEADER: "x" * 48}, front_door=False)
    assert wrong.status == 403


def test_pages_straight_through_the_gateway_are_refused_without_the_header(local_cloud):
    response = local_cloud.handle("GET", "/", front_door=False)
    assert response.status == 403
    assert response.header("content-type").startswith("text/plain")
    posted = local_cloud.handle(
        "POST", "/api/v1/reminders/subscriptions", json_body={"postcode": "ME15 6JQ"}, front_door=False
    )
    assert posted.status == 403


def test_the_gateway_serves_a_request_that_has_the_header(local_cloud):
    headers = {origin_verify.HEADER: _expected(local_cloud)}
    assert local_cloud.handle("GET", "/api/v1/services", headers=headers, front_door=False).status == 200


def test_origin_headers_replace_the_viewers_of_the_same_name():
    viewer = [("Host", "x"), ("X-Borough-Origin-Verify", "forged")]
    assert with_origin_headers(viewer, (("x-borough-origin-verify", "real"),)) == [
        ("Host", "x"),
        ("x-borough-origin-verify", "real"),
    ]


def test_dynamic_references_to_secrets_manager_are_resolved(local_cloud):
    client = local_cloud.client("secretsmanager")
    arn = client.create_secret(Name="test-dynamic-reference", SecretString=json.dumps({"k": "v1"}))["ARN"]
    client.put_secret_value(SecretId=arn, SecretString=json.dumps({"k": "v2"}))
    assert resolve_dynamic_references(f"a{{{{resolve:secretsmanager:{arn}:SecretString:k}}}}b", client) == "av2b"
    assert resolve_dynamic_references(f"{{{{resolve:secretsmanager:{arn}:SecretString:k:AWSPREVIOUS}}}}", client) == (
        "v1"
    )
    by_name = resolve_dynamic_references("{{resolve:secretsmanager:test-dynamic-reference}}", client)
    assert json.loads(by_name) == {"k": "v2"}
    assert resolve_dynamic_references("no reference", client) == "no reference"
    with pytest.raises(UnresolvedReferenceError):
        resolve_dynamic_references("{{resolve:ssm:/a/b}}", client)
    client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
