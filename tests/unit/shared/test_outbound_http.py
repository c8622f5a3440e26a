"""The checks every outside-API client shares (shared/outbound_http.py): keys, base URLs, bounded reads, error
bodies. The adapters' contract tests (Pay, DVLA, OS Places) exercise them over real HTTP."""

from __future__ import annotations

import io

import pytest

from shared.outbound_http import checked_api_key, checked_base_url, error_body, read_within

pytestmark = pytest.mark.unit


class _Body(io.BytesIO):
    """A response body that gives at most `chunk` bytes per `read1`, and advances a fake clock each time."""

    def __init__(self, data: bytes, chunk: int, clock: list[float]) -> None:
        super().__init__(data)
        self.chunk, self.clock = chunk, clock

    def read1(self, size: int = -1) -> bytes:
        self.clock[0] += 1.0
        return super().read1(min(size, self.chunk))


@pytest.mark.parametrize("key", ["", "   ", "a key", "key\n2"])
def test_a_key_that_is_empty_or_has_spaces_is_refused_without_showing_it(key):
    with pytest.raises(ValueError, match="The Pay API key is empty or has spaces in it") as refused:
        checked_api_key(key, "Pay")
    assert key.strip() == "" or key.strip() not in str(refused.value)


def test_a_key_is_trimmed():
    assert checked_api_key("  k3y\n", "Pay") == "k3y"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.example.gov.uk/", "https://api.example.gov.uk"),
        ("http://127.0.0.1:8030/sandbox/pay", "http://127.0.0.1:8030/sandbox/pay"),
        ("http://localhost:1/", "http://localhost:1"),
    ],
)
def test_https_or_a_loopback_stand_in(url, expected):
    assert checked_base_url(url, "DVLA") == expected


@pytest.mark.parametrize("url", ["http://api.example.gov.uk", "ftp://127.0.0.1", "127.0.0.1:80", ""])
def test_any_other_base_url_is_refused(url):
    with pytest.raises(ValueError, match="The DVLA base URL must be https"):
        checked_base_url(url, "DVLA")


def test_a_body_is_read_whole_within_its_limits():
    clock = [0.0]
    body = _Body(b"x" * 200_000, 65536, clock)
    read = read_within(body, deadline=10.0, clock=lambda: clock[0], max_bytes=300_000, too_large=ValueError("big"))
    assert read == b"x" * 200_000


def test_a_body_past_its_size_limit_raises_the_callers_error():
    clock = [0.0]
    with pytest.raises(ValueError, match="big"):
        read_within(
            _Body(b"x" * 100, 10, clock),
            deadline=99.0,
            clock=lambda: clock[0],
            max_bytes=50,
            too_large=ValueError("big"),
        )


def test_a_body_still_arriving_at_the_deadline_times_out():
    clock = [0.0]
    with pytest.raises(TimeoutError):
        read_within(
            _Body(b"x" * 100, 10, clock), deadline=3.0, clock=lambda: clock[0], max_bytes=1000, too_large=ValueError()
        )


@pytest.mark.parametrize(
    ("payload", "expected"),
    [(b'{"code": "P0900"}', {"code": "P0900"}), (b"", None), (b"<html>", None), (b"[1, 2]", None), (b"null", None)],
)
def test_an_error_body_is_a_json_object_or_none(payload, expected):
    assert error_body(payload) == expected
