"""Abuse of confirmations (issue 9, item 10): subscribe requests send at most 3 confirmations a day to one recipient
(answered the same either way) and are limited to 20 an hour from one client address (429)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from notifications import confirmation_limits, reminders, subscriptions
from notifications.confirmation_limits import CLIENT, RECIPIENT
from tests.helpers import FakeContext, http_event

pytestmark = pytest.mark.unit

CLOUDFRONT = "130.176.0.1"  # the connecting address behind CloudFront


def ask(email: str, *, client: str | None = None, forwarded: str | None = None) -> dict:
    headers = {"x-forwarded-for": forwarded or client} if (forwarded or client) else {}
    event = http_event(
        "POST",
        "/api/v1/reminders/subscriptions",
        body={"postcode": "ME14 1HQ", "contact": {"email": email}},
        headers=headers,
    )
    if client or forwarded:
        event["requestContext"]["http"]["sourceIp"] = CLOUDFRONT
    return subscriptions.handler(event, FakeContext())


def queued(cloud) -> int:
    sqs = boto3.client("sqs")
    count = 0
    while batch := sqs.receive_message(QueueUrl=cloud.queue_url, MaxNumberOfMessages=10).get("Messages", []):
        count += len(batch)
        for message in batch:
            sqs.delete_message(QueueUrl=cloud.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return count


def counters(cloud) -> list[dict]:
    items = boto3.resource("dynamodb").Table("subscriptions_table").scan()["Items"]
    return [i for i in items if str(i["subscription_id"]).startswith(confirmation_limits.KEY_PREFIX)]


def test_one_recipient_gets_at_most_three_confirmations_a_day_and_the_same_answer_after(cloud):
    answers = [ask("victim@example.org", client=f"203.0.113.{n}") for n in range(RECIPIENT.limit + 2)]
    assert {a["statusCode"] for a in answers} == {202}
    assert len({a["body"] for a in answers}) == 1  # nothing says that the later ones sent nothing
    assert queued(cloud) == RECIPIENT.limit
    # The last confirmation sent stays valid: the refused requests did not bump the subscription's generation.
    (subscription,) = [
        i
        for i in boto3.resource("dynamodb").Table("subscriptions_table").scan()["Items"]
        if not str(i["subscription_id"]).startswith("limit#")
    ]
    assert int(subscription["generation"]) == RECIPIENT.limit
    assert ask("someone-else@example.org", client="203.0.113.99")["statusCode"] == 202
    assert queued(cloud) == 1


def test_one_client_address_is_limited_to_twenty_requests_an_hour(cloud):
    for n in range(CLIENT.limit):
        assert ask(f"resident{n}@example.org", client="198.51.100.7")["statusCode"] == 202
    refused = ask("one-more@example.org", client="198.51.100.7")
    assert refused["statusCode"] == 429
    assert 0 < int(refused["headers"]["Retry-After"]) <= CLIENT.seconds
    assert json.loads(refused["body"])["status"] == 429
    assert queued(cloud) == CLIENT.limit
    assert ask("one-more@example.org", client="198.51.100.8")["statusCode"] == 202  # another address is not held up


def test_a_forged_forwarded_for_does_not_escape_the_client_limit(cloud):
    for n in range(CLIENT.limit):
        ask(f"resident{n}@example.org", forwarded=f"10.0.0.{n}, 198.51.100.7")  # the caller's own prefix varies
    assert ask("one-more@example.org", forwarded="10.9.9.9, 198.51.100.7")["statusCode"] == 429


@pytest.mark.parametrize(
    ("forwarded", "source", "expected"),
    [
        ("198.51.100.7", CLOUDFRONT, "198.51.100.7"),  # CloudFront appended the viewer
        ("1.2.3.4, 198.51.100.7", CLOUDFRONT, "198.51.100.7"),  # the left part is the caller's: ignored
        (f"198.51.100.7, {CLOUDFRONT}", CLOUDFRONT, "198.51.100.7"),  # the gateway appended the connecting address
        ("", "198.51.100.9", "198.51.100.9"),  # straight to the gateway (the local cloud's own port)
        ("", "127.0.0.1", None),  # the web's direct invocation: no address of the resident's
    ],
)
def test_the_client_address_is_the_viewer_cloudfront_saw(forwarded, source, expected):
    event = http_event("POST", "/api/v1/reminders/subscriptions", headers={"x-forwarded-for": forwarded})
    event["requestContext"]["http"]["sourceIp"] = source
    assert confirmation_limits.client_address(event) == expected


def test_the_counters_hold_no_address_expire_and_stay_out_of_the_daily_index(cloud):
    ask("victim@example.org", client="198.51.100.7")
    items = counters(cloud)
    assert {i["subscription_id"].split("#")[1] for i in items} == {"recipient", "client"}
    dumped = json.dumps(items, default=str)
    assert "victim" not in dumped
    assert "198.51.100.7" not in dumped
    now = datetime.now(UTC).timestamp()
    assert all(now < int(i["expires_at"]) <= now + 2 * 24 * 3600 for i in items)
    assert all("collection_day" not in i for i in items)  # the sparse index by-collection-day never sees them
    assert reminders.due_events(datetime.now(UTC).date()) == []  # (nothing confirmed yet either)
