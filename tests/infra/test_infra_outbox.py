"""The transactional outbox: the Requests table's stream runs the outbox publisher, with retries, bisection and a
dead-letter queue that alarms; the functions that write requests no longer publish themselves. The Permits table
has its own stream and publisher, the same way (the issuer's `permit-issued`)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.infra


def _requests_table(synth):
    return next(
        t
        for t in synth.resources("AWS::DynamoDB::Table")
        if t.stack == synth.stack("Data") and t.props["KeySchema"][0]["AttributeName"] == "reference"
    )


def _permits_table(synth):
    return next(
        t
        for t in synth.resources("AWS::DynamoDB::Table")
        if t.stack == synth.stack("Permits") and t.logical_id.startswith("Permits")
    )


def _stream_mapping(synth, table_of=_requests_table):
    table = table_of(synth).id
    (mapping,) = [
        m
        for m in synth.resources("AWS::Lambda::EventSourceMapping")
        if synth.refers_to(m.stack, m.props["EventSourceArn"]) == table
    ]
    return mapping


def test_the_requests_table_streams_new_and_old_images(synth):
    # Both images: the publisher forwards an event only when a write changed the stored one.
    assert _requests_table(synth).props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_permits_table_streams_new_and_old_images(synth):
    assert _permits_table(synth).props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


@pytest.mark.parametrize("table_of", [_requests_table, _permits_table], ids=["requests", "permits"])
def test_the_stream_runs_the_outbox_publisher_with_retries_bisection_and_a_dead_letter_queue(synth, table_of):
    mapping = _stream_mapping(synth, table_of)
    props = mapping.props
    function = synth.get(synth.refers_to(mapping.stack, props["FunctionName"]))
    assert function.props["Handler"] == "outbox.handler.handler"
    assert props["StartingPosition"] == "TRIM_HORIZON"  # nothing written before the mapping existed is skipped
    assert props["BisectBatchOnFunctionError"] is True
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["MaximumRetryAttempts"] >= 10
    assert 0 < props["MaximumRecordAgeInSeconds"] <= 24 * 3600  # the stream keeps records 24 hours
    assert props.get("ParallelizationFactor", 1) == 1  # events about one request stay in order
    destination = synth.refers_to(mapping.stack, props["DestinationConfig"]["OnFailure"]["Destination"])
    queue = synth.get(destination)
    assert queue.body["Type"] == "AWS::SQS::Queue"
    assert queue.props["MessageRetentionPeriod"] == 14 * 24 * 3600
    # The publisher may send what failed to that queue, and nothing else to any queue.
    sends = [s for s in synth.role_statements(function) if "sqs:SendMessage" in s["Action"]]
    assert [synth.refers_to(function.stack, s["Resource"]) for s in sends] == [destination]


@pytest.mark.parametrize("table_of", [_requests_table, _permits_table], ids=["requests", "permits"])
def test_a_failed_outbox_batch_alarms_on_its_first_message(synth, table_of):
    mapping = _stream_mapping(synth, table_of)
    destination = synth.refers_to(mapping.stack, mapping.props["DestinationConfig"]["OnFailure"]["Destination"])
    alarms = [
        a
        for a in synth.resources("AWS::CloudWatch::Alarm")
        if a.props["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and any(synth.refers_to(a.stack, d["Value"]) == destination for d in a.props["Dimensions"])
    ]
    (alarm,) = alarms
    assert alarm.props["Threshold"] == 1
    assert alarm.props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm.props["AlarmActions"]


def test_the_writers_do_not_publish_and_the_outbox_publishes_to_the_events_topic(synth):
    functions = {f.props["Handler"]: f for f in synth.resources("AWS::Lambda::Function")}
    for writer in ("catalogue.handler.handler", "cases.handler.handler"):
        statements = synth.role_statements(functions[writer])
        assert not [s for s in statements if "sns:Publish" in s["Action"]], writer
        assert "EVENTS_TOPIC_ARN" not in functions[writer].props["Environment"]["Variables"], writer
    publishers = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == "outbox.handler.handler"]
    assert len(publishers) == 2  # the Requests table's and the Permits table's
    (events,) = [t for t in synth.resources("AWS::SNS::Topic") if t.stack.endswith("-Events")]
    for publisher in publishers:
        topic = synth.refers_to(publisher.stack, publisher.props["Environment"]["Variables"]["EVENTS_TOPIC_ARN"])
        assert topic == events.id
    # The issuer stores permit-issued with its write and never publishes itself.
    issuer = functions["permits.issue_handler.handler"]
    assert not [s for s in synth.role_statements(issuer) if "sns:Publish" in s["Action"]]
