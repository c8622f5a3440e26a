"""The HTTP API as the local cloud serves it: real routes from the template, the JWT authorizer, limits."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.cloud import LocalCloud
from local.gateway import MAX_BODY_BYTES

pytestmark = pytest.mark.local

CASES = "Borough-dev-Api/Cases/Function"
CATALOGUE = "Borough-dev-Api/Catalogue/Function"
PATCH_PATH = "/api/v1/requests/BRG-NOPE-0000"


def _invocations(cloud: LocalCloud, path: str) -> list:
    return cloud.runtime.invocations_of(cloud.physical_id(path))


def _moto_token(cloud: LocalCloud, **overrides) -> str:
    """A token signed with moto's Cognito key (the issuer's real signing key), with claims overridden."""
    from moto.utilities.utils import load_resource

    pool = cloud.staff_pools[0]
    now = int(time.time())
    claims = {
        "iss": f"https://cognito-idp.eu-west-2.amazonaws.com/{pool.user_pool_id}",
        "aud": pool.client_id,
        "sub": "someone",
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        "cognito:groups": ["caseworkers"],
        **overrides,
    }
    private = jwt.PyJWK.from_json(json.dumps(load_resource("cognitoidp/resources/jwks-private.json"))).key
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": "dummy"})


def test_unknown_paths_under_the_api_reach_the_catalogue_through_the_greedy_route(local_cloud):
    before = len(_invocations(local_cloud, CATALOGUE))
    response = local_cloud.handle("GET", "/api/v1/no-such-thing?x=1")
    invocations = _invocations(local_cloud, CATALOGUE)
    assert len(invocations) == before + 1
    event = invocations[-1].event
    assert event["routeKey"] == "ANY /api/v1/{proxy+}"
    assert event["pathParameters"] == {"proxy": "no-such-thing"}
    assert event["queryStringParameters"] == {"x": "1"}
    assert response.status == 404  # the catalogue's problem+json, not API Gateway's


def test_the_longest_greedy_route_wins_over_a_shorter_one(local_cloud):
    web = "Borough-dev-Web/Web/Function"
    local_cloud.handle("GET", "/api/v1/x/y")
    assert _invocations(local_cloud, CATALOGUE)[-1].event["routeKey"] == "ANY /api/v1/{proxy+}"
    before = len(_invocations(local_cloud, web))
    local_cloud.handle("GET", "/not-the-api/page")
    event = _invocations(local_cloud, web)[-1].event
    assert len(_invocations(local_cloud, web)) == before + 1
    assert event["routeKey"] == "ANY /{proxy+}"
    assert event["pathParameters"] == {"proxy": "not-the-api/page"}


def test_specific_routes_carry_their_path_parameters(local_cloud):
    local_cloud.handle("GET", "/api/v1/requests/BRG-ABCD-1234", {"Cookie": "a=1", "X-Trace": "t"})
    event = _invocations(local_cloud, CASES)[-1].event
    assert event["routeKey"] == "GET /api/v1/requests/{reference}"
    assert event["pathParameters"] == {"reference": "BRG-ABCD-1234"}
    assert event["cookies"] == ["a=1"]
    assert event["headers"]["x-trace"] == "t"
    assert "authorizer" not in event["requestContext"]  # a public route


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer not-a-jwt",
        "Basic Y2FzZXdvcmtlcjpwYXNzd29yZA==",
    ],
)
def test_staff_route_without_a_valid_token_is_401_and_never_reaches_the_function(local_cloud, authorization):
    before = len(_invocations(local_cloud, CASES))
    headers = {} if authorization is None else {"Authorization": authorization}
    response = local_cloud.handle("PATCH", PATCH_PATH, headers, json_body={"status": "investigating"})
    assert (response.status, response.json()) == (401, {"message": "Unauthorized"})
    assert len(_invocations(local_cloud, CASES)) == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": int(time.time()) - 60},  # expired
        {"aud": "some-other-client"},  # for another app
        {"iss": "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_other"},  # another pool
    ],
    ids=["expired", "wrong-audience", "wrong-issuer"],
)
def test_staff_route_rejects_expired_or_foreign_tokens(local_cloud, overrides):
    before = len(_invocations(local_cloud, CASES))
    token = _moto_token(local_cloud, **overrides)
    response = local_cloud.handle("PATCH", PATCH_PATH, {"authorization": f"Bearer {token}"}, json_body={})
    assert response.status == 401
    assert len(_invocations(local_cloud, CASES)) == before


def test_staff_route_rejects_a_token_signed_by_another_key(local_cloud):
    good = jwt.decode(_moto_token(local_cloud), options={"verify_signature": False})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(good, other_key, algorithm="RS256", headers={"kid": "dummy"})
    response = local_cloud.handle("PATCH", PATCH_PATH, {"authorization": f"Bearer {forged}"}, json_body={})
    assert response.status == 401


def test_seeded_caseworker_token_reaches_the_function_with_its_claims(local_cloud, staff_token):
    response = local_cloud.handle(
        "PATCH", PATCH_PATH, {"Authorization": f"Bearer {staff_token}"}, json_body={"status": "investigating"}
    )
    assert response.status != 401
    event = _invocations(local_cloud, CASES)[-1].event
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["email"] == "caseworker@example.org"
    assert claims["cognito:groups"] == "[caseworkers]"  # HTTP APIs pass list claims as strings
    assert claims["token_use"] == "id"
    assert isinstance(claims["exp"], str)


def test_access_tokens_work_too_and_carry_scopes(local_cloud):
    from local.staff import DEMO_PASSWORD, DEMO_USERNAME

    tokens = local_cloud.handle(
        "POST", "/sandbox/sign-in", json_body={"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    ).json()
    local_cloud.handle("PATCH", PATCH_PATH, {"Authorization": tokens["access_token"]}, json_body={})
    authorizer = _invocations(local_cloud, CASES)[-1].event["requestContext"]["authorizer"]["jwt"]
    assert authorizer["scopes"] == ["aws.cognito.signin.user.admin"]
    assert authorizer["claims"]["client_id"] == local_cloud.staff_pools[0].client_id


def test_sign_in_helper_refuses_a_wrong_password(local_cloud):
    response = local_cloud.handle(
        "POST", "/sandbox/sign-in", json_body={"username": "caseworker@example.org", "password": "wrong"}
    )
    assert response.status == 401
    assert local_cloud.handle("POST", "/sandbox/sign-in", body="not json").status == 400
    assert local_cloud.handle("GET", "/sandbox/sign-in").status == 405


def test_bodies_over_api_gateways_limit_are_413_in_process(local_cloud):
    response = local_cloud.handle("POST", "/api/v1/services/x/requests", body=b"x" * (MAX_BODY_BYTES + 1))
    assert response.status == 413


def test_http_server_on_loopback_serves_the_same_api(local_cloud):
    assert local_cloud.url.startswith("http://127.0.0.1:")
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(f"{local_cloud.url}/api/v1/no-such-thing", timeout=10)  # noqa: S310 - loopback URL
    assert raised.value.code == 404
    assert raised.value.headers["content-type"] == "application/problem+json"  # the catalogue's, via the proxy
    request = urllib.request.Request(  # noqa: S310
        f"{local_cloud.url}/api/v1/services/x/requests", data=b"x" * (MAX_BODY_BYTES + 1), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=30)  # noqa: S310
    assert raised.value.code == 413
    before = len(_invocations(local_cloud, CASES))
    request = urllib.request.Request(f"{local_cloud.url}{PATCH_PATH}", data=b"{}", method="PATCH")  # noqa: S310
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    assert raised.value.code == 401
    assert len(_invocations(local_cloud, CASES)) == before
