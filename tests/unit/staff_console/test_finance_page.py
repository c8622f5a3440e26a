"""The finance page: GOV.UK date inputs with the error summary for a bad or reversed range (nothing audited, nothing
asked), and for a good one an audit entry, then the payments service's staff function (here its real handler,
in-process, on moto's tables) and the CSV as an attachment."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from console.finance_pages import AUDIT_RECORD
from console.payments_panel import Answer
from tests.helpers import FakeContext
from tests.unit.payments import test_finance_export as export_tests
from tests.unit.payments.payments_support import create_payments_table, create_refunds_table
from tests.unit.staff_console.conftest import Console

pytestmark = pytest.mark.unit
staff_function = export_tests.staff_function  # StaffPayments' environment as the stack sets it
export_service = export_tests.finance.export_service

JULY = {"from-day": "1", "from-month": "7", "from-year": "2026", "to-day": "31", "to-month": "7", "to-year": "2026"}


class Recorded:
    """The staff function as the console sees it: what it was asked, and a fixed answer."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer, self.asked = answer, []

    def __call__(self, event: dict[str, Any]) -> Answer:
        self.asked.append(event)
        return Answer(self.answer["status"], self.answer["body"])


def with_finance(console: Console, staff_payments: Any) -> Console:
    console.build(staff_payments)  # as console/handler.py builds it, with this as the staff function
    return console


def audit_entries() -> list[dict[str, Any]]:
    return boto3.resource("dynamodb").Table("audit").scan()["Items"]


CSV = {
    "status": 200,
    "body": {"filename": "borough-payments-2026-07-01-to-2026-07-31.csv", "csv": "date\r\n", "lines": 0},
}


def test_a_finance_officer_sees_the_form_and_a_caseworker_is_refused(console):
    with_finance(console, Recorded(CSV))
    page = console.get("/staff/finance", console.staff("fin", roles=("finance",)))
    assert page["statusCode"] == 200
    assert "Export payments and refunds" in page["body"]
    assert 'name="from-day"' in page["body"]
    assert 'name="to-year"' in page["body"]
    refused = console.get("/staff/finance", console.staff("case", roles=("caseworker",)))
    assert refused["statusCode"] == 403
    home = console.get("/staff/home", console.staff("fin2", roles=("finance",)))
    assert 'href="/staff/finance"' in home["body"]


@pytest.mark.parametrize(
    ("changes", "message", "field"),
    [
        ({"from-day": "", "from-month": "", "from-year": ""}, "Enter the start date", "from-day"),
        ({"to-month": ""}, "The end date must include a month", "to-month"),
        ({"from-day": "31", "from-month": "2"}, "The start date must be a real date", "from-day"),
        ({"from-year": "26"}, "The start date must be a real date", "from-day"),
        ({"to-month": "6", "to-day": "30"}, "The end date must be the same as or after the start date", "to-day"),
        ({"to-month": "10", "to-day": "1"}, "The date range must be 92 days or fewer", "to-day"),
    ],
)
def test_a_bad_range_is_shown_with_the_error_summary_and_nothing_is_asked(console, changes, message, field):
    recorded = Recorded(CSV)
    with_finance(console, recorded)
    page = console.get("/staff/finance", console.staff("fin", roles=("finance",)), **(JULY | changes))
    assert page["statusCode"] == 400
    assert "There is a problem" in page["body"]
    assert f'<a href="#{field}">{message}</a>' in page["body"]
    assert "govuk-form-group--error" in page["body"]
    assert recorded.asked == []
    assert audit_entries() == []


def test_a_good_range_is_audited_then_downloaded_as_an_attachment(console):
    recorded = Recorded(CSV)
    with_finance(console, recorded)
    tokens = console.staff("fin", roles=("finance",))
    answer = console.get("/staff/finance", tokens, **JULY)
    assert answer["statusCode"] == 200
    assert answer["headers"]["content-type"] == "text/csv; charset=utf-8"
    assert answer["headers"]["content-disposition"] == (
        'attachment; filename="borough-payments-2026-07-01-to-2026-07-31.csv"'
    )
    assert answer["headers"]["cache-control"] == "no-store"
    assert answer["body"] == "date\r\n"
    [event] = recorded.asked
    assert (event["action"], event["from"], event["to"]) == ("export", "2026-07-01", "2026-07-31")
    [entry] = audit_entries()
    assert entry["record"] == AUDIT_RECORD
    assert entry["action"] == "export-finance 2026-07-01 to 2026-07-31"
    assert entry["staff"] == event["staff"]["subject"] != ""


def test_when_payments_fails_the_form_says_so_and_nothing_is_downloaded(console):
    with_finance(console, Recorded({"status": 503, "body": {"detail": "GOV.UK Pay did not answer. Try again."}}))
    page = console.get("/staff/finance", console.staff("fin", roles=("finance",)), **JULY)
    assert page["statusCode"] == 503
    assert "GOV.UK Pay did not answer. Try again." in page["body"]
    assert page["headers"]["content-type"].startswith("text/html")


def test_without_the_payments_function_the_page_says_the_export_is_not_available(console):
    with_finance(console, None)
    page = console.get("/staff/finance", console.staff("fin", roles=("finance",)), **JULY)
    assert page["statusCode"] == 200
    assert "The export is not available" in page["body"]
    assert audit_entries() == []


def test_through_the_payments_staff_function_the_file_has_the_councils_records(console, monkeypatch, staff_function):
    from payments import finance, provider, staff

    dynamodb = boto3.client("dynamodb")
    create_payments_table(dynamodb, "payments")
    create_refunds_table(dynamodb, "refunds")
    boto3.resource("dynamodb").Table("payments").put_item(
        Item={
            "reference": "AC3E-4679",
            "attempt": 1,
            "service_id": "bulky-waste",
            "amount": 3300,
            "status": "failed",
            "finished": True,
            "return_token": "t",
            "created_at": "2026-07-14T10:00:00+00:00",
            "payment_id": "pay-1",
        }
    )
    monkeypatch.setattr(finance, "export_service", export_service)  # the real one, not the fixture's refusal
    export_service.cache_clear()
    monkeypatch.setattr(provider, "pay", lambda *_: None)  # no payment succeeded: Pay is not asked
    with_finance(console, lambda event: Answer(**staff.handler(event, FakeContext())))
    answer = console.get("/staff/finance", console.staff("fin", roles=("finance",)), **JULY)
    export_service.cache_clear()
    assert answer["statusCode"] == 200, answer["body"][:500]
    lines = answer["body"].splitlines()
    assert lines[0].startswith("date,time,request_reference,service,ledger_code")
    assert lines[1] == (
        "2026-07-14,11:00:00,AC3E-4679,Book a bulky waste collection,BW-4011,payment,pay-1,,3300,33.00,failed,"
    )
