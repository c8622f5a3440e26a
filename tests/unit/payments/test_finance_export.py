"""The finance export against moto tables (with the indexes the export reads) and the local Pay over HTTP: a line per
payment Pay made and a negative line per refund, by London date range, each with its service's ledger code and
Pay's captured date; read without a Scan; bad ranges refused before anything is read; CSV injection neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from payments import finance, staff
from payments.adapters.errors import ProviderUnavailable
from payments.adapters.models import Payment
from payments.finance import PAYMENTS_BY_SERVICE, REFUNDS_BY_STATUS, DateRange, FinanceExport, safe_cell
from shared import aws
from shared.catalogue import load_catalogue
from shared.errors import BadRequest, DependencyFailed
from tests.helpers import FakeContext
from tests.unit.payments import test_payments_refunds as refunds_tests
from tests.unit.payments.test_payments_refunds import REFERENCE, pay, refund, refunds_with

pytestmark = pytest.mark.unit


# The refunds tests' fixtures (moto's Requests, Payments and Refunds tables; the adapter on the local Pay).
tables = refunds_tests.tables
adapter = refunds_tests.adapter

FINANCE = {"subject": "finance-sub", "roles": ["finance"]}


def export_event(start: Any, end: Any, who: dict[str, Any] | None = FINANCE) -> dict[str, Any]:
    return {"action": "export", "from": start, "to": end} | ({"staff": who} if who is not None else {})


@pytest.fixture
def staff_function(monkeypatch) -> Iterator[None]:
    """The StaffPayments function's environment as the stack sets it (EXPORT_ROLES from roles.yaml: finance); the
    export itself is not built unless a test builds it."""
    from payments.settings import refunds_settings

    variables = {"PAYMENTS_TABLE": "payments", "REFUNDS_TABLE": "refunds", "PAY_API_KEY_SECRET_ID": "k"}
    for name, value in (variables | {"EXPORT_ROLES": "finance"}).items():
        monkeypatch.setenv(name, value)

    def nothing_to_read() -> FinanceExport:
        raise AssertionError("the export was built for a refused request")

    monkeypatch.setattr(finance, "export_service", nothing_to_read)
    for cached in (refunds_settings, finance.finance_settings):
        cached.cache_clear()
    yield
    for cached in (refunds_settings, finance.finance_settings):
        cached.cache_clear()


MARCH_2 = DateRange(date(2026, 3, 2), date(2026, 3, 2))  # the day pay() pays on (pay_support.START)


class Spy:
    """A table that records what is asked of it (and has no scan)."""

    def __init__(self, table: Any) -> None:
        self.table, self.calls = table, []

    def query(self, **query: Any) -> Any:
        self.calls.append(("query", query.get("IndexName")))
        return self.table.query(**query)


def exporter(provider: Any) -> tuple[FinanceExport, Spy, Spy]:
    payments, refunds = Spy(aws.table("payments")), Spy(aws.table("refunds"))
    return FinanceExport(payments_table=payments, refunds_table=refunds, provider=provider), payments, refunds


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def put_attempt(reference: str, created_at: str, **fields: Any) -> None:
    aws.table("payments").put_item(
        Item={
            "reference": reference,
            "attempt": 1,
            "service_id": "garden-waste",
            "amount": 5200,
            "status": "success",
            "finished": True,
            "return_token": "t-" + reference,
            "created_at": created_at,
            "payment_id": "pay-" + reference,
            "next_url": "https://card.example/secret",
        }
        | fields
    )


def test_a_payment_and_its_refund_are_two_lines_with_the_ledger_code_and_the_captured_date(
    tables, running, adapter, clock
):
    payment_id = pay(running, adapter, clock)
    clock.advance(hours=2)
    made = refund(refunds_with(adapter, clock), 1000, number=1)
    export, payments, refunds = exporter(adapter)
    text, count = export.export(MARCH_2)
    assert text.startswith(",".join(finance.COLUMNS) + "\r\n")
    paid, refunded = rows(text)
    assert count == 2
    assert paid == {
        "date": "2026-03-02",
        "time": "09:00:00",
        "request_reference": REFERENCE,
        "service": "Book a bulky waste collection",
        "ledger_code": "BW-4011",
        "line": "payment",
        "pay_payment_id": payment_id,
        "refund_id": "",
        "amount_pence": "3500",
        "amount_pounds": "35.00",
        "state": "success",
        "captured_date": "2026-03-02",  # from Pay's search: our records do not hold it
    }
    assert refunded | {"time": ""} == paid | {
        "time": "",
        "line": "refund",
        "refund_id": made.refund_id,
        "amount_pence": "-1000",
        "amount_pounds": "-10.00",
        "state": "submitted",
        "captured_date": "",
    }
    assert made.refund_id
    # Read through the indexes, one Query per fee service and per refund state, never a Scan (a Spy has none); the
    # refund's service from its paid attempt, by key.
    fee_services = len([s for s in load_catalogue().values() if s.charges])
    assert payments.calls == [("query", PAYMENTS_BY_SERVICE)] * fee_services + [("query", None)]
    assert refunds.calls == [("query", REFUNDS_BY_STATUS)] * len(finance.REFUND_STATES)


def test_a_range_without_that_day_has_the_header_only(tables, running, adapter, clock):
    pay(running, adapter, clock)
    export, _, _ = exporter(adapter)
    for window in (DateRange(date(2026, 3, 1), date(2026, 3, 1)), DateRange(date(2026, 3, 3), date(2026, 4, 1))):
        text, count = export.export(window)
        assert (rows(text), count) == ([], 0)


class NoPay:
    """A provider that must not be asked (no successful payment in the range), or that is down."""

    def __init__(self, down: bool = False) -> None:
        self.down, self.asked = down, 0

    def search_payments(self, *args: Any, **kwargs: Any):
        self.asked += 1
        if self.down:
            raise ProviderUnavailable("down")
        return iter(())


def test_the_range_is_of_london_dates_both_included(tables):
    put_attempt("AAAA-0001", "2026-06-30T22:59:59+00:00")  # 30 June, 23:59:59 in London (BST)
    put_attempt("AAAA-0002", "2026-06-30T23:00:00+00:00")  # 1 July, midnight in London
    put_attempt("AAAA-0003", "2026-07-31T22:59:59+00:00")  # 31 July, 23:59:59 in London
    put_attempt("AAAA-0004", "2026-07-31T23:00:00+00:00")  # 1 August in London
    text, _ = exporter(NoPay())[0].export(DateRange(date(2026, 7, 1), date(2026, 7, 31)))
    found = rows(text)
    assert [r["request_reference"] for r in found] == ["AAAA-0002", "AAAA-0003"]
    assert [(r["date"], r["time"]) for r in found] == [("2026-07-01", "00:00:00"), ("2026-07-31", "23:59:59")]
    assert {r["ledger_code"] for r in found} == {"GW-4021"}


def test_every_payment_pay_made_is_a_line_with_its_state_and_none_it_did_not(tables):
    put_attempt("BBBB-0001", "2026-07-01T09:00:00+00:00", status="failed", code="P0010")
    put_attempt("BBBB-0002", "2026-07-01T10:00:00+00:00", status="not-created", payment_id="")
    put_attempt("BBBB-0003", "2026-07-01T11:00:00+00:00", status="creating", payment_id="")
    pay_down = NoPay(down=True)
    text, count = exporter(pay_down)[0].export(DateRange(date(2026, 7, 1), date(2026, 7, 1)))
    assert [(r["request_reference"], r["state"], r["captured_date"]) for r in rows(text)] == [
        ("BBBB-0001", "failed", "")
    ]
    assert (count, pay_down.asked) == (1, 0)  # no payment succeeded: Pay is not asked for captured dates
    assert "card.example" not in text


class SlowPay:
    """Pay's search, page after page, while the clock runs on."""

    def __init__(self, clock: list[float]) -> None:
        self.clock = clock

    def search_payments(self, *args: Any, **kwargs: Any):
        for n in range(10_000):
            self.clock[0] += 0.01
            yield Payment.model_validate(
                {
                    "payment_id": f"p{n}",
                    "amount": 100,
                    "reference": "x",
                    "description": "d",
                    "state": {"status": "success", "finished": True},
                    "created_date": "2026-07-01T09:00:00.000Z",
                }
            )


