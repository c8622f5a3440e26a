"""Hostile bodies on every API route (issue 9, item 12): whatever the body, each route of the HTTP API in the
synthesized template answers with a 4xx in problem+json (or does what was asked), never a 500 or an exception.

Property-based (Hypothesis): deep nesting, huge and non-finite numbers, unpaired surrogates (escaped and raw),
duplicate keys, non-object JSON, wrong and odd content types, base64 bodies that are not base64 or not UTF-8,
arbitrary text and bytes, and hostile values in the fields each route reads. The routes and the functions behind
them come from the template (the API stack's route table); each function runs in-process on moto with its
template environment, its tables made from the template's own key schemas.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from shared import aws, origin_verify
from shared import settings as function_settings
from shared.errors import PROBLEM_CONTENT_TYPE
from shared.request_body import MAX_BODY_BYTES
from tests.helpers import FakeContext, http_event

pytestmark = pytest.mark.infra

EXAMPLES_PER_ROUTE = 120
TOKEN = "hostile-bodies-test-secret"  # every secret's value: the receipts' bearer token, the link-signing key
STAFF = {"sub": "staff-1", "cognito:groups": ["caseworkers"], "email": "caseworker@example.org"}
SUBMISSION = {
    "description": "Mattress dumped by the gate",
    "location": {"postcode": "ME15 6JQ"},
    "contact": {"email": "resident@example.org"},
}
# Names the routes read (submissions, status changes, receipts, reminders), so hostile values reach the models.
FIELDS = (
    "description",
    "location",
    "postcode",
    "contact",
    "email",
    "phone",
    "status",
    "note",
    "token",
    "id",
    "reference",
    "notification_type",
    "created_at",
    "channel",
    "answers",
)


@dataclass(frozen=True)
class ApiRoute:
    key: str  # "POST /api/v1/services/{service_id}/requests"
    handler: str  # the function's handler, e.g. "catalogue.handler.handler"
    staff: bool  # behind the JWT authorizer: API Gateway passes the caller's claims

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.key.split(" ", 1)[1]


def _api_routes(synth: Any) -> list[ApiRoute]:
    routes = []
    for route in synth.resources("AWS::ApiGatewayV2::Route"):
        key = route.props["RouteKey"]
        if not key.split(" ", 1)[1].startswith("/api/"):
            continue  # the web's pages: HTML, not problem+json (the web's own hostile-input tests)
        [integration_id] = list(synth.references(route.stack, route.props["Target"]))
        integration = synth.get(integration_id)
        [function_id] = list(synth.references(integration.stack, integration.props["IntegrationUri"]))
        handler = synth.get(function_id).props["Handler"]
        routes.append(ApiRoute(key, handler, route.props.get("AuthorizationType") == "JWT"))
    return sorted(routes, key=lambda r: r.key)


def _forget_caches() -> None:
    import importlib

    function_settings.reset()
    aws.reset()
    origin_verify.reset()
    notifications_settings = importlib.import_module("notifications.settings")
    if hasattr(notifications_settings, "reset"):
        notifications_settings.reset()


def _provision(synth: Any, stack: str, name: str, value: Any, made: dict[str, str]) -> str | None:
    """The moto resource a variable names, made once; None for a variable left out (the origin check: off)."""
    if name == origin_verify.ENVIRONMENT_VARIABLE:
        return None
    if name in made:
        return made[name]
    if name.endswith("_TABLE"):
        table = synth.get(synth.refers_to(stack, value)).props
        extra = {"GlobalSecondaryIndexes": table["GlobalSecondaryIndexes"]} if "GlobalSecondaryIndexes" in table else {}
        for index in extra.get("GlobalSecondaryIndexes", []):
            index.pop("ProvisionedThroughput", None)
        boto3.client("dynamodb").create_table(
            TableName=name.lower(),
            KeySchema=table["KeySchema"],
            AttributeDefinitions=table["AttributeDefinitions"],
            BillingMode="PAY_PER_REQUEST",
            **extra,
        )
        made[name] = name.lower()
    elif name.endswith("_TOPIC_ARN"):
        made[name] = boto3.client("sns").create_topic(Name=name.lower())["TopicArn"]
    elif name.endswith("_QUEUE_URL"):
        made[name] = boto3.client("sqs").create_queue(QueueName=name.lower())["QueueUrl"]
    elif name.endswith(("_SECRET_ARN", "_SECRET_ID")):
        made[name] = boto3.client("secretsmanager").create_secret(Name=name.lower(), SecretString=TOKEN)["ARN"]
    else:
        made[name] = value if isinstance(value, str) else "resolved-at-deploy-time"
    return made[name]


@dataclass
class Api:
    routes: list[ApiRoute]
    handlers: dict[str, Any]
    reference: str  # a request that exists

    def call(self, event: dict[str, Any], route: ApiRoute) -> dict[str, Any]:
        result: dict[str, Any] = self.handlers[route.handler](event, FakeContext())
        return result


@pytest.fixture(scope="module")
def api(dev: Any) -> Iterator[Api]:
    import importlib

    routes = _api_routes(dev)
    wanted = {route.handler for route in routes}
    functions = [f for f in dev.resources("AWS::Lambda::Function") if f.props["Handler"] in wanted]
    saved = dict(os.environ)
    with mock_aws():
        made: dict[str, str] = {}
        for function in functions:
            for name, value in function.props["Environment"]["Variables"].items():
                resolved = _provision(dev, function.stack, name, value, made)
                if resolved is not None:
                    os.environ[name] = resolved
        _forget_caches()
        handlers = {}
        for handler in wanted:
            module_name, _, attribute = handler.rpartition(".")
            handlers[handler] = getattr(importlib.import_module(module_name), attribute)
        submit = next(r for r in routes if r.key == "POST /api/v1/services/{service_id}/requests")
        created = handlers[submit.handler](
            http_event(
                "POST",
                "/api/v1/services/fly-tipping/requests",
                body=SUBMISSION,
                path_parameters={"service_id": "fly-tipping"},
            ),
            FakeContext(),
        )
        assert created["statusCode"] == 201, created
        try:
            yield Api(routes, handlers, json.loads(created["body"])["reference"])
        finally:
            _forget_caches()
            os.environ.clear()
            os.environ.update(saved)


# -- bodies -----------------------------------------------------------------------------------------------------------
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
_hostile_literals = st.sampled_from(
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "-1e999999",
        "9" * 39,
        "9" * 5000,  # beyond Python's 4,300-digit int conversion limit
        '"\\ud800"',
        '"a\\udc00b"',
        '"\\udfff\\ud800"',
        '"\\u0000"',
        "[]",
        '""',
        "null",
        "true",
        "0",
    ]
)


def _nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


_nesting = st.builds(_nested, st.integers(min_value=1, max_value=40_000), st.sampled_from(["array", "object"]))


def _object_text(pairs: list[tuple[str, str]]) -> str:
    """A JSON object written by hand: its keys may repeat, its values are JSON texts."""
    return "{" + ",".join(f"{json.dumps(key)}:{value}" for key, value in pairs) + "}"


_value_texts = _values.map(json.dumps) | _hostile_literals | _nesting.filter(lambda text: len(text) < 20_000)
_keys = st.sampled_from(FIELDS) | st.text(max_size=8)
_objects = st.lists(st.tuples(_keys, _value_texts), max_size=6).map(_object_text)
_duplicates = st.tuples(st.sampled_from(FIELDS), _value_texts, _value_texts).map(
    lambda t: _object_text([(t[0], t[1]), (t[0], t[2])])
)


def _with_field(field: str, value: str) -> str:
    """A good submission (or status change) with one field's value replaced by a hostile JSON text."""
    base = {**SUBMISSION, "status": "investigating", "postcode": "ME15 6JQ"}
    pairs = [(key, json.dumps(val)) for key, val in base.items() if key != field]
    return _object_text([*pairs, (field, value)])


