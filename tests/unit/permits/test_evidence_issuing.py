"""Evidence on an application (permits.evidence) through applying, paying and staff's check: an upload holds the paid
application until staff verify it (then the permit is issued) or reject it (then it is refunded in full, once); a
check before payment lets the payment decide; each bad check writes nothing. Against moto's DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from permits import enforcement
from permits.application import ISSUED, PAID_NOT_ISSUED, Application, Applications, InvalidApplication
from permits.issuing import AWAITING_EVIDENCE, evidence_checked, issue_paid
from permits.refund_client import RefundAsk
from permits.staff import StaffPermits
from permits.staff_handler import answer as handler_answer
from permits.store import PermitsStore
from permits.zones import load_zones
from shared import outbox
from shared.events import EventEnvelope, EventType, derived_id
from tests.unit.permits.permits_support import create_permits_table
from tests.unit.permits.test_application import NOW, Dvla, request

pytestmark = pytest.mark.unit
LATER = datetime(2026, 6, 3, 9, 30, tzinfo=UTC)
STAFF = {"subject": "staff-sub-1", "roles": ["caseworker"]}
MANAGE = frozenset({"caseworker"})
STATION = {"uprn": "999000060001", "postcode": "ME16 8PQ", "street": "MILLPOND DRIVE"}  # zone D
UPLOAD = {"upload_id": "Q" * 22, "filename": "hire.pdf", "content_type": "application/pdf", "size_bytes": 2048}
EVIDENCE = {"residency": {"declared": True}, "keepership": {"upload": UPLOAD}}


@pytest.fixture
def table() -> Iterator[Any]:
    with mock_aws():
        yield create_permits_table(boto3.resource("dynamodb", region_name="eu-west-2"), "Permits")


class Refunds:
    def __init__(self) -> None:
        self.asked: list[RefundAsk] = []

    def __call__(self, ask: RefundAsk) -> str:
        self.asked.append(ask)
        return "submitted"


def applied(table: Any, **changes: Any) -> Application:
    service = Applications(zones=load_zones(), store=PermitsStore(table), vehicles=Dvla, clock=lambda: NOW)
    data = {"address": STATION, "kind": "temporary", "months": 3, "evidence": EVIDENCE, **changes}
    return service.apply(request(**data))


def paid(application: Application) -> EventEnvelope:
    return EventEnvelope(
        type=EventType.ORDER_PAID, id="e1", source="payments", correlation_id="c",
        data={"reference": application.reference, "service_id": "parking-permit", "attempt": "1",
              "payment_id": "pay1", "amount_pence": str(application.pence)},
    )  # fmt: skip


def checked_event(table: Any, reference: str) -> EventEnvelope:
    """The event the staff check stored in the application's outbox (as the stream would publish it)."""
    item = PermitsStore(table).get_application(reference)
    assert item is not None
    return EventEnvelope.model_validate_json(str(item[outbox.ATTRIBUTE]))


def check(table: Any, reference: str, outcome: str, note: str = "Hire agreement matches", **more: Any) -> dict:
    staff = StaffPermits(table=table, zones=load_zones(), clock=lambda: LATER)
    event = {"action": "check-evidence", "reference": reference, "outcome": outcome, "note": note, "staff": STAFF}
    return handler_answer(staff, {**event, **more}, manage_roles=MANAGE)


def look_up(table: Any) -> str:
    found = enforcement.check(PermitsStore(table), load_zones(), "LB19PTR", "D", datetime(2026, 6, 5, 12, tzinfo=UTC))
    return str(found.outcome)


def status(table: Any, reference: str) -> str:
    item = PermitsStore(table).get_application(reference)
    assert item is not None
    return str(item["status"])


def test_an_application_without_the_zones_evidence_is_refused_and_nothing_is_written(table):
    with pytest.raises(InvalidApplication, match=r"evidence\.keepership"):
        applied(table, evidence={"residency": {"declared": True}})
    with pytest.raises(InvalidApplication, match=r"evidence:"):
        applied(table, evidence=None)
    assert table.scan()["Items"] == []  # the test reads the whole table


def test_the_evidence_is_kept_on_the_application_with_the_declarations_words(table):
    application = applied(table)
    assert application.evidence_status == "awaiting"
    item = PermitsStore(table).get_application(application.reference)
    assert item is not None
    residency, keepership = item["evidence"]
    assert residency["method"] == "declaration"
    assert residency["words"].startswith("I declare that I live")
    assert keepership["key"] == f"uploads/parking-permit/{UPLOAD['upload_id']}"