def test_a_search_of_pay_that_outlasts_its_budget_exports_nothing_and_asks_for_a_shorter_range(tables):
    put_attempt("CCCC-0002", "2026-07-01T09:00:00+00:00")
    clock = [0.0]
    export = FinanceExport(
        payments_table=aws.table("payments"),
        refunds_table=aws.table("refunds"),
        provider=SlowPay(clock),
        monotonic=lambda: clock[0],
    )
    with pytest.raises(DependencyFailed) as failed:
        export.export(DateRange(date(2026, 7, 1), date(2026, 7, 1)))
    assert "export a shorter range" in failed.value.detail
    assert clock[0] <= finance.CAPTURED_SEARCH_SECONDS + 0.02


def test_pay_unreachable_exports_nothing_and_says_try_again(tables):
    put_attempt("CCCC-0001", "2026-07-01T09:00:00+00:00")
    with pytest.raises(DependencyFailed) as failed:
        exporter(NoPay(down=True))[0].export(DateRange(date(2026, 7, 1), date(2026, 7, 1)))
    assert "try again" in failed.value.detail


def test_cells_a_spreadsheet_would_run_are_neutralised_and_numbers_are_not():
    for formula in ("=HYPERLINK(1)", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(formula) == "'" + formula
    for plain in ("-10.00", "-1000", "3500", "BW-4011", "success", ""):
        assert safe_cell(plain) == plain


def test_a_hostile_value_in_a_record_reaches_the_file_as_text(tables):
    put_attempt("DDDD-0001", "2026-07-01T09:00:00+00:00", status="failed", payment_id='=HYPERLINK("http://x")')
    text, _ = exporter(NoPay())[0].export(DateRange(date(2026, 7, 1), date(2026, 7, 1)))
    [line] = rows(text)
    assert line["pay_payment_id"] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        ("2026-07-02", "2026-07-01", "The end date must be the same as or after the start date."),
        ("2026-01-01", "2026-04-03", "The date range must be 92 days or fewer."),
        ("2026-02-30", "2026-03-01", "YYYY-MM-DD"),
        ("01/07/2026", "2026-07-31", "YYYY-MM-DD"),
        (None, "2026-07-31", "YYYY-MM-DD"),
        (20260701, "2026-07-31", "YYYY-MM-DD"),
    ],
)
def test_a_bad_range_is_refused_before_anything_is_read(staff_function, start, end, words):
    answer = staff.handler(export_event(start, end), FakeContext())
    assert answer["status"] == 400
    assert words in answer["body"]["detail"]
    with pytest.raises(BadRequest):
        DateRange.parse(start, end)