_mutated = st.builds(_with_field, st.sampled_from(FIELDS), _value_texts)
_texts = (
    _objects
    | _duplicates
    | _mutated
    | _nesting
    | _hostile_literals
    | _values.map(json.dumps)
    | st.text(max_size=200)
    | st.sampled_from(["\ud800", '{"note": "\udfff"}', "\ufeff{}", "{", "}", "{'a': 1}", '{"a" 1}'])
)


@dataclass(frozen=True)
class Body:
    text: str
    base64: bool  # the event's isBase64Encoded


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


_bodies = (
    st.builds(Body, _texts, st.just(False))
    | st.builds(Body, _texts.map(lambda text: _b64(text.encode("utf-8", "surrogatepass"))), st.just(True))
    | st.builds(Body, st.binary(max_size=300).map(_b64), st.just(True))
    | st.builds(Body, st.text(max_size=60), st.just(True))  # says base64, often is not
    | st.builds(Body, st.integers(MAX_BODY_BYTES - 10, MAX_BODY_BYTES + 10).map("x".__mul__), st.just(False))
)
_content_types = (
    st.none()
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/merge-patch+json",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
            ";",
            "application/json;;;",
        ]
    )
)
_segments = st.sampled_from(["fly-tipping", "graffiti", "no-such-service", "ABCD-EFGH", "%00", ".."]) | st.text(
    alphabet=st.characters(exclude_characters="/", exclude_categories=("Cs",)), min_size=1, max_size=20
)
_methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"])


