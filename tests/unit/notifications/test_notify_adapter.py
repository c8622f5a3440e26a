"""The GOV.UK Notify adapter, through the official client, against the stand-in over real HTTP on 127.0.0.1."""

from __future__ import annotations

import pytest

from local.sandbox.notify import SANDBOX_SERVICE_ID
from notifications import templates
from notifications.adapters import Outgoing, PermanentFailure, RateLimited, TemporaryFailure
from notifications.adapters.notify import InvalidApiKey, NotifyAdapter

pytestmark = pytest.mark.unit

PERSONALISATION = {"reference": "GRF-1234-5678", "team": "Street cleansing", "expected_by": "Tuesday 8 December 2026"}


def email(**overrides) -> Outgoing:
    values = {
        "message_id": "3f0e7c1a-0000-4000-8000-000000000001",
        "channel": "email",
        "template": "acknowledgement",
        "recipient": "resident@example.org",
        "personalisation": PERSONALISATION,
        "body": "short",
    }
    return Outgoing(**(values | overrides))


def test_an_email_is_sent_with_our_message_id_as_reference(sandbox, notify):
    provider_id = notify.send_email(email())
    [message] = sandbox.sandbox.messages
    assert message.id == provider_id
    assert message.reference == "3f0e7c1a-0000-4000-8000-000000000001"
    assert message.recipient == "resident@example.org"
    assert message.subject == "We have received your report: GRF-1234-5678"
    assert "The Street cleansing team will deal with it by Tuesday 8 December 2026." in message.body


def test_an_sms_goes_to_a_uk_mobile_and_a_letter_to_an_address(sandbox, notify):
    notify.send_sms(email(channel="sms", recipient="+447700900123"))
    letter = PERSONALISATION | {
        "address_line_1": "A Resident",
        "address_line_2": "1 High Street",
        "address_line_3": "ME14 1HQ",
    }
    notify.send_letter(email(channel="letter", recipient="", personalisation=letter))
    assert [m.type for m in sandbox.sandbox.messages] == ["sms", "letter"]
    assert sandbox.sandbox.messages[0].recipient == "+447700900123"


def test_the_message_can_be_found_again_by_reference(sandbox, notify):
    provider_id = notify.send_email(email())
    assert notify.find_sent("3f0e7c1a-0000-4000-8000-000000000001") == provider_id
    assert notify.find_sent("3f0e7c1a-0000-4000-8000-000000000002") is None


def test_a_wrong_key_is_refused_with_403_as_notify_does(sandbox):
    wrong = NotifyAdapter(
        f"borough-{SANDBOX_SERVICE_ID}-00000000-0000-4000-8000-000000000000",
        template_ids=templates.notify_template_ids(),
        base_url=sandbox.url,
    )
    with pytest.raises(PermanentFailure) as refused:
        wrong.send_email(email())
    assert refused.value.code == "notify-auth"
    assert refused.value.alarm is True
    assert "API key not found" in refused.value.detail
    assert sandbox.sandbox.messages == []


def test_a_malformed_key_is_refused_without_showing_it():
    with pytest.raises(InvalidApiKey) as error:
        NotifyAdapter("not-a-key-secret-value", template_ids={})
    assert "secret-value" not in str(error.value)


def test_an_sms_over_918_characters_is_refused_before_sending(sandbox, notify):
    with pytest.raises(PermanentFailure) as refused:
        notify.send_sms(email(channel="sms", recipient="+447700900123", body="x" * 919))
    assert refused.value.code == "sms-too-long"
    assert sandbox.sandbox.requests == []


def test_an_sms_to_a_landline_is_refused_before_sending(sandbox, notify):
    with pytest.raises(PermanentFailure, match="not-a-uk-mobile"):
        notify.send_sms(email(channel="sms", recipient="+441632960001"))
    assert sandbox.sandbox.requests == []


def test_rate_limit_and_daily_limit_are_rate_limited(sandbox, notify):
    sandbox.sandbox.fail_next(
        429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"
    )
    with pytest.raises(RateLimited) as limited:
        notify.send_email(email())
    assert limited.value.retry_after == 60
    sandbox.sandbox.fail_next(429, "TooManyRequestsError", "Exceeded send limits (250000) for today")
    with pytest.raises(RateLimited, match="daily"):
        notify.send_email(email())


def test_the_stand_in_enforces_the_per_minute_limit(sandbox, notify):
    sandbox.sandbox.rate_limit_per_minute = 2
    notify.send_email(email())
    notify.send_email(email())
    with pytest.raises(RateLimited):
        notify.send_email(email())


def test_a_500_is_temporary_and_not_sent(sandbox, notify):
    sandbox.sandbox.fail_next(500, "Exception", "Internal server error")
    with pytest.raises(TemporaryFailure) as failed:
        notify.send_email(email())
    assert failed.value.maybe_sent is False


def test_no_answer_is_temporary_and_maybe_sent():
    unreachable = NotifyAdapter(
        f"borough-{SANDBOX_SERVICE_ID}-00000000-0000-4000-8000-000000000000",
        template_ids=templates.notify_template_ids(),
        base_url="http://127.0.0.1:9",  # discard port: nothing listens
        timeout=1,
    )
    with pytest.raises(TemporaryFailure) as failed:
        unreachable.send_email(email())
    assert failed.value.maybe_sent is True


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"recipient": "not-an-email"}, "invalid-email"),
        ({"template": "no-such-template"}, "template-not-configured"),
        ({"personalisation": {"reference": "X"}}, "notify-400-BadRequestError"),
    ],
)
def test_bad_requests_are_permanent(sandbox, notify, change, expected):
    with pytest.raises(PermanentFailure) as failed:
        notify.send_email(email(**change))
    assert failed.value.code == expected


def test_a_template_of_the_wrong_type_is_a_bad_request(sandbox):
    ids = templates.notify_template_ids()
    crossed = NotifyAdapter(
        f"borough_sandbox-{SANDBOX_SERVICE_ID}-7f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        template_ids={"acknowledgement:email": ids["acknowledgement:sms"]},
        base_url=sandbox.url,
    )
    with pytest.raises(PermanentFailure, match="not suitable"):
        crossed.send_email(email())


def test_template_ids_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NOTIFY_TEMPLATE_IDS", '{"acknowledgement:email": "11111111-1111-4111-8111-111111111111"}')
    assert templates.notify_template_ids()["acknowledgement:email"] == "11111111-1111-4111-8111-111111111111"
    assert templates.notify_template_ids()["acknowledgement:sms"] == "5c2c6ad8-6f3e-4d47-9d7e-0a1b2c3d4e02"
