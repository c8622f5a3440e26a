"""Events: queues encrypted at rest, a dead-letter queue behind every consumer queue, filtered subscriptions."""

from __future__ import annotations

import pytest

from shared.events import CONSUMERS

pytestmark = pytest.mark.infra


def _queues(synth):
    queues = synth.resources("AWS::SQS::Queue")
    dead_letter_targets = synth.dead_letter_queues()
    consumers = [q for q in queues if q.id not in dead_letter_targets]
    return consumers, dead_letter_targets, queues


def test_every_consumer_queue_redrives_to_a_dead_letter_queue(synth):
    consumers, dead_letters, _ = _queues(synth)
    assert len(consumers) >= len(CONSUMERS)
    for queue in consumers:
        redrive = queue.props.get("RedrivePolicy")
        assert redrive, f"{queue.id} has no dead-letter queue"
        assert 1 < redrive["maxReceiveCount"] <= 10, queue.id
        target = synth.refers_to(queue.stack, redrive["deadLetterTargetArn"])
        assert target in dead_letters
        assert target != queue.id


def test_dead_letter_queues_keep_messages_for_the_maximum_time(synth):
    _, dead_letters, _ = _queues(synth)
    assert dead_letters
    for dlq in dead_letters:
        assert synth.get(dlq).props.get("MessageRetentionPeriod") == 14 * 24 * 3600, dlq


def test_every_queue_is_encrypted_at_rest(synth):
    # Queues hold identifiers only (no personal data): SQS-managed encryption, no KMS request per message.
    queues = _queues(synth)[2]
    assert queues
    for queue in queues:
        assert queue.props.get("SqsManagedSseEnabled") is True or queue.props.get("KmsMasterKeyId"), queue.id


def test_the_events_topic_has_no_kms_key_and_says_why(synth):
    [events] = [t for t in synth.resources("AWS::SNS::Topic") if t.stack.endswith("-Events")]
    assert "KmsMasterKeyId" not in events.props
    reasons = events.body["Metadata"]["cdk_nag"]["rules_to_suppress"]
    assert [r["id"] for r in reasons] == ["AwsSolutions-SNS2"]
    assert "personal data" in reasons[0]["reason"]


def test_queues_and_topics_refuse_plain_http(synth):
    for policy_type, document in (
        ("AWS::SQS::QueuePolicy", "PolicyDocument"),
        ("AWS::SNS::TopicPolicy", "PolicyDocument"),
    ):
        for policy in synth.resources(policy_type):
            statements = policy.props[document]["Statement"]
            assert any(
                s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
                for s in statements
            ), policy.id


def test_every_queue_subscription_filters_on_the_event_type(synth):
    subscriptions = [s for s in synth.resources("AWS::SNS::Subscription") if s.props["Protocol"] == "sqs"]
    wanted = {tuple(sorted(t.value for t in types)) for types in CONSUMERS.values()}
    seen = set()
    for subscription in subscriptions:
        policy = subscription.props.get("FilterPolicy")
        assert policy, subscription.id
        assert set(policy) == {"type"}, subscription.id
        assert subscription.props.get("FilterPolicyScope", "MessageAttributes") == "MessageAttributes"
        assert subscription.props.get("RawMessageDelivery") is True, subscription.id
        seen.add(tuple(sorted(policy["type"])))
    assert seen == wanted
