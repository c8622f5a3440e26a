"""The web's AWS adapters on moto: the Drafts table (and its reminder index), the upload buckets, the scheduled
reminders handler."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from web.drafts import Draft, DynamoDraftStore
from web.uploads import SCAN_TAG, S3Uploads

from shared import aws
from tests.helpers import FakeContext

pytestmark = pytest.mark.unit


@pytest.fixture
def cloud(monkeypatch):
    with mock_aws():
        aws.reset()
        boto3.client("dynamodb").create_table(
            TableName="drafts",
            KeySchema=[{"AttributeName": "draft_id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "draft_id", "AttributeType": "S"},
                {"AttributeName": "remind_on", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "ByReminderDay",
                    "KeySchema": [
                        {"AttributeName": "remind_on", "KeyType": "HASH"},
                        {"AttributeName": "draft_id", "KeyType": "RANGE"},
                    ],
                    "Projection": {
                        "ProjectionType": "INCLUDE",
                        "NonKeyAttributes": ["reminds", "days_left", "draft_expires_at", "service_id"],
                    },
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        s3 = boto3.client("s3")
        for bucket in ("quarantine", "clean"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
        topic = boto3.client("sns").create_topic(Name="events")["TopicArn"]
        queue = boto3.client("sqs").create_queue(QueueName="all")["QueueUrl"]
        queue_arn = boto3.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        boto3.client("sns").subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"], ReturnSubscriptionArn=True
        )
        monkeypatch.setenv("DRAFTS_TABLE", "drafts")
        monkeypatch.setenv("EVENTS_TOPIC_ARN", topic)
        yield queue
        aws.reset()


def test_drafts_round_trip_and_reminders_are_found_by_day(cloud):
    store = DynamoDraftStore("drafts")
    draft = Draft(id="d" * 32, service_id="missed-bin", answers={"n": 3, "when": "2026-03-01"}, email="a@b.co")
    draft.touch()
    store.put(draft)
    store.put_reminders(draft)
    loaded = store.get(draft.id)
    assert loaded == draft
    expires = datetime.fromtimestamp(draft.expires_at, UTC)
    (due,) = store.reminders_due((expires - timedelta(days=7)).date().isoformat())
    assert due["draft_id"] == f"{draft.id}#remind-7"
    assert store.get(f"{draft.id}#remind-7") is None  # a reminder item is not a draft
    store.delete(draft.id)
    assert store.get(draft.id) is None


def test_the_reminders_handler_publishes_draft_expiring_without_the_email(cloud):
    from web.reminders import handler

    store = DynamoDraftStore("drafts")
    draft = Draft(id="e" * 32, service_id="complaint", email="someone@example.com", save_id="s" * 16)
    draft.touch()
    store.put(draft)
    store.put_reminders(draft)
    day = (datetime.fromtimestamp(draft.expires_at, UTC) - timedelta(days=1)).date().isoformat()
    assert handler({"time": f"{day}T09:00:00Z", "id": "schedule-1"}, FakeContext()) == {"sent": 1}
    (message,) = boto3.client("sqs").receive_message(QueueUrl=cloud, MaxNumberOfMessages=10)["Messages"]
    event = json.loads(json.loads(message["Body"])["Message"])
    assert event["type"] == "draft-expiring"
    assert event["data"] == {
        "save_id": draft.save_id,  # not the draft id: that is the cookie's bearer value
        "service_id": "complaint",
        "expires_at": draft.expires_at,
        "days_left": 1,
    }
    assert "someone" not in message["Body"]
    assert draft.id not in message["Body"]


def test_uploads_are_signed_for_the_quarantine_bucket_checked_and_released_once_clean(cloud):
    uploads = S3Uploads("quarantine", "clean")
    form = uploads.form(
        draft_id="d" * 32, upload_id="u" * 22, redirect_url="https://example.org/back?t=1", max_bytes=2_000_000
    )
    assert "quarantine" in form.action
    assert form.fields["key"] == f"{'d' * 32}/{'u' * 22}/${{filename}}"
    assert form.fields["success_action_redirect"] == "https://example.org/back?t=1"
    policy = json.loads(__import__("base64").b64decode(form.fields["policy"]))
    assert ["content-length-range", 0, 2_000_000] in policy["conditions"]  # the question's limit, no more
    s3 = boto3.client("s3")
    key = f"{'d' * 32}/{'u' * 22}/wall.png"
    assert uploads.scan_status(key) == "missing"
    etag = s3.put_object(Bucket="quarantine", Key=key, Body=b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)["ETag"]
    assert uploads.scan_status(key) == "pending"
    s3.put_object_tagging(
        Bucket="quarantine", Key=key, Tagging={"TagSet": [{"Key": SCAN_TAG, "Value": "THREATS_FOUND"}]}
    )
    assert uploads.scan_status(key) == "infected"
    s3.put_object_tagging(
        Bucket="quarantine", Key=key, Tagging={"TagSet": [{"Key": SCAN_TAG, "Value": "NO_THREATS_FOUND"}]}
    )
    assert uploads.scan_status(key) == "clean"
    stored = uploads.stored(key, etag.strip('"'))  # the redirect's ETag, with or without its quotes
    assert stored is not None
    assert stored.size_bytes == 108
    assert stored.head.startswith(b"\x89PNG")
    assert uploads.stored(key, '"0123456789abcdef0123456789abcdef"') is None  # not the object that arrived
    assert uploads.stored("missing", etag) is None
    clean = f"uploads/graffiti/{'u' * 22}"
    assert not uploads.release(key, '"0123456789abcdef0123456789abcdef"', clean, "a.png", "image/png")
    assert uploads.release(key, etag, clean, "wall.png", "image/png")
    released = s3.head_object(Bucket="clean", Key=clean)
    assert (released["ContentLength"], released["ContentType"]) == (108, "image/png")
    assert s3.list_objects_v2(Bucket="quarantine").get("KeyCount") == 0
