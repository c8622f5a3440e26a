"""Permit messages (notifications/permit_messages.py): each of the seven permit events becomes one email whose words
say what happened, with the address and mark from the permits service's `contact` answer (its shape built here by
`permits.application.Application.contact`, the permits function's own code); sent once however often the event
comes; nothing for an application the permits service does not have; a failed invoke retries the event; no email
address or mark in the logs."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import pytest

from notifications import permit_messages
from permits.application import Application
from permits.zones import PermitType
from shared.events import CONSUMERS, EventEnvelope, EventType, new_event
from tests.helpers import FakeContext, function_logs, sqs_event

pytestmark = pytest.mark.unit

REFERENCE = "7KXM-3RAH"
EMAIL = "private.resident@example.org"
MARK = "LB19PTR"


def application(**changes: Any) -> Application:
    fields: dict[str, Any] = {
        "reference": REFERENCE, "status": "issued", "vrm": MARK, "zone": "B", "kind": PermitType.RESIDENT,
        "months": 12, "valid_from": date(2026, 6, 1), "valid_to": date(2027, 5, 31), "pence": 8000, "reasons": (),
        "uprn": "100000000001", "vehicle_source": "dvla", "needs_verification": False,
        "created_at": "2026-06-01T10:00:00+00:00", "permit_id": "p" * 32, "email": EMAIL,
    }  # fmt: skip
    return Application(**(fields | changes))


class Permits:
    """The PermitApplications function as the consumer invokes it: it gives `answer`, and keeps what it was asked."""

    def __init__(self) -> None:
        self.answer: dict[str, Any] = {"status": 200, "body": application().contact()}
        self.asked: list[dict[str, Any]] = []

    def __call__(self, request: dict[str, Any]) -> dict[str, Any]:
        self.asked.append(request)
        return self.answer


@pytest.fixture
def permits(monkeypatch: pytest.MonkeyPatch) -> Permits:
    fake = Permits()
    monkeypatch.setenv("PERMIT_APPLICATIONS_FUNCTION", "Borough-dev-PermitApplications")
    monkeypatch.setattr(permit_messages, "invoke_permits", fake)
    return fake


def event(type_: EventType, **data: Any) -> EventEnvelope:
    return new_event(type_, source="permits", correlation_id="corr", data={"reference": REFERENCE, **data})


ISSUED = {"permit_id": "p" * 32, "zone": "B", "kind": "resident", "valid_from": "2026-06-01", "valid_to": "2027-05-31"}


def run(*events: EventEnvelope) -> list[dict[str, Any]]:
    return handler_run(*events)["batchItemFailures"]


def handler_run(*events: EventEnvelope) -> dict[str, Any]:
    from notifications import handler

    return handler.handler(sqs_event(*(e.to_message() for e in events)), FakeContext())


def test_the_notifications_queue_receives_all_seven_permit_event_types():
    assert set(permit_messages.EVENT_TYPES) == {
        EventType.PERMIT_ISSUED,
        EventType.PERMIT_RENEWAL_DUE,
        EventType.PERMIT_APPLICATION_EXPIRING,
        EventType.PERMIT_APPLICATION_CANCELLED,
        EventType.PERMIT_VEHICLE_CHANGED,
        EventType.PERMIT_ENDED,
        EventType.PERMIT_REPRICED,
    }
    assert set(permit_messages.EVENT_TYPES) <= set(CONSUMERS["notifications"])


def test_an_issued_permit_is_emailed_its_mark_zone_and_dates_once(use_notify, cloud, permits):
    issued = event(EventType.PERMIT_ISSUED, **ISSUED)
    assert run(issued) == []
    assert run(issued) == []  # at-least-once delivery: the same event again sends nothing
    [sent] = use_notify.sandbox.messages
    assert (sent.type, sent.recipient) == ("email", EMAIL)
    assert sent.subject == "Your parking permit for LB19PTR is issued"
    assert "Your parking permit for LB19PTR in zone B is issued." in sent.body
    assert "valid from 1 June 2026 to 31 May 2027, both days included" in sent.body
    assert f"Application reference: {REFERENCE}." in sent.body
    assert [a["action"] for a in permits.asked] == ["contact", "contact"]
    assert permits.asked[0]["reference"] == REFERENCE
    [record] = cloud.items("NOTIFICATIONS_TABLE")
    assert (record["template"], record["event_type"], record["status"]) == ("permit-issued", "permit-issued", "sent")


@pytest.mark.parametrize(
    ("renew_path", "words"),
    [
        (None, "To renew it, apply for a new permit at https://borough.example/permits before then."),
        ("/permits/renew/7KXM-3RAH", "To renew it, check your details and pay here: "
         "https://borough.example/permits/renew/7KXM-3RAH"),
        ("https://elsewhere.example/x", "apply for a new permit at https://borough.example/permits"),  # not a path
    ],
)  # fmt: skip
def test_renewal_due_says_when_it_ends_how_many_days_are_left_and_how_to_renew(
    use_notify, cloud, permits, renew_path, words
):
    if renew_path is not None:
        permits.answer["body"]["renew_path"] = renew_path
    assert run(event(EventType.PERMIT_RENEWAL_DUE, permit_id="p" * 32, valid_to="2027-05-31", days_left=7)) == []
    [sent] = use_notify.sandbox.messages
    assert sent.subject == "Your parking permit for LB19PTR ends on 31 May 2027"
    assert "in zone B ends on 31 May 2027, in 7 days." in sent.body
    assert words in sent.body
    [record] = cloud.items("NOTIFICATIONS_TABLE")
    assert "/permits/renew/" not in str(record)  # the bearer link is not kept
    assert "[how to renew, with the permit's renewal link]" in record["body"]


def test_one_day_left_is_said_in_the_singular(cloud, permits):
    [message] = permit_messages.compose(
        event(EventType.PERMIT_RENEWAL_DUE, permit_id="p", valid_to="2027-05-31", days_left=1)
    )
    assert "in 1 day." in message["body"]


def test_an_unpaid_application_is_warned_before_it_is_cancelled_then_told_it_was(cloud, permits):
    permits.answer["body"] = application(status="pending-payment", permit_id="").contact()
    [warning] = permit_messages.compose(event(EventType.PERMIT_APPLICATION_EXPIRING, cancels_on="2026-07-01"))
    assert warning["subject"] == f"Your parking permit application {REFERENCE} will be cancelled on 1 July 2026"
    assert "has not been paid for. If it is still unpaid on 1 July 2026, it will be cancelled" in warning["body"]
    assert "apply again at https://borough.example/permits" in warning["body"]
    [cancelled] = permit_messages.compose(event(EventType.PERMIT_APPLICATION_CANCELLED))
    assert cancelled["subject"] == f"Your parking permit application {REFERENCE} is cancelled"
    assert "was not paid for within 30 days, so it has been cancelled. You have not been charged." in cancelled["body"]
    assert warning["template"] == "permit-application-expiring"
    assert cancelled["template"] == "permit-application-cancelled"


@pytest.mark.parametrize(
    ("pence", "words"),
    [
        (1250, "We charged you £12.50 for the change."),
        (-400, "We are refunding £4.00 to the card you paid with."),
        (0, "There was nothing to pay and nothing to refund."),
    ],
)
def test_a_change_of_vehicle_names_the_new_mark_and_the_amount_charged_or_refunded(cloud, permits, pence, words):
    permits.answer["body"] = application(vrm="KX68DSL").contact()
    [message] = permit_messages.compose(event(EventType.PERMIT_VEHICLE_CHANGED, permit_id="p", amount_pence=pence))
    assert message["subject"] == "Your parking permit is now for KX68DSL"
    assert "in zone B is now for the vehicle KX68DSL" in message["body"]
    assert "valid until 31 May 2027" in message["body"]
    assert words in message["body"]


@pytest.mark.parametrize(
    ("pence", "words"),
    [(3300, "We are refunding £33.00 to the card you paid with."), (0, "There is no refund.")],
)
def test_an_ended_permit_says_when_it_ended_and_the_refund(cloud, permits, pence, words):
    [message] = permit_messages.compose(
        event(EventType.PERMIT_ENDED, permit_id="p", ended_on="2026-09-14", refund_pence=pence)
    )
    assert message["subject"] == "Your parking permit for LB19PTR has ended"
    assert "in zone B ended on 14 September 2026" in message["body"]
    assert words in message["body"]


def test_an_application_the_permits_service_does_not_have_sends_nothing(use_notify, cloud, permits):
    permits.answer = {"status": 404, "body": {"detail": "There is no application with this reference."}}
    assert run(event(EventType.PERMIT_ISSUED, **ISSUED)) == []
    assert use_notify.sandbox.messages == []
    assert cloud.items("NOTIFICATIONS_TABLE") == []


@pytest.mark.parametrize("answer", [{}, {"status": 503, "body": {}}, {"status": 200, "body": "x"}])
def test_a_failed_invoke_retries_the_event_and_records_nothing(use_notify, cloud, permits, answer):
    permits.answer = answer
    failures = run(event(EventType.PERMIT_ISSUED, **ISSUED))
    assert len(failures) == 1
    assert use_notify.sandbox.messages == []
    assert cloud.items("NOTIFICATIONS_TABLE") == []


def test_without_the_function_name_the_event_is_retried(cloud, monkeypatch):
    monkeypatch.delenv("PERMIT_APPLICATIONS_FUNCTION", raising=False)
    assert len(run(event(EventType.PERMIT_ISSUED, **ISSUED))) == 1
    assert cloud.items("NOTIFICATIONS_TABLE") == []


def test_neither_the_email_nor_the_mark_is_logged(use_notify, cloud, permits, caplog):
    caplog.set_level(logging.INFO)
    with function_logs() as logs:
        assert run(event(EventType.PERMIT_ISSUED, **ISSUED)) == []
        permits.answer = {"status": 404, "body": {}}
        assert run(event(EventType.PERMIT_ENDED, permit_id="p", ended_on="2026-09-14", refund_pence=0)) == []
    written = logs.getvalue() + caplog.text
    assert "permit-issued" in written  # the logs were captured
    assert EMAIL not in written
    assert MARK not in written


def test_the_issued_email_carries_the_manage_link_which_the_record_does_not_keep(use_notify, cloud, permits):
    token = "7KXM3RAH.1900000000.c2lnbmVk"
    permits.answer = {**permits.answer, "body": {**permits.answer["body"], "manage_path": f"/permits/manage/{token}"}}
    assert run(event(EventType.PERMIT_ISSUED, **ISSUED)) == []
    [sent] = use_notify.sandbox.messages
    assert f"To change the vehicle or cancel the permit: https://borough.example/permits/manage/{token}." in sent.body
    [record] = cloud.items("NOTIFICATIONS_TABLE")
    assert token not in str(record)
    assert "[manage link]" in str(record)


@pytest.mark.parametrize(
    ("pence", "words"),
    [
        (1250, "There is £12.50 to pay: pay it from your permit's page, at the link below."),
        (-400, "We are refunding £4.00 to the card you paid with."),
        (0, "The price is the same: there is nothing to pay and nothing to refund."),
    ],
)
def test_a_repriced_permit_says_what_to_pay_or_what_is_refunded_with_the_manage_link_not_kept(
    use_notify, cloud, permits, pence, words
):
    token = "7KXM3RAH.1900000000.c2lnbmVk"
    permits.answer["body"]["manage_path"] = f"/permits/manage/{token}"
    repriced = event(EventType.PERMIT_REPRICED, permit_id="p" * 32, change_reference="9ABC-DEFG", amount_pence=pence)
    assert run(repriced) == []
    assert run(repriced) == []  # once
    [sent] = use_notify.sandbox.messages
    assert sent.subject == "We corrected the vehicle details on your parking permit for LB19PTR"
    assert "checked the details you gave us for the vehicle LB19PTR with DVLA, and corrected them" in sent.body
    assert "in zone B is priced again for the months left, to 31 May 2027." in sent.body
    assert words in sent.body
    assert f"Your permit: https://borough.example/permits/manage/{token}" in sent.body
    [record] = cloud.items("NOTIFICATIONS_TABLE")
    assert token not in str(record)
    assert "[manage link]" in str(record)


def test_an_issued_email_without_a_manage_link_says_it_cannot_be_changed_online(use_notify, cloud, permits):
    assert run(event(EventType.PERMIT_ISSUED, **ISSUED)) == []
    [sent] = use_notify.sandbox.messages
    assert "this permit can no longer be changed online" in sent.body


def test_a_carer_permit_with_no_mark_is_emailed_as_for_the_carers_vehicle(use_notify, cloud, permits):
    permits.answer = {"status": 200, "body": {**application().contact(), "kind": "carer", "vrm": ""}}
    assert run(event(EventType.PERMIT_ISSUED, **{**ISSUED, "kind": "carer"})) == []
    [sent] = use_notify.sandbox.messages
    assert sent.subject == "Your parking permit for your carer's vehicle is issued"
