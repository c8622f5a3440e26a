"""A launch-day spike through the local cloud: 150 payments created as fast as the web's payments function can be
invoked, ten times the local Pay's 15 POSTs a second. Creates Pay rate-limits (429 P0900) are queued and made by
the paced create worker; every one ends with Pay's card page link, none fails, and no attempt gets two payments.

No wall-clock assertions: the waits are generous and bounded, because CI machines are slow. A slow machine may
invoke the function fewer than 15 times a second, which would never meet the limit and show nothing: so until the
local Pay has refused its first create, its rate limiter's clock stands still (the first 16 creates fall in one of
its seconds, as they would on launch day); from then on it keeps real time. The limit itself is unchanged."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from local import pay_standin
from local.moto_session import LOCK, released
from tests.local.payment_support import function_named_by_handler, invoke, put_awaiting_requests

pytestmark = pytest.mark.local

SPIKE = 150  # ten times Pay's 15 POSTs a second
WAIT_S = 300  # the most the queue may take to drain on a slow machine (it takes seconds on a fast one)


def seed_requests(local_cloud, count: int) -> list[str]:
    references = [f"SPK{n // 10000 % 10}-{n % 10000:04d}" for n in range(count)]
    put_awaiting_requests(local_cloud, references)
    return references


@contextmanager
def the_limit_met_at_once(pay: Any) -> Iterator[None]:
    real = pay.clock
    still, refused = real(), pay.rate_limited
    pay.clock = lambda: still if pay.rate_limited == refused else real()
    try:
        yield
    finally:
        pay.clock = real


def test_a_spike_at_ten_times_pays_rate_limit_fails_no_residents_payment(local_cloud):
    function = function_named_by_handler(local_cloud, "payments.handler.handler")
    pay = pay_standin.sandbox()
    limited_before = _rate_limited(pay)
    references = seed_requests(local_cloud, SPIKE)

    with the_limit_met_at_once(pay):
        first = {ref: invoke(local_cloud, function, {"action": "start", "reference": ref}) for ref in references}
    refused = {ref: a for ref, a in first.items() if a["status"] != 200}
    assert not refused, f"residents told to try again: {refused}"
    statuses = Counter(answer["body"]["status"] for answer in first.values())
    assert set(statuses) <= {"created", "queued"}, statuses
    assert _rate_limited(pay) > limited_before, "the spike went over Pay's limit (else this test shows nothing)"
    assert statuses["queued"] > 0

    links = {ref: a["body"]["next_url"] for ref, a in first.items() if a["body"]["next_url"]}
    deadline = time.monotonic() + WAIT_S
    while len(links) < SPIKE and time.monotonic() < deadline:
        local_cloud.wait_for_idle(timeout_s=WAIT_S)
        for ref in references:
            if ref not in links:
                body = invoke(local_cloud, function, {"action": "progress", "reference": ref})["body"]
                assert body["status"] in ("queued", "creating", "created"), f"{ref} failed: {body}"
                if body["next_url"]:
                    links[ref] = body["next_url"]
        with released():
            time.sleep(0.5)

    assert len(links) == SPIKE, f"{SPIKE - len(links)} payments were never set up"
    assert all(link.startswith(pay_standin.base_url(local_cloud.url) + "/secure/") for link in links.values())
    made = Counter(p.reference for p in pay.ledger.payments.values() if p.reference in set(references))
    assert made == Counter(references), "one payment at Pay for each request, never two"
    queue = _queue_depths(local_cloud)
    assert queue == {"messages": 0, "dead letters": 0}


def _rate_limited(pay) -> int:
    """How many creates the local Pay has refused with 429 so far (it keeps every call it was asked)."""
    return int(pay.rate_limited)


def _queue_depths(local_cloud) -> dict[str, int]:
    depths = {}
    for label, path in (
        ("messages", "Borough-dev-Payments/CreateQueue"),
        ("dead letters", "Borough-dev-Payments/CreateDeadLetters"),
    ):
        url = local_cloud.physical_id(path)
        with LOCK:
            attributes = local_cloud.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
        counts = attributes["Attributes"]
        depths[label] = int(counts["ApproximateNumberOfMessages"]) + int(
            counts["ApproximateNumberOfMessagesNotVisible"]
        )
    return depths


def test_a_resident_whose_create_pay_refused_waits_on_the_setting_up_page_then_goes_to_pay(local_cloud):
    """Through the web: "Accept and send" while Pay refuses every create (429), the honest waiting page (a meta
    refresh, no JavaScript), then Pay's card page once the create queue's worker has made the payment."""
    from tests.local.test_local_payments import SERVICE, Browser, walk_to_check_answers

    pay = pay_standin.sandbox()
    browser = Browser(local_cloud)
    check = walk_to_check_answers(browser)
    browser.request("GET", check)
    pay.rate_limit_per_second = 0  # Pay refuses every POST
    try:
        sent = browser.request("POST", check, {"action": "submit"})
        assert sent.status == 303, sent.body[:1500]
        waiting_path = f"/services/{SERVICE}/setting-up-payment"
        assert sent.header("location") == waiting_path
        waiting = browser.request("GET", waiting_path)
        page = waiting.body.decode()
        assert waiting.status == 200, page[:1500]
        assert "We are setting up your payment" in page
        assert f'<meta http-equiv="refresh" content="3; url={waiting_path}">' in page
        assert "No money has been taken yet" in page
    finally:
        pay.rate_limit_per_second = 15
    location = ""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:  # what the page's refresh does, until the payment is made
        local_cloud.wait_for_idle(timeout_s=WAIT_S)
        reply = browser.request("GET", waiting_path)
        if reply.status == 303:
            location = reply.header("location")
            break
        assert reply.status == 200, reply.body[:1500]
        with released():
            time.sleep(0.5)
    assert location.startswith(pay_standin.base_url(local_cloud.url) + "/secure/"), location
