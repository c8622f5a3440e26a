"""Only CloudFront may reach the functions behind the HTTP API: the origin-verify header (shared/origin_verify.py).

Missing or wrong header: 403 before anything else (problem+json from the API's functions, a plain page from the
web); the right one (current or previous value): served. Without ORIGIN_VERIFY_SECRET_ID the check is off.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from web.http import Reply

from catalogue import handler as catalogue_handler
from shared import origin_verify, settings
from shared.api import http_handler, make_resolver
from shared.errors import PROBLEM_CONTENT_TYPE
from tests.helpers import FakeContext, http_event
from web import api as web_api
from web import handler as web_handler

GOOD = "a" * 48
OLD = "b" * 48


@pytest.fixture
def verified(cloud: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """The origin-verify secret in (moto's) Secrets Manager, rotated once: OLD is AWSPREVIOUS, GOOD AWSCURRENT."""
    client = boto3.client("secretsmanager")
    arn: str = client.create_secret(Name="origin-verify", SecretString=OLD)["ARN"]
    client.put_secret_value(SecretId=arn, SecretString=GOOD)
    monkeypatch.setenv(origin_verify.ENVIRONMENT_VARIABLE, arn)
    origin_verify.reset()
    settings.reset()
    yield arn
    origin_verify.reset()
    settings.reset()


def _services(headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = http_event("GET", "/api/v1/services", headers=headers, route_key="GET /api/v1/services")
    return catalogue_handler.handler(event, FakeContext())


# -- the API's functions (shared.api.http_handler) ------------------------------------------------------------------
@pytest.mark.parametrize("headers", [None, {origin_verify.HEADER: "wrong"}, {origin_verify.HEADER: ""}])
def test_an_api_request_without_the_right_header_is_403_problem_json(verified, headers):
    response = _services(headers)
    assert response["statusCode"] == 403
    assert response["headers"]["content-type"] == PROBLEM_CONTENT_TYPE
    problem = json.loads(response["body"])
    assert problem["status"] == 403
    assert problem["instance"] == "/api/v1/services"
    assert GOOD not in response["body"]


def test_an_api_request_with_the_right_header_is_served(verified):
    response = _services({origin_verify.HEADER: GOOD})
    assert response["statusCode"] == 200
    assert json.loads(response["body"])  # the catalogue


def test_the_header_name_is_matched_in_any_case(verified):
    assert _services({"X-Borough-Origin-Verify": GOOD})["statusCode"] == 200


def test_the_previous_value_is_accepted_while_cloudfront_rolls_out_a_rotation(verified):
    assert _services({origin_verify.HEADER: OLD})["statusCode"] == 200


def test_the_route_is_not_run_when_refused(verified):
    app = make_resolver()
    ran = []

    @app.get("/api/v1/anything")
    def anything() -> dict[str, str]:
        ran.append(True)
        return {"ok": "yes"}

    handler = http_handler(app)
    refused = handler(http_event("GET", "/api/v1/anything", route_key="GET /api/v1/anything"), FakeContext())
    assert refused["statusCode"] == 403
    assert not ran
    served = handler(
        http_event("GET", "/api/v1/anything", route_key="GET /api/v1/anything", headers={origin_verify.HEADER: GOOD}),
        FakeContext(),
    )
    assert served["statusCode"] == 200
    assert ran == [True]


def test_the_check_is_off_without_the_environment_variable(cloud, monkeypatch):
    # Unit tests of handlers run without it; every deployed function behind the API has it (tests/infra).
    monkeypatch.delenv(origin_verify.ENVIRONMENT_VARIABLE, raising=False)
    origin_verify.reset()
    settings.reset()
    assert origin_verify.verifier() is None
    assert origin_verify.is_from_origin({"headers": {}})
    assert _services()["statusCode"] == 200
    assert origin_verify.current_value() is None


# -- the web function ----------------------------------------------------------------------------------------------
class _FakeWeb:
    def __init__(self) -> None:
        self.requests: list[Any] = []

    def resolve(self, event: Any, context: Any) -> dict[str, Any]:
        self.requests.append(event)
        return Reply(status=200, body="<p>page</p>").to_result()


@pytest.mark.parametrize("headers", [None, {origin_verify.HEADER: "wrong"}])
def test_a_page_request_without_the_right_header_is_a_plain_403_before_anything_else(verified, monkeypatch, headers):
    fake = _FakeWeb()
    monkeypatch.setattr(web_handler, "web", lambda: fake)
    result = web_handler.handler(http_event("GET", "/", headers=headers, route_key="GET /"), FakeContext())
    assert result["statusCode"] == 403
    assert result["headers"]["content-type"].startswith("text/plain")
    assert fake.requests == []  # the page was never built


def test_a_page_request_with_the_right_header_is_served(verified, monkeypatch):
    fake = _FakeWeb()
    monkeypatch.setattr(web_handler, "web", lambda: fake)
    headers = {origin_verify.HEADER: GOOD}
    result = web_handler.handler(http_event("GET", "/", headers=headers, route_key="GET /"), FakeContext())
    assert result["statusCode"] == 200
    assert len(fake.requests) == 1


def test_the_webs_direct_calls_to_the_api_functions_carry_the_header(verified):
    # The web invokes the catalogue, cases and subscriptions functions directly, with payload 2.0 events.
    event = web_api.api_event("GET", "GET /api/v1/services", "/api/v1/services", path_parameters={}, headers={})
    assert event["headers"][origin_verify.HEADER] == GOOD
    assert catalogue_handler.handler(event, FakeContext())["statusCode"] == 200


def test_the_webs_direct_calls_carry_no_header_when_the_check_is_off(monkeypatch):
    monkeypatch.delenv(origin_verify.ENVIRONMENT_VARIABLE, raising=False)
    origin_verify.reset()
    event = web_api.api_event("GET", "GET /api/v1/services", "/api/v1/services", path_parameters={}, headers={})
    assert origin_verify.HEADER not in event["headers"]


# -- the verifier: constant time, cached, refreshed on a miss at most every few minutes ------------------------------
class _Secret:
    def __init__(self) -> None:
        self.values = {"AWSCURRENT": GOOD}
        self.reads = 0

    def fetch(self, secret_id: str, stage: str) -> str | None:
        self.reads += 1
        return self.values.get(stage)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_values_are_compared_in_constant_time(monkeypatch):
    calls: list[tuple[bytes, bytes]] = []
    real = origin_verify.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(origin_verify.hmac, "compare_digest", spy)
    secret = _Secret()
    verifier = origin_verify.OriginVerifier("id", fetch=secret.fetch)
    assert verifier.allows(GOOD)
    assert not verifier.allows("nope")
    assert (GOOD.encode(), GOOD.encode()) in calls
    assert (b"nope", GOOD.encode()) in calls


def test_a_miss_reads_the_secret_again_at_most_every_few_minutes():
    secret, clock = _Secret(), _Clock()
    verifier = origin_verify.OriginVerifier("id", fetch=secret.fetch, clock=clock)
    assert verifier.allows(GOOD)
    reads = secret.reads
    for _ in range(100):  # a flood of wrong headers: no read at all within the interval
        assert not verifier.allows("wrong")
    assert secret.reads == reads
    secret.values = {"AWSCURRENT": "rotated", "AWSPREVIOUS": GOOD}  # rotated
    assert not verifier.allows("rotated")  # not re-read yet
    clock.now += origin_verify.MISS_REFRESH_S
    assert verifier.allows("rotated")  # the miss re-reads it
    assert verifier.allows(GOOD)  # the previous value still works while CloudFront is updated
    assert secret.reads == reads + 2  # current and previous, once


def test_cached_values_expire_so_a_value_taken_out_of_use_stops_working():
    secret, clock = _Secret(), _Clock()
    verifier = origin_verify.OriginVerifier("id", fetch=secret.fetch, clock=clock)
    assert verifier.allows(GOOD)
    secret.values = {"AWSCURRENT": "new"}  # the old value's AWSPREVIOUS label removed
    assert verifier.allows(GOOD)  # cached
    clock.now += origin_verify.MAX_AGE_S
    assert not verifier.allows(GOOD)
    assert verifier.current() == "new"


def test_an_empty_header_never_matches_and_never_triggers_a_read():
    secret, clock = _Secret(), _Clock()
    verifier = origin_verify.OriginVerifier("id", fetch=secret.fetch, clock=clock)
    assert not verifier.allows(None)
    reads = secret.reads
    clock.now += origin_verify.MISS_REFRESH_S
    assert not verifier.allows("")
    assert secret.reads == reads


def test_a_secret_without_a_previous_version_is_fine(verified):
    client = boto3.client("secretsmanager")
    arn = client.create_secret(Name="never-rotated", SecretString=GOOD)["ARN"]
    assert origin_verify.fetch_from_secrets_manager(arn, "AWSPREVIOUS") is None
    assert origin_verify.OriginVerifier(arn).allows(GOOD)