def _event(api: Api, route: ApiRoute, body: Body, content_type: str | None, draw: Any) -> dict[str, Any]:
    parameters = {}
    path = route.path
    for name in ("service_id", "reference", "proxy+"):
        if "{" + name + "}" in path:
            value = draw(st.just(api.reference) | _segments) if name == "reference" else draw(_segments)
            path = path.replace("{" + name + "}", value)
            parameters[name.rstrip("+")] = value
    method = draw(_methods) if route.method == "ANY" else route.method
    event = http_event(
        method,
        path,
        body=body.text,
        path_parameters=parameters,
        route_key=route.key,
        claims=STAFF if route.staff else None,
        headers={"authorization": f"Bearer {TOKEN}"},
    )
    event["isBase64Encoded"] = body.base64
    event["headers"].pop("content-type")
    if content_type is not None:
        event["headers"]["content-type"] = content_type
    return event


def _header(result: dict[str, Any], name: str) -> str:
    return next((str(v) for k, v in (result.get("headers") or {}).items() if k.lower() == name), "")


def _check_answer(route: ApiRoute, event: dict[str, Any], result: dict[str, Any]) -> None:
    status = result["statusCode"]
    where = (
        f"{route.key}: {event['requestContext']['http']['method']} {event['rawPath']!r} body={event['body'][:300]!r}"
    )
    assert status < 500, f"{where} -> {status} {result.get('body', '')[:300]}"
    if status >= 400:
        assert _header(result, "content-type") == PROBLEM_CONTENT_TYPE, where
        assert json.loads(result["body"])["status"] == status, where


def test_every_api_route_is_in_the_test(api):
    # The table the property runs over is the template's: the catalogue's, the cases', Notify's receipts and the
    # reminders' routes, and the catch-all.
    assert {route.key for route in api.routes} >= {
        "GET /api/v1/services",
        "POST /api/v1/services/{service_id}/requests",
        "PATCH /api/v1/requests/{reference}",
        "POST /api/v1/notifications/receipts",
        "POST /api/v1/reminders/subscriptions",
        "ANY /api/v1/{proxy+}",
    }


def test_a_route_reached_with_an_empty_object_is_served_by_its_function(api):
    # Not a vacuous property: each route's own function answers it (no 404 "There is nothing at" from routing).
    for route in api.routes:
        if "{proxy+}" in route.key:
            continue
        path = route.path.replace("{service_id}", "fly-tipping").replace("{reference}", api.reference)
        event = http_event(route.method, path, body={}, route_key=route.key, claims=STAFF if route.staff else None)
        event["headers"]["authorization"] = f"Bearer {TOKEN}"
        result = api.call(event, route)
        _check_answer(route, event, result)
        assert "There is nothing at" not in result.get("body", ""), route.key


def _property(api: Api, route: ApiRoute) -> Any:
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(body=_bodies, content_type=_content_types, data=st.data())
    def property_holds(body: Body, content_type: str | None, data: Any) -> None:
        event = _event(api, route, body, content_type, data.draw)
        _check_answer(route, event, api.call(event, route))

    return property_holds


def test_hostile_bodies_on_every_api_route_get_a_4xx_problem_never_a_500(api):
    for route in api.routes:
        _property(api, route)()
