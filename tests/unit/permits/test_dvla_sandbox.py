"""The local DVLA stand-in called directly: request validation, the key check, status codes and error bodies."""

from __future__ import annotations

import json

import pytest

from local.sandbox import dvla
from local.sandbox.dvla import LOCAL_API_KEY, PREFIX, VEHICLES_PATH, DvlaSandbox

pytestmark = pytest.mark.unit

URL = PREFIX + VEHICLES_PATH
KEY = {"x-api-key": LOCAL_API_KEY, "Content-Type": "application/json"}


def ask(sandbox, body, *, method="POST", path=URL, headers=None):
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    status, reply_headers, answer = sandbox.handle(method, path, KEY if headers is None else headers, payload)
    return status, reply_headers, json.loads(answer)


@pytest.fixture
def sandbox() -> DvlaSandbox:
    return DvlaSandbox()


def test_a_known_vehicle_is_described(sandbox):
    status, headers, body = ask(sandbox, {"registrationNumber": "lb19 ptr"})
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert body["registrationNumber"] == "LB19PTR"
    assert (body["fuelType"], body["co2Emissions"], body["markedForExport"]) == ("PETROL", 128, False)


def test_what_dvla_does_not_hold_is_left_out(sandbox):
    _, _, electric = ask(sandbox, {"registrationNumber": "EV71ELC"})
    _, _, old = ask(sandbox, {"registrationNumber": "L123OLD"})
    assert "engineCapacity" not in electric
    assert "co2Emissions" not in old
    assert old["engineCapacity"] == 1796


@pytest.mark.parametrize(
    ("body", "status", "title"),
    [
        ({"registrationNumber": "ZZ99ZZZ"}, 404, "Vehicle Not Found"),
        ({"registrationNumber": "AB12 CDEF"}, 400, "Bad Request"),
        ({"registrationNumber": "AB-12"}, 400, "Bad Request"),
        ({"registrationNumber": 12}, 400, "Bad Request"),
        ({"vrm": "LB19PTR"}, 400, "Bad Request"),
        (["LB19PTR"], 400, "Bad Request"),
        (b"not json", 400, "Bad Request"),
        (b"", 400, "Bad Request"),
        ({"registrationNumber": "SV19DWN"}, 503, "Service Unavailable"),
        ({"registrationNumber": "ER19ROR"}, 500, "Internal Server Error"),
        ({"registrationNumber": "RL19LMT"}, 429, "Too Many Requests"),
    ],
)
def test_errors_have_the_documented_body(sandbox, body, status, title):
    answered, _, error = ask(sandbox, body)
    assert answered == status
    [entry] = error["errors"]
    assert entry["status"] == entry["code"] == str(status)
    assert entry["title"] == title
    assert entry["detail"]


def test_a_rate_limited_request_says_when_to_try_again(sandbox):
    _, headers, _ = ask(sandbox, {"registrationNumber": "RL19LMT"})
    assert headers["Retry-After"] == "1"


@pytest.mark.parametrize("headers", [{}, {"x-api-key": ""}, {"x-api-key": "someone-elses"}])
def test_without_the_key_the_gateway_refuses(sandbox, headers):
    assert ask(sandbox, {"registrationNumber": "LB19PTR"}, headers=headers)[::2] == (403, {"message": "Forbidden"})


def test_other_keys_can_be_accepted_and_the_header_is_case_insensitive():
    sandbox = DvlaSandbox(api_keys=["k1"])
    assert ask(sandbox, {"registrationNumber": "LB19PTR"}, headers={"X-Api-Key": "k1"})[0] == 200
    assert ask(sandbox, {"registrationNumber": "LB19PTR"})[0] == 403


def test_the_mark_is_never_accepted_in_the_url(sandbox):
    status, _, body = ask(sandbox, {"registrationNumber": "LB19PTR"}, path=URL + "?registrationNumber=LB19PTR")
    assert status == 400
    assert "never in the URL" in body["errors"][0]["detail"]


def test_only_post_to_the_one_resource(sandbox):
    assert ask(sandbox, b"", method="GET")[0] == 405
    assert ask(sandbox, {}, path=PREFIX + "/vehicle-enquiry/v1/vehicles/LB19PTR")[0] == 404
    assert ask(sandbox, {"registrationNumber": "LB19PTR"}, path=VEHICLES_PATH)[0] == 200  # mounted or not
    assert sandbox.requests == 3


def test_the_module_handler_serves_the_default_stand_in():
    status, _, body = dvla.handle("POST", URL, dict(KEY), b'{"registrationNumber": "KX68DSL"}')
    assert status == 200
    assert json.loads(body)["fuelType"] == "DIESEL"
