"""Helpers for the payments tests: a settable clock, a recording webhook scheduler and sender, direct API calls."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from local.sandbox.pay import PaySandbox

START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Scheduled:
    """A webhook scheduler that runs nothing by itself: tests see every wait and run the jobs."""

    def __init__(self) -> None:
        self.jobs: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, seconds: float, job: Callable[[], None]) -> None:
        self.jobs.append((seconds, job))

    def run_next(self) -> float:
        seconds, job = self.jobs.pop(0)
        job()
        return seconds


class Receiver:
    """A webhook sender that records what would be posted and answers with `statuses` in turn (then 200)."""

    def __init__(self) -> None:
        self.statuses: list[int | Exception] = []
        self.received: list[tuple[str, dict[str, str], bytes]] = []

    def __call__(self, url: str, headers: dict[str, str], body: bytes) -> int:
        self.received.append((url, headers, body))
        answer = self.statuses.pop(0) if self.statuses else 200
        if isinstance(answer, Exception):
            raise answer
        return answer

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _, _, body in self.received]


def call(sandbox: PaySandbox, method: str, path: str, body=None, *, key: str | None = None, headers=None):
    """One API call straight into the sandbox: (status, JSON body or None, headers)."""
    sent = {"Content-Type": "application/json"} if method == "POST" else {}
    sent |= headers or {}
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    status, answer_headers, payload = sandbox.handle(method, path, sent, raw)
    is_json = answer_headers.get("Content-Type", "").startswith("application/json")
    return status, (json.loads(payload) if is_json and payload else None), answer_headers


WEB_PAYMENT = {
    "amount": 2500,
    "reference": "BW-2026-0001",
    "description": "Bulky waste collection",
    "return_url": "https://borough.example/pay/return/opaque-token",
}


def create(sandbox: PaySandbox, key: str, **overrides) -> dict:
    status, body, _ = call(sandbox, "POST", "/v1/payments", WEB_PAYMENT | overrides, key=key)
    assert status == 201, body
    return body


class Browser:
    """Drives the card pages straight through `sandbox.handle`, keeping the page's cookie as a browser would."""

    def __init__(self, sandbox: PaySandbox) -> None:
        self.sandbox = sandbox
        self.cookie = ""

    def request(self, method: str, url: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        from urllib.parse import urlencode, urlsplit

        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = urlencode(form or {}).encode() if method == "POST" else b""
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, answer, payload = self.sandbox.handle(method, urlsplit(url).path, headers, body)
        if "Set-Cookie" in answer:
            self.cookie = answer["Set-Cookie"].split(";", 1)[0]
        return status, answer, payload.decode("utf-8")

    def get(self, url: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", url)

    def post(self, url: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        return self.request("POST", url, form)


def card_form(number: str, **overrides: str) -> dict[str, str]:
    return {
        "card_number": number,
        "expiry_month": "12",
        "expiry_year": "30",
        "cardholder_name": "J Bloggs",
        "cvc": "123",
    } | overrides


def open_card_page(sandbox: PaySandbox, key: str, **overrides) -> tuple[Browser, dict, str]:
    """Create a payment and follow its next_url: (browser, the created payment, the card page's URL)."""
    created = create(sandbox, key, **overrides)
    browser = Browser(sandbox)
    status, headers, _ = browser.get(created["_links"]["next_url"]["href"])
    assert status == 303
    return browser, created, headers["Location"]


class Stub:
    """A fake Pay answering with `answer(method, path, headers, body)`; served with `local.sandbox.pay.serve`."""

    def __init__(self, answer: Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]) -> None:
        self.answer = answer
        self.base_url = "stub"
        self.seen: list[tuple[str, str, dict[str, str]]] = []

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        self.seen.append((method, path, headers))
        return self.answer(method, path, headers, body)
