"""The transactional outbox: each write stores its event, the table's stream publishes it (shared/outbox.py,
functions/outbox). A crash between the two loses nothing, and a re-run of the stream doubles nothing."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest

from cases import logic as cases_logic
from cases import triage
from catalogue import handler as catalogue_handler
from outbox import replay
from shared import aws
from shared import settings as function_settings
from shared.events import derived_id
from shared.requests_repo import RequestsRepository
from tests.helpers import FakeContext, http_event, stream_records

pytestmark = pytest.mark.unit

STAFF = {"sub": "staff-1", "cognito:groups": ["caseworkers"]}
REPORT = {"description": "Fridge on the verge", "location": {"postcode": "ME15 6JQ"}}


class Killed(BaseException):
    """What Lambda's timeout does to a function: it stops, and nothing after that line runs."""


def submit() -> dict[str, Any]:
    path = "/api/v1/services/fly-tipping/requests"
    event = http_event("POST", path, body=REPORT, path_parameters={"service_id": "fly-tipping"})
    return catalogue_handler.handler(event, FakeContext())


def test_a_submission_killed_right_after_its_write_is_still_announced_once(cloud, monkeypatch):
    write = RequestsRepository.put_new

    def write_then_die(self: RequestsRepository, item: dict[str, Any], *, event: Any) -> None:
        write(self, item, event=event)
        raise Killed

    monkeypatch.setattr(RequestsRepository, "put_new", write_then_die)
    with pytest.raises(Killed):
        submit()
    [stored] = cloud.items("REQUESTS_TABLE")
    [event] = cloud.published()  # the stream finishes what the function could not
    assert event["type"] == "report-submitted"
    assert event["data"]["reference"] == stored["reference"]
    assert event["id"] == derived_id(f"{stored['reference']}:submitted")
    assert cloud.published() == []


def test_a_status_change_killed_right_after_its_write_is_still_announced(cloud, monkeypatch):
    assert submit()["statusCode"] == 201
    [submitted] = cloud.published()
    reference = submitted["data"]["reference"]
    write = RequestsRepository.set_status

    def write_then_die(self: RequestsRepository, *args: Any, **kwargs: Any) -> dict[str, Any]:
        write(self, *args, **kwargs)
        raise Killed

    monkeypatch.setattr(RequestsRepository, "set_status", write_then_die)
    with pytest.raises(Killed):
        cases_logic.change_status(
            reference, cases_logic.StatusChange(status="investigating"), claims=STAFF, correlation_id="c"
        )
    [event] = cloud.published()
    assert (event["type"], event["data"]["status"]) == ("status-changed", "investigating")


def test_a_rerun_of_the_stream_sends_the_same_event_ids(cloud):
    assert submit()["statusCode"] == 201
    [first] = cloud.published()
    cloud.checkpoint = None  # as if Lambda had lost its checkpoint and read the shard again
    [again] = cloud.published()
    assert again == first  # same id: every consumer de-duplicates it


def test_writes_that_announce_nothing_publish_nothing(cloud):
    assert submit()["statusCode"] == 201
    [submitted] = cloud.published()
    triage.assign(submitted, FakeContext())  # sets team and due date: the outbox attribute is unchanged
    assert cloud.published() == []
    aws.table("requests_table").delete_item(Key={"reference": submitted["data"]["reference"]})  # as TTL does
    assert cloud.published() == []


def test_public_and_staff_answers_do_not_show_the_stored_event(cloud):
    assert submit()["statusCode"] == 201
    [submitted] = cloud.published()
    reference = submitted["data"]["reference"]
    assert "outbox" in cloud.items("REQUESTS_TABLE")[0]
    assert "outbox" not in cases_logic.public_status(reference)
    change = cases_logic.StatusChange(status="investigating")
    assert "outbox" not in cases_logic.change_status(reference, change, claims=STAFF, correlation_id="c")


def test_a_batch_parked_on_the_dead_letter_queue_is_replayed_once_sns_is_back(cloud, monkeypatch):
    topic, missing = os.environ["EVENTS_TOPIC_ARN"], "arn:aws:sns:eu-west-2:123456789012:missing"
    monkeypatch.setenv("EVENTS_TOPIC_ARN", missing)
    function_settings.reset()
    assert submit()["statusCode"] == 201
    assert cloud.relay()["batchItemFailures"]
    # What Lambda sends the on-failure destination once the retries are spent (local/streams.py sends the same).
    [record] = stream_records(cloud.stream_arn)
    streams = replay.streams_client()
    [shard] = streams.describe_stream(StreamArn=cloud.stream_arn)["StreamDescription"]["Shards"]
    number = record["dynamodb"]["SequenceNumber"]
    info = {"shardId": shard["ShardId"], "startSequenceNumber": number, "endSequenceNumber": number}
    sqs = boto3.client("sqs")
    # Visibility 0: a message the replay keeps is visible again at once (it reads each message once per run).
    dead_letters = sqs.create_queue(QueueName="outbox-dead-letters", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(
        QueueUrl=dead_letters, MessageBody=json.dumps({"DDBStreamBatchInfo": {**info, "streamArn": cloud.stream_arn}})
    )
    still_down = replay.replay(dead_letters, missing, streams=streams)
    assert (still_down.messages, still_down.kept) == (0, 1)  # kept for the next run
    done = replay.replay(dead_letters, topic, streams=streams)
    assert (done.messages, done.published, done.kept) == (1, 1, 0)
    [event] = cloud.published()
    assert event["id"] == derived_id(f"{event['data']['reference']}:submitted")
    assert sqs.receive_message(QueueUrl=dead_letters).get("Messages", []) == []