@pytest.mark.parametrize(
    "who",
    [
        {"subject": "caseworker-sub", "roles": ["caseworker"]},
        {"subject": "", "roles": ["finance"]},
        {"subject": "finance-sub"},
        None,
    ],
)
def test_payments_checks_the_export_permission_itself(staff_function, who):
    answer = staff.handler(export_event("2026-07-01", "2026-07-31", who), FakeContext())
    assert answer["status"] == 403
    assert "export-finance" in answer["body"]["detail"]


def test_92_days_is_allowed_and_named_in_the_file(monkeypatch):
    window = DateRange.parse("2026-07-01", "2026-09-30")
    assert (window.end - window.start).days + 1 == 92
    assert window.filename == "borough-payments-2026-07-01-to-2026-09-30.csv"
    first, after = window.bounds()
    assert (first, after) == (datetime(2026, 6, 30, 23, tzinfo=UTC), datetime(2026, 9, 30, 23, tzinfo=UTC))


def test_the_staff_function_answers_the_csv(monkeypatch, staff_function, tables):
    put_attempt("EEEE-0001", "2026-07-01T09:00:00+00:00", status="failed")
    built = FinanceExport(payments_table=aws.table("payments"), refunds_table=aws.table("refunds"), provider=NoPay())
    monkeypatch.setattr(finance, "export_service", lambda: built)
    answer = staff.handler(export_event("2026-07-01", "2026-07-01"), FakeContext())
    assert answer["status"] == 200
    assert answer["body"]["filename"] == "borough-payments-2026-07-01-to-2026-07-01.csv"
    assert answer["body"]["lines"] == 1
    assert "EEEE-0001" in answer["body"]["csv"]


def test_the_ledger_code_is_in_the_definition_and_not_in_the_public_api():
    bulky = load_catalogue()["bulky-waste"]
    assert bulky.ledger_code == "BW-4011"
    assert "ledger_code" not in bulky.public()
    assert all(d.ledger_code for d in load_catalogue().values() if d.charges)