def test_paid_before_the_check_it_waits_then_verified_it_is_issued_and_valid(table):
    application = applied(table)
    store = PermitsStore(table)
    assert issue_paid(store, paid(application), now=NOW).outcome == AWAITING_EVIDENCE
    assert status(table, application.reference) == AWAITING_EVIDENCE
    assert look_up(table) == "no-permit"  # no permit before the documents are verified
    assert issue_paid(store, paid(application), now=NOW).outcome == AWAITING_EVIDENCE  # a redelivery: still held
    record = check(table, application.reference, "verified")
    assert record["status"] == 200, record
    assert record["body"]["record"]["evidence_status"] == "verified"
    assert any(h["what"] == "Documents verified" for h in record["body"]["record"]["history"])
    event = checked_event(table, application.reference)
    assert event.type is EventType.PERMIT_EVIDENCE_CHECKED
    assert event.data == {"reference": application.reference, "outcome": "verified"}  # never the note
    assert event.id == derived_id(f"{application.reference}:evidence-checked")
    issued = evidence_checked(store, event, now=LATER)
    assert issued.outcome == ISSUED
    assert status(table, application.reference) == ISSUED
    assert look_up(table) == "valid"
    assert evidence_checked(store, event, now=LATER).outcome == ISSUED  # a redelivery issues nothing more


def test_verified_before_payment_the_payment_issues_at_once(table):
    application = applied(table)
    store = PermitsStore(table)
    assert check(table, application.reference, "verified")["status"] == 200
    assert evidence_checked(store, checked_event(table, application.reference)).outcome == "pending-payment"
    assert issue_paid(store, paid(application), now=NOW).outcome == ISSUED
    assert look_up(table) == "valid"


def test_rejected_after_payment_it_is_refunded_in_full_once_and_never_issued(table):
    application = applied(table)
    store, refunds = PermitsStore(table), Refunds()
    issue_paid(store, paid(application), now=NOW, refund=refunds)
    assert check(table, application.reference, "rejected", "The agreement is for another address")["status"] == 200
    event = checked_event(table, application.reference)
    assert evidence_checked(store, event, refund=refunds).outcome == PAID_NOT_ISSUED
    assert evidence_checked(store, event, refund=refunds).outcome == PAID_NOT_ISSUED  # a redelivery
    assert [(a.amount, a.key) for a in refunds.asked] == [(application.pence, f"not-issued:{application.reference}")]
    item = store.get_application(application.reference)
    assert item is not None
    assert (item["reason"], item["evidence_check"]["note"]) == ("evidence-rejected", "The agreement is for another "
                                                                "address")  # fmt: skip
    assert look_up(table) == "no-permit"


def test_rejected_before_payment_the_payment_is_refunded(table):
    application = applied(table)
    refunds = Refunds()
    check(table, application.reference, "rejected", "Not a hire agreement")
    assert issue_paid(PermitsStore(table), paid(application), now=NOW, refund=refunds).outcome == PAID_NOT_ISSUED
    assert len(refunds.asked) == 1
    assert look_up(table) == "no-permit"


def test_a_check_racing_the_payment_is_not_lost(table, monkeypatch):
    """The payment read the evidence as awaiting, staff verified it before the payment's hold was written: the hold's
    condition fails, and the payment reads the application again and issues."""
    application = applied(table)
    store = PermitsStore(table)
    stale = store.get_application(application.reference)
    check(table, application.reference, "verified")
    reads = iter([stale])
    real = store.get_application
    monkeypatch.setattr(store, "get_application", lambda ref: next(reads, None) or real(ref))
    assert issue_paid(store, paid(application), now=NOW).outcome == ISSUED


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"outcome": "maybe"}, 400, "outcome"),
        ({"note": "  "}, 400, "note"),
        ({"note": "x" * 501}, 400, "note"),
        ({"staff": {"subject": "s", "roles": ["viewer"]}}, 403, ""),
        ({"reference": "ZZZZ-ZZZZ"}, 404, ""),
    ],
)
def test_a_bad_check_writes_nothing(table, changes, code, field):
    application = applied(table)
    before = PermitsStore(table).get_application(application.reference)
    fields = {"reference": application.reference, "outcome": "verified", "note": "Checked", **changes}
    answered = check(table, fields.pop("reference"), fields.pop("outcome"), fields.pop("note"), **fields)
    assert (answered["status"], answered["body"]["field"]) == (code, field)
    assert PermitsStore(table).get_application(application.reference) == before


def test_nothing_to_check_is_409(table):
    no_upload = Applications(zones=load_zones(), store=PermitsStore(table), vehicles=Dvla, clock=lambda: NOW)
    resident = no_upload.apply(request(address=STATION, months=12))  # zone D asks no evidence of a resident permit
    assert resident.evidence_status == ""
    assert check(table, resident.reference, "verified")["status"] == 409
    application = applied(table)
    assert check(table, application.reference, "verified")["status"] == 200
    assert check(table, application.reference, "rejected")["status"] == 409  # checked already
