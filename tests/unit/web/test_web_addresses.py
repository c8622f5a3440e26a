"""The OS Places client over real HTTP on a loopback port: the local stand-in's answers, and every way the service
can fail mapped to the one `AddressLookupFailed`. Royal Mail style lines from DPA records. Never api.os.uk."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator

import boto3
import pytest
from moto import mock_aws
from web.addresses import (
    KEY_RETRY_SECONDS,
    Address,
    AddressLookupFailed,
    OsPlacesLookup,
    SecretKey,
    address_from_dpa,
    configured_lookup,
    title_case,
)

from local.sandbox import os_places
from local.sandbox.loopback import RunningServer
from shared import forms
from shared.catalogue import load_catalogue
from shared.forms import ADDRESS_PART_MAX
from web import settings as web_settings

CATALOGUE = load_catalogue()

pytestmark = pytest.mark.unit

Answer = tuple[int, dict[str, str], bytes]


class Server(RunningServer):
    """A loopback HTTP server whose answer a test chooses; by default the OS Places stand-in. Records requests."""

    def __init__(self) -> None:
        self.answer: Callable[[str, str, dict[str, str]], Answer] = lambda method, path, headers: os_places.handle(
            method, "/sandbox/os-places" + path, headers, b""
        )
        self.requests: list[tuple[str, dict[str, str]]] = []
        super().__init__(self._handle)

    def _handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        self.requests.append((path, headers))
        return self.answer(method, path, headers)


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def _client(server: Server, key: str = "test-key", timeout_s: float = 2.0) -> OsPlacesLookup:
    return OsPlacesLookup(key, base_url=server.url + "/", timeout_s=timeout_s)


def _reply(status: int, body: object) -> Callable[..., Answer]:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda method, path, headers: (status, {"Content-Type": "application/json"}, payload)


# -- against the stand-in -------------------------------------------------------------------------------------------
def test_a_postcode_gives_its_addresses_in_royal_mail_style_with_uprns(server):
    found = _client(server).by_postcode("ME15 6JQ")
    assert len(found) == 8
    by_uprn = {a.uprn: a for a in found}
    assert by_uprn["999000010001"] == Address(
        "999000010001", "1 Cobnut Row", "", "Maidstone", "ME15 6JQ", street="COBNUT ROW"
    )  # the street as OS Places spells it: how a parking zone lists its streets
    assert by_uprn["999000010002"].line1 == "1A Cobnut Row"  # a number-like building name goes before the street
    flat = by_uprn["999000010005"]
    assert (flat.line1, flat.line2) == ("Flat 1, Oast Court", "5 Cobnut Row")
    hub = by_uprn["999000010007"]
    assert (hub.line1, hub.line2) == ("Cobnut Row Community Hub", "7 Cobnut Row")
    assert hub.text == "Cobnut Row Community Hub, 7 Cobnut Row, Maidstone"
    assert hub.answer() == {
        "line1": "Cobnut Row Community Hub",
        "line2": "7 Cobnut Row",
        "town": "Maidstone",
        "postcode": "ME15 6JQ",
        "uprn": "999000010007",
    }


def test_the_request_is_the_postcode_search_of_delivery_points_with_the_key_in_a_header(server):
    _client(server, key="secret-key-123").by_postcode("ME14 1HQ")
    path, headers = server.requests[0]
    assert path.startswith("/search/places/v1/postcode?")
    assert "postcode=ME14+1HQ" in path
    assert "dataset=DPA" in path
    assert "output_srs=WGS84" in path
    assert "secret-key-123" not in path  # never in a URL (logs)
    assert {k.lower(): v for k, v in headers.items()}["key"] == "secret-key-123"


def test_no_addresses_is_an_empty_list_not_a_failure(server):
    assert _client(server).by_postcode("ME15 6ZZ") == []
    status, _, body = os_places.handle(
        "GET", "/sandbox/os-places/search/places/v1/postcode?postcode=ME156ZZ", {"key": "k"}, b""
    )
    assert status == 200
    assert "results" not in json.loads(body)


def test_pages_of_results_are_followed(server):
    pages = {
        0: {"header": {"totalresults": 3}, "results": [{"DPA": _dpa(1)}, {"DPA": _dpa(2)}]},
        2: {"header": {"totalresults": 3}, "results": [{"DPA": _dpa(3)}]},
    }

    def answer(method: str, path: str, headers: dict[str, str]) -> Answer:
        offset = int(path.split("offset=")[1]) if "offset=" in path else 0
        return 200, {}, json.dumps(pages[offset]).encode()

    server.answer = answer
    assert [a.uprn for a in _client(server).by_postcode("ME15 6JQ")] == ["1", "2", "3"]
    assert len(server.requests) == 2


def _dpa(uprn: int, **parts: str) -> dict[str, str]:
    street = {"THOROUGHFARE_NAME": "MILL STREET", "POST_TOWN": "MAIDSTONE", "POSTCODE": "ME15 6JQ"}
    return {"UPRN": str(uprn), "BUILDING_NUMBER": str(uprn), **street, **parts}


def test_the_stand_in_refuses_a_request_without_a_key_and_a_postcode_it_cannot_search(server):
    with pytest.raises(AddressLookupFailed) as failed:
        _client(server, key="").by_postcode("ME15 6JQ")
    assert failed.value.reason == "no-key"
    status, _, body = os_places.handle("GET", "/sandbox/os-places/search/places/v1/postcode?postcode=ME15", {}, b"")
    assert status == 401
    assert "fault" in json.loads(body)
    status, _, body = os_places.handle("GET", "/search/places/v1/postcode?postcode=ME&key=k", {}, b"")
    assert status == 400
    assert json.loads(body)["error"]["statuscode"] == 400
    status, _, _ = os_places.handle("GET", "/sandbox/os-places/search/places/v1/find?query=x", {"key": "k"}, b"")
    assert status == 404
    status, _, body = os_places.handle("GET", "/search/places/v1/postcode?postcode=ME156&maxresults=2&key=k", {}, b"")
    assert status == 200
    assert len(json.loads(body)["results"]) == 2


# -- failures: one exception, with a reason -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (400, {"error": {"statuscode": 400, "message": "Requested postcode must contain..."}}, "bad-request"),
        (401, {"fault": {"faultstring": "Invalid ApiKey"}}, "unauthorised"),
        (429, {"fault": {"faultstring": "Rate limit quota violation"}}, "throttled"),
        (500, {"error": {"statuscode": 500}}, "unavailable"),
        (503, b"<html>Service Unavailable</html>", "unavailable"),
        (200, b"not json", "malformed"),
        (200, [1, 2], "malformed"),
        (200, {"results": []}, "malformed"),  # no header
        (200, {"header": {}, "results": [{"LPI": {}}]}, "malformed"),
    ],
)
def test_every_failure_is_one_exception_with_a_reason(server, status, body, reason):
    server.answer = _reply(status, body)
    with pytest.raises(AddressLookupFailed) as failed:
        _client(server).by_postcode("ME15 6JQ")
    assert failed.value.reason == reason


def test_a_slow_service_times_out_quickly(server):
    def slow(method: str, path: str, headers: dict[str, str]) -> Answer:
        time.sleep(1.0)
        return 200, {}, b"{}"

    server.answer = slow
    started = time.monotonic()
    with pytest.raises(AddressLookupFailed) as failed:
        _client(server, timeout_s=0.2).by_postcode("ME15 6JQ")
    assert failed.value.reason == "timeout"
    assert time.monotonic() - started < 0.9


def test_an_answer_dribbled_byte_by_byte_cannot_outlast_the_deadline():
    # urllib's timeout bounds each socket operation: without a deadline between receives, a byte every 0.1 s
    # would hold the resident's page for as long as the service liked.
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def dribble() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(30):  # 3 s at most, so a regression fails the test rather than hangs it
                if stop.is_set():
                    return
                try:
                    connection.sendall(b" ")
                except OSError:
                    return
                time.sleep(0.1)

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    lookup = OsPlacesLookup("key", base_url=f"http://127.0.0.1:{listener.getsockname()[1]}", timeout_s=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(AddressLookupFailed) as failed:
            lookup.by_postcode("ME15 6JQ")
    finally:
        stop.set()
        listener.close()
    assert failed.value.reason == "timeout"
    assert time.monotonic() - started < 1.0  # the deadline (0.5 s) and at most one receive past it


def test_a_service_that_is_not_there_is_unreachable():
    with pytest.raises(AddressLookupFailed) as failed:
        OsPlacesLookup("k", base_url="http://127.0.0.1:9", timeout_s=0.5).by_postcode("ME15 6JQ")
    assert failed.value.reason in ("unreachable", "timeout")


def test_the_stand_in_simulates_a_service_that_is_down(server):
    with pytest.raises(AddressLookupFailed) as failed:
        _client(server).by_postcode("ME15 9ZZ")
    assert (failed.value.reason, failed.value.status) == ("unavailable", 503)


def test_an_odd_record_is_skipped_not_fatal(server):
    server.answer = _reply(200, {"header": {"totalresults": 2}, "results": [{"DPA": {"UPRN": "x"}}, {"DPA": _dpa(7)}]})
    assert [a.uprn for a in _client(server).by_postcode("ME15 6JQ")] == ["7"]


def test_a_redirect_is_not_followed_so_the_key_goes_nowhere_else(server):
    elsewhere = Server()
    try:
        server.answer = lambda method, path, headers: (302, {"Location": elsewhere.url + path}, b"")
        with pytest.raises(AddressLookupFailed) as failed:
            _client(server).by_postcode("ME15 6JQ")
        assert (failed.value.reason, failed.value.status) == ("unavailable", 302)
        assert elsewhere.requests == []
    finally:
        elsewhere.close()


def test_a_refused_key_is_read_again_from_its_secret_but_not_on_every_lookup(server, secrets):
    secrets.create_secret(Name="borough/dev/os-places-api-key", SecretString="old-key")
    now = [1000.0]
    key = SecretKey("borough/dev/os-places-api-key", clock=lambda: now[0])
    lookup = OsPlacesLookup(key, base_url=server.url)
    server.answer = lambda method, path, headers: (
        (401, {}, b'{"fault": {}}') if headers.get("Key") == "old-key" else (200, {}, b'{"header": {}, "results": []}')
    )
    with pytest.raises(AddressLookupFailed):
        lookup.by_postcode("ME15 6JQ")
    secrets.put_secret_value(SecretId="borough/dev/os-places-api-key", SecretString="rotated-key")
    assert lookup.by_postcode("ME15 6JQ") == []  # the rotated key, read again after the refusal
    assert [headers["Key"] for _, headers in server.requests] == ["old-key", "rotated-key"]
    # A key that stays wrong is read again at most every KEY_RETRY_SECONDS, not on every lookup.
    secrets.put_secret_value(SecretId="borough/dev/os-places-api-key", SecretString="old-key")
    server.answer = _reply(401, {"fault": {}})
    for _ in range(3):
        with pytest.raises(AddressLookupFailed):
            lookup.by_postcode("ME15 6JQ")
    assert key() == "rotated-key"  # not read again: the last read was less than KEY_RETRY_SECONDS ago
    now[0] += KEY_RETRY_SECONDS
    with pytest.raises(AddressLookupFailed):
        lookup.by_postcode("ME15 6JQ")
    assert key() == "old-key"  # read again once the interval has passed


# -- lines and title case -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ST. MARY'S ROAD", "St. Mary's Road"),
        ("LEIGH-ON-SEA", "Leigh-on-Sea"),
        ("NEWCASTLE UPON TYNE", "Newcastle upon Tyne"),
        ("FLAT 1A", "Flat 1A"),
        ("O'BRIEN HOUSE", "O'Brien House"),
        ("THE  OLD   FORGE", "The Old Forge"),
    ],
)
def test_title_case(text, expected):
    assert title_case(text) == expected


def test_address_lines_from_dpa_parts():
    assert address_from_dpa(_dpa(1, BUILDING_NAME="12-14", BUILDING_NUMBER="")).line1 == "12-14 Mill Street"
    localities = address_from_dpa(_dpa(2, DEPENDENT_LOCALITY="PENENDEN HEATH", DOUBLE_DEPENDENT_LOCALITY="UPPER END"))
    assert (localities.line1, localities.line2) == ("2 Mill Street", "Upper End, Penenden Heath")
    long_business = address_from_dpa(
        _dpa(
            3,
            ORGANISATION_NAME="MAIDSTONE AND DISTRICT COMMUNITY VOLUNTARY SERVICES AND ADVICE PARTNERSHIP LIMITED",
            DEPARTMENT_NAME="HOUSING, BENEFITS AND WELFARE RIGHTS ADVICE AND ADVOCACY SERVICE FOR TENANTS",
            SUB_BUILDING_NAME="SUITE 4, SECOND FLOOR",
            BUILDING_NAME="THE OLD CORN EXCHANGE AND MARKET BUILDINGS",
            DEPENDENT_LOCALITY="PENENDEN HEATH",
        )
    )
    assert 0 < len(long_business.line1) <= ADDRESS_PART_MAX
    assert 0 < len(long_business.line2) <= ADDRESS_PART_MAX
    assert long_business.line1.startswith("Maidstone and District Community")
    assert forms.validate_page(  # what the resident chose passes the address question's checks
        CATALOGUE["bulky-waste"], "address", {"address": long_business.answer()}, {}
    ).ok
    bare = address_from_dpa({"UPRN": "9", "ADDRESS": "LAND AT MILL STREET, MAIDSTONE", "POSTCODE": "me156jq"})
    assert (bare.line1, bare.postcode) == ("Land at Mill Street", "ME15 6JQ")
    for broken in ({"UPRN": "", "POSTCODE": "ME15 6JQ"}, {"UPRN": "1", "POSTCODE": "nowhere"}, {"UPRN": "1" * 13}):
        with pytest.raises(ValueError, match="Not a delivery point address"):
            address_from_dpa(broken)


# -- the key from Secrets Manager -----------------------------------------------------------------------------------
@pytest.fixture
def secrets():
    from shared import aws

    with mock_aws():
        aws.reset()
        yield boto3.client("secretsmanager", region_name="eu-west-2")
    aws.reset()


def test_the_key_is_read_once_from_its_secret(secrets):
    secrets.create_secret(Name="borough/dev/os-places-api-key", SecretString=" the-key \n")
    key = SecretKey("borough/dev/os-places-api-key")
    assert key() == "the-key"
    secrets.put_secret_value(SecretId="borough/dev/os-places-api-key", SecretString="changed")
    assert key() == "the-key"  # cached for the container's life


def test_without_the_secret_lookups_are_not_available_and_it_is_asked_for_again_later(secrets):
    now = [1000.0]
    key = SecretKey("borough/dev/os-places-api-key", clock=lambda: now[0])
    lookup = OsPlacesLookup(key, base_url="http://127.0.0.1:9")
    assert not lookup.available()
    with pytest.raises(AddressLookupFailed):
        lookup.by_postcode("ME15 6JQ")
    secrets.create_secret(Name="borough/dev/os-places-api-key", SecretString=" ")
    now[0] += 60
    assert not lookup.available()  # not asked again yet (and blank anyway)
    secrets.put_secret_value(SecretId="borough/dev/os-places-api-key", SecretString="now-there")
    now[0] += 300
    assert lookup.available()


def test_the_lookup_comes_from_the_functions_settings(monkeypatch):
    assert configured_lookup("") is None
    lookup = configured_lookup("borough/dev/os-places-api-key", "http://127.0.0.1:1/x/")
    assert lookup is not None
    assert lookup.base_url == "http://127.0.0.1:1/x"
    assert configured_lookup("s").base_url == "https://api.os.uk"
    # ... as the function's environment names them.
    for name, value in {
        "OS_PLACES_API_KEY_SECRET_ID": "s",
        "DRAFTS_TABLE": "drafts",
        "EVENTS_TOPIC_ARN": "arn:aws:sns:eu-west-2:123456789012:events",
        "CATALOGUE_FUNCTION": "catalogue",
        "CASES_FUNCTION": "cases",
    }.items():
        monkeypatch.setenv(name, value)
    configured = web_settings.settings()
    assert (configured.os_places_api_key_secret_id, configured.os_places_base_url) == ("s", "https://api.os.uk")
