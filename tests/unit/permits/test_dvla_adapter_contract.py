"""Contract tests: the DVLA adapter against the local stand-in served over HTTP on 127.0.0.1 (every vehicle and every
error class), and its time budget, retries and refusals against stub servers."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.sandbox.dvla import LOCAL_API_KEY, DvlaSandbox
from local.sandbox.loopback import RunningServer
from permits.adapters.dvla import WORST_CASE_SECONDS, RetryPolicy, VehicleEnquiry
from permits.adapters.dvla_models import (
    DvlaAuthenticationFailed,
    DvlaRateLimited,
    DvlaUnavailable,
    InvalidRegistration,
    VehicleNotFound,
)
from permits.pricing import VehicleFacts
from permits.vrm import parse_vrm
from tests.unit.payments.pay_support import Stub

pytestmark = pytest.mark.unit

SLACK_S = 0.5  # a busy shared machine may wake a thread late; the budget itself is what is tested


def served(stand_in: Any) -> RunningServer:
    """Any object with `handle()` (the DVLA stand-in, a stub), served over 127.0.0.1 like every stand-in."""
    return RunningServer(stand_in.handle)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def stand_in():
    sandbox = DvlaSandbox()
    with served(sandbox) as running:
        yield sandbox, running.url + "/sandbox/dvla"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def dvla(stand_in, fake_time) -> VehicleEnquiry:
    _, url = stand_in
    return VehicleEnquiry(
        LOCAL_API_KEY, base_url=url, clock=fake_time.monotonic, sleep=fake_time.sleep, rng=random.Random(3)
    )


def test_the_budget_fits_a_ten_second_function():
    assert WORST_CASE_SECONDS <= 0.6 * 10


def test_a_petrol_car_is_typed_and_priced_from_its_co2(dvla):
    car = dvla.vehicle(parse_vrm("lb19 ptr"))
    assert (car.registration_number, car.make, car.colour, car.fuel_type) == ("LB19PTR", "FORD", "BLUE", "PETROL")
    assert car.tax_due_date is not None
    assert car.tax_due_date.isoformat() == "2027-05-01"
    assert car.date_of_last_v5c_issued is not None
    assert (car.tax_status, car.mot_status, car.marked_for_export) == ("Taxed", "Valid", False)
    assert car.facts() == VehicleFacts(co2_g_km=128, engine_cc=1498, fuel="PETROL")


@pytest.mark.parametrize(
    ("mark", "facts", "export"),
    [
        ("KX68 DSL", VehicleFacts(142, 1968, "DIESEL"), False),
        ("EV71ELC", VehicleFacts(0, None, "ELECTRICITY"), False),
        ("MX20EXP", VehicleFacts(89, 1798, "HYBRID ELECTRIC"), True),
        ("L123 OLD", VehicleFacts(None, 1796, "PETROL"), False),
    ],
)
def test_every_stand_in_vehicle(dvla, mark, facts, export):
    vehicle = dvla.vehicle(mark)
    assert (vehicle.facts(), vehicle.marked_for_export) == (facts, export)


def test_the_mark_travels_in_the_body_with_the_key_in_its_header():
    seen: list[tuple[str, dict[str, str], bytes]] = []

    def answer(method, path, headers, body):
        seen.append((path, headers, body))
        return 200, {"Content-Type": "application/json"}, b'{"registrationNumber": "LB19PTR"}'

    with served(Stub(answer)) as running:
        VehicleEnquiry("k-123", base_url=running.url).vehicle("LB19PTR")
    [(path, headers, body)] = seen
    assert path == "/vehicle-enquiry/v1/vehicles"
    assert "LB19PTR" not in path
    assert {k.lower(): v for k, v in headers.items()}["x-api-key"] == "k-123"
    assert json.loads(body) == {"registrationNumber": "LB19PTR"}


@pytest.mark.parametrize(
    ("mark", "error", "declare"),
    [("ZZ99ZZZ", VehicleNotFound, False), ("AB12CDEFG", InvalidRegistration, False)],
)
def test_refusals_are_not_retried(dvla, stand_in, mark, error, declare):
    sandbox, _ = stand_in
    with pytest.raises(error) as caught:
        dvla.vehicle(mark)
    assert caught.value.declare_instead is declare
    assert sandbox.requests == 1


def test_a_wrong_key_raises_an_alarm(stand_in):
    _, url = stand_in
    with pytest.raises(DvlaAuthenticationFailed) as caught:
        VehicleEnquiry("not-the-key", base_url=url).vehicle("LB19PTR")
    assert (caught.value.alarm, caught.value.status, caught.value.title) == (True, 403, "Forbidden")


@pytest.mark.parametrize("mark", ["SV19DWN", "ER19ROR"])
def test_a_service_that_stays_down_is_retried_then_declared(dvla, stand_in, fake_time, mark):
    sandbox, _ = stand_in
    with pytest.raises(DvlaUnavailable) as caught:
        dvla.vehicle(mark)
    assert caught.value.declare_instead
    assert sandbox.requests == 3  # every attempt the policy allows
    assert fake_time.now <= dvla.policy.budget_s


def test_a_rate_limit_waits_as_asked_then_gives_up_within_the_budget(dvla, stand_in, fake_time):
    sandbox, _ = stand_in
    with pytest.raises(DvlaRateLimited) as caught:
        dvla.vehicle("RL19LMT")
    assert caught.value.declare_instead
    assert fake_time.sleeps == [1.0, 1.0]  # Retry-After: 1, longer than the jittered backoff
    assert sandbox.requests == 3


def test_one_failure_then_an_answer_is_a_success(fake_time):
    answers: Iterator[tuple[int, dict[str, str], bytes]] = iter(
        [(503, {}, b""), (200, {}, b'{"registrationNumber": "LB19PTR", "make": "FORD"}')]
    )
    with served(Stub(lambda *_: next(answers))) as running:
        dvla = VehicleEnquiry("k", base_url=running.url, clock=fake_time.monotonic, sleep=fake_time.sleep)
        assert dvla.vehicle("LB19PTR").make == "FORD"
    assert len(fake_time.sleeps) == 1


def test_a_slow_service_is_abandoned_within_the_worst_case():
    policy = RetryPolicy(attempt_timeout_s=0.3, budget_s=0.6, min_attempt_s=0.1, backoff_base_s=0.01)
    sandbox = DvlaSandbox()
    with served(sandbox) as running:
        dvla = VehicleEnquiry(LOCAL_API_KEY, base_url=running.url + "/sandbox/dvla", policy=policy)
        started = time.monotonic()
        with pytest.raises(DvlaUnavailable, match="timeout"):
            dvla.vehicle("SL19SLW")
        assert time.monotonic() - started <= policy.worst_case_seconds + SLACK_S


@pytest.mark.parametrize(
    "reply",
    [
        (200, {}, b"not json"),
        (200, {}, b'{"make": "FORD"}'),  # no registrationNumber
        (200, {}, b'{"registrationNumber": "OTHER1"}'),  # about another vehicle
        (200, {}, b'{"registrationNumber": "LB19PTR", "co2Emissions": "lots"}'),
        (200, {}, b'{"registrationNumber": "LB19PTR", "padding": "' + b"x" * 70_000 + b'"}'),
    ],
)
def test_an_answer_that_is_not_ves_is_unavailable(reply):
    with (
        served(Stub(lambda *_: reply)) as running,
        pytest.raises(DvlaUnavailable, match="malformed"),
    ):
        VehicleEnquiry("k", base_url=running.url).vehicle("LB19PTR")


def test_a_redirect_is_not_followed_with_the_key():
    elsewhere = Stub(lambda *_: (200, {}, b'{"registrationNumber": "LB19PTR"}'))
    with served(elsewhere) as other:
        target = other.url + "/vehicle-enquiry/v1/vehicles"
        with (
            served(Stub(lambda *_: (307, {"Location": target}, b""))) as running,
            pytest.raises(DvlaUnavailable),  # a 3xx is an answer VES does not give: not followed
        ):
            VehicleEnquiry("k", base_url=running.url).vehicle("LB19PTR")
    assert elsewhere.seen == []


def test_nobody_listening_is_unavailable(fake_time):
    dvla = VehicleEnquiry("k", base_url="http://127.0.0.1:9", clock=fake_time.monotonic, sleep=fake_time.sleep)
    with pytest.raises(DvlaUnavailable, match="unreachable"):
        dvla.vehicle("LB19PTR")


@pytest.mark.parametrize(("key", "url"), [("", "https://x"), ("a b", "https://x"), ("k", "http://example.org")])
def test_a_bad_key_or_plain_http_elsewhere_is_refused_at_once(key, url):
    with pytest.raises(ValueError, match="DVLA"):
        VehicleEnquiry(key, base_url=url)


def test_the_key_and_the_mark_appear_in_no_log_repr_or_error(stand_in, caplog):
    _, url = stand_in
    secret = "s3cr3t-key-value"
    dvla = VehicleEnquiry(secret, base_url=url)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DvlaAuthenticationFailed) as caught:
        dvla.vehicle("LB19PTR")
    told = " ".join([repr(dvla), str(caught.value), caught.value.detail, caplog.text])
    assert secret not in told
    assert "LB19PTR" not in told
