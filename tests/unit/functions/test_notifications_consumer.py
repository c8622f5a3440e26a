"""The notifications consumer: one message per event and recipient, whatever the redelivery."""

from __future__ import annotations

import json

import pytest

from cases import logic as cases_logic
from catalogue import logic as catalogue_logic
from notifications import handler as notifications_handler
from notifications import logic
from notifications import settings as notifications_settings
from shared.events import EventEnvelope, EventType, new_event
from tests.helpers import FakeContext, sqs_event

pytestmark = pytest.mark.unit
STAFF = {"sub": "staff-1", "cognito:groups": ["caseworkers"]}


@pytest.fixture(autouse=True)
def _consumer_environment(monkeypatch):
    """What the consumer's settings require besides the tables here (these events never read them); the link key
    given directly, as only the local cloud (and tests) may."""
    monkeypatch.setenv("SUBSCRIPTIONS_TABLE", "subscriptions_table")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://borough.example")
    monkeypatch.setenv("LINK_SIGNING_KEY", "a-test-signing-key-of-enough-length-000")
    monkeypatch.setenv("BOROUGH_LOCAL_CLOUD", "1")
    notifications_settings.reset()
    yield
    notifications_settings.reset()


def report(contact: dict | None) -> str:
    body = {"description": "Graffiti on the bridge", "location": {"postcode": "ME14 1HQ"}}
    if contact is not None:
        body["contact"] = contact
    return catalogue_logic.submit_request("graffiti", body, correlation_id="corr-2")["reference"]


def acknowledged(reference: str) -> EventEnvelope:
    return new_event(
        EventType.REQUEST_ACKNOWLEDGED,
        source="test",
        correlation_id="corr-2",
        data={"reference": reference, "team": "Street cleansing", "expected_by": "2026-12-08"},
    )


def test_an_acknowledgement_is_recorded_once_even_when_delivered_twice(cloud):
    reference = report({"email": "resident@example.org"})
    event = acknowledged(reference).to_message()
    for _ in range(2):
        response = notifications_handler.handler(sqs_event(event), FakeContext())
        assert response["batchItemFailures"] == []
    [message] = cloud.items("NOTIFICATIONS_TABLE")
    assert message["reference"] == reference
    assert message["channel"] == "email"
    assert message["recipient"] == "resident@example.org"
    assert message["template"] == "acknowledgement"
    assert "Tuesday 8 December 2026" in message["body"]
    assert "Street cleansing" in message["body"]


def test_sms_when_only_a_phone_and_nothing_without_contact(cloud):
    by_phone = report({"phone": "07700 900123"})
    silent = report(None)
    notifications_handler.handler(
        sqs_event(acknowledged(by_phone).to_message(), acknowledged(silent).to_message()), FakeContext()
    )
    [message] = cloud.items("NOTIFICATIONS_TABLE")
    assert message["channel"] == "sms"
    assert message["recipient"] == "+447700900123"


def test_a_status_change_message_says_the_new_status(cloud):
    reference = report({"email": "resident@example.org"})
    cloud.published()  # the submission's own event
    change = cases_logic.StatusChange(
        status="not-council-responsibility", resident_update="Private land.", internal_note="Owner: 07700 900123"
    )
    cases_logic.change_status(reference, change, claims=STAFF, correlation_id="c")
    [event] = cloud.published()
    notifications_handler.handler(sqs_event(json.dumps(event)), FakeContext())
    [message] = cloud.items("NOTIFICATIONS_TABLE")
    assert message["body"].endswith("Not the council's responsibility. Private land.")
    assert "07700" not in json.dumps(message, default=str)


def test_a_malformed_message_fails_alone(cloud):
    reference = report({"email": "resident@example.org"})
    response = notifications_handler.handler(sqs_event("{}", acknowledged(reference).to_message()), FakeContext())
    assert len(response["batchItemFailures"]) == 1
    assert len(cloud.items("NOTIFICATIONS_TABLE")) == 1


def test_compose_ignores_events_it_has_no_template_for():
    event = new_event(EventType.REPORT_SUBMITTED, source="t", correlation_id="c", data={"reference": "X"})
    assert logic.compose(event, {"reference": "X", "contact": {"email": "a@b.org"}}) == []
    assert json.loads(event.to_message())["type"] == "report-submitted"
