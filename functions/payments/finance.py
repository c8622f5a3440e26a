"""The finance export: every payment and refund in a date range, as CSV, for a finance officer reconciling the
council's ledger with GOV.UK Pay and the bank.

- The council's own records are the source: payment attempts from the Payments table and refunds from the
  Refunds table, read through indexes (never a Scan): attempts by service and creation time
  (`payments-by-service`: one Query per service with a fee), refunds by state and request time
  (`refunds-by-status`: one Query per state). Pay is asked only for what our records do not hold: each payment's
  `captured_date`, from one search of the same range (Pay's `settlement_summary`).
- A line per payment Pay made (any state: only `success` took money) and a negative line per refund (every refund
  but `not-created`, which Pay never made), in time order. The range is of London dates, both included.
- Each service's ledger code comes from its definition (`ledger_code`, required with a fee).
- CSV injection: a cell a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
  return) is prefixed with `'`, except a plain number (a refund's `-25.00` stays a number).
- Who may: the console (the only caller of the staff function) checks the `export-finance` permission and audits
  every export before it asks; payments checks it too, against `EXPORT_ROLES` (the roles holding it, derived by the
  stack from the console's roles.yaml). The staff member's `sub` comes with the request and is logged with the
  range (no personal data is in the file or the logs: references, amounts and Pay's ids only).
"""

from __future__ import annotations

import csv
import io
import re
import time as time_module
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from payments.adapters.base import PaymentProvider
from payments.adapters.errors import PayError
from payments.logic import iso, pay_date
from payments.refunds_store import NOT_CREATED, RefundRecord
from payments.settings import RefundsSettings
from payments.store import CREATING
from shared import aws
from shared.calendar import LONDON
from shared.catalogue import ServiceDefinition, load_catalogue
from shared.errors import BadRequest, BoroughError, DependencyFailed, Forbidden
from shared.fees import pounds
from shared.finance_export import range_problem
from shared.settings import cached

# Payments table: service_id + created_at, projecting amount, status and payment_id (stacks/payments_stack.py).
PAYMENTS_BY_SERVICE = "payments-by-service"
PAYMENTS_BY_SERVICE_FIELDS = ("amount", "status", "payment_id")
# Refunds table: status + requested_at, projecting what a line needs (not the reason, nor who asked).
REFUNDS_BY_STATUS = "refunds-by-status"
REFUNDS_BY_STATUS_FIELDS = ("attempt", "payment_id", "amount", "refund_id")
# The refund states a line is written for (not-created: Pay made no refund, nothing moved).
REFUND_STATES = ("requesting", "submitted", "success", "error")
COLUMNS = (
    "date",
    "time",
    "request_reference",
    "service",
    "ledger_code",
    "line",
    "pay_payment_id",
    "refund_id",
    "amount_pence",
    "amount_pounds",
    "state",
    "captured_date",
)
# Pay's created_date is a moment after our record's: search a little wider so a payment at the edge is found.
SEARCH_MARGIN = timedelta(hours=1)
# The staff function has 10 s: the search of Pay stops after this (then at most one more page, whose worst case is
# the adapter's 6 s, is in flight only if Pay is slow; see docs/payments.md).
CAPTURED_SEARCH_SECONDS = 3.0
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # included

    @classmethod
    def parse(cls, start: object, end: object) -> DateRange:
        """From `YYYY-MM-DD` strings; BadRequest (nothing read) when they are not dates or not a range."""
        try:
            if not (isinstance(start, str) and isinstance(end, str)):
                raise ValueError
            if not (_ISO_DATE.match(start) and _ISO_DATE.match(end)):
                raise ValueError
            found = cls(date.fromisoformat(start), date.fromisoformat(end))
        except ValueError:
            raise BadRequest("The range needs from and to dates as YYYY-MM-DD.") from None
        problem = range_problem(found.start, found.end)
        if problem:
            raise BadRequest(f"{problem}.")
        return found

    def bounds(self) -> tuple[datetime, datetime]:
        """[first moment, first moment after) in UTC: London midnight to London midnight."""
        first = datetime.combine(self.start, time(), LONDON).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(), LONDON).astimezone(UTC)
        return first, after

    @property
    def filename(self) -> str:
        return f"borough-payments-{self.start.isoformat()}-to-{self.end.isoformat()}.csv"


@dataclass(frozen=True)
class Line:
    at: datetime
    reference: str
    service_id: str
    line: str  # payment | refund
    payment_id: str
    refund_id: str
    amount: int  # pence; negative for a refund
    state: str
    captured_date: str = ""


def safe_cell(value: str) -> str:
    """A cell no spreadsheet runs: a leading formula character is neutralised with `'`, a plain number left be."""
    if value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def to_csv(lines: Iterable[Line], services: dict[str, ServiceDefinition]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for line in lines:
        definition = services.get(line.service_id)
        local = line.at.astimezone(LONDON)
        row = (
            local.date().isoformat(),
            local.strftime("%H:%M:%S"),
            line.reference,
            definition.title if definition else line.service_id,
            (definition.ledger_code or "") if definition else "",
            line.line,
            line.payment_id,
            line.refund_id,
            str(line.amount),
            pounds(line.amount),
            line.state,
            line.captured_date,
        )
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


class FinanceExport:
    def __init__(
        self,
        *,
        payments_table: Any,
        refunds_table: Any,
        provider: PaymentProvider,
        services: Callable[[], dict[str, ServiceDefinition]] = load_catalogue,
        monotonic: Callable[[], float] = time_module.monotonic,
    ) -> None:
        self._payments, self._refunds, self._provider = payments_table, refunds_table, provider
        self._services, self._monotonic = services, monotonic

    def export(self, window: DateRange) -> tuple[str, int]:
        """The CSV of `window` and its number of lines (the header not counted)."""
        services = self._services()
        first, after = window.bounds()
        payments = list(self._payment_lines(services, first, after))
        refunds = list(self._refund_lines(first, after))
        captured = self._captured_dates(first, after) if any(p.state == "success" for p in payments) else {}
        payments = [replace(p, captured_date=captured.get(p.payment_id, "")) for p in payments]
        lines = sorted([*payments, *refunds], key=lambda line: (line.at, line.reference, line.line, line.refund_id))
        return to_csv(lines, services), len(lines)

    def _query(self, table: Any, **query: Any) -> Iterator[dict[str, Any]]:
        while True:
            answer = table.query(**query)
            yield from answer["Items"]
            if "LastEvaluatedKey" not in answer:
                return
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _payment_lines(
        self, services: dict[str, ServiceDefinition], first: datetime, after: datetime
    ) -> Iterator[Line]:
        for service_id in sorted(s.id for s in services.values() if s.charges):
            for item in self._query(
                self._payments,
                IndexName=PAYMENTS_BY_SERVICE,
                KeyConditionExpression="service_id = :service AND created_at BETWEEN :first AND :last",
                ExpressionAttributeValues={
                    ":service": service_id,
                    ":first": iso(first),
                    ":last": iso(after - timedelta(seconds=1)),
                },
            ):
                payment_id, status = str(item.get("payment_id") or ""), str(item["status"])
                if not payment_id or status == CREATING:
                    continue  # Pay made no payment (or none is known yet): nothing for finance
                yield Line(
                    at=datetime.fromisoformat(str(item["created_at"])),
                    reference=str(item["reference"]),
                    service_id=str(item["service_id"]),
                    line="payment",
                    payment_id=payment_id,
                    refund_id="",
                    amount=int(item["amount"]),
                    state=status,
                )

    def _refund_lines(self, first: datetime, after: datetime) -> Iterator[Line]:
        services_of: dict[tuple[str, int], str] = {}
        for state in REFUND_STATES:
            for item in self._query(
                self._refunds,
                IndexName=REFUNDS_BY_STATUS,
                KeyConditionExpression="#status = :state AND requested_at BETWEEN :first AND :last",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":state": state,
                    ":first": iso(first),
                    ":last": iso(after - timedelta(seconds=1)),
                },
            ):
                refund = RefundRecord.from_item(item)
                if refund.status == NOT_CREATED:
                    continue
                key = (refund.reference, refund.attempt)
                if key not in services_of:
                    services_of[key] = self._service_of(*key)
                yield Line(
                    at=datetime.fromisoformat(refund.requested_at),
                    reference=refund.reference,
                    service_id=services_of[key],
                    line="refund",
                    payment_id=refund.payment_id,
                    refund_id=refund.refund_id,
                    amount=-refund.amount,
                    state=refund.status,
                )

    def _service_of(self, reference: str, attempt: int) -> str:
        """The service of the paid attempt a refund is of (a refund record does not repeat it): one Query by key."""
        found = self._payments.query(
            KeyConditionExpression="#ref = :ref AND attempt = :attempt",
            ExpressionAttributeNames={"#ref": "reference"},
            ExpressionAttributeValues={":ref": reference, ":attempt": attempt},
            ProjectionExpression="service_id",
        )["Items"]
        return str(found[0]["service_id"]) if found else ""

    def _captured_dates(self, first: datetime, after: datetime) -> dict[str, str]:
        """Pay's captured date of each payment created in the range (our records do not hold it), found within
        `CAPTURED_SEARCH_SECONDS` (pages of 500: a quarter of a council's payments is a few pages)."""
        started = self._monotonic()
        found: dict[str, str] = {}
        try:
            for payment in self._provider.search_payments(
                pay_date(first - SEARCH_MARGIN), pay_date(after + SEARCH_MARGIN)
            ):
                found[payment.payment_id] = payment.settlement_summary.captured_date or ""
                if self._monotonic() - started > CAPTURED_SEARCH_SECONDS:
                    raise DependencyFailed(
                        "GOV.UK Pay took too long to list the captured dates of this range. Nothing was exported: "
                        "export a shorter range."
                    )
            return found
        except PayError as error:
            raise DependencyFailed(
                "GOV.UK Pay did not answer for the captured dates. Nothing was exported: try again in a few minutes."
            ) from error


class FinanceSettings(RefundsSettings):
    """The staff function's settings with the export's own: the roles that hold `export-finance`."""

    export_roles: str = ""  # comma-separated; none: nobody may export

    @property
    def export_role_names(self) -> frozenset[str]:
        return frozenset(name.strip() for name in self.export_roles.split(",") if name.strip())


finance_settings = cached(FinanceSettings)


@cache
def export_service() -> FinanceExport:
    """Put together from the staff function's settings (once per container)."""
    from payments import provider

    configured = finance_settings()
    return FinanceExport(
        payments_table=aws.table(configured.payments_table),
        refunds_table=aws.table(configured.refunds_table),
        provider=provider.pay(configured.pay_api_key_secret_id, configured.pay_base_url),
    )


def handle_export(event: dict[str, Any]) -> dict[str, Any]:
    """The staff function's `export` action: `{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "staff": {"subject"}}`."""
    from shared.observability import logger

    staff = event.get("staff") or {}
    try:
        roles = {str(role) for role in staff.get("roles") or []}
        if not str(staff.get("subject") or "") or not roles & finance_settings().export_role_names:
            raise Forbidden("Only staff with the export-finance permission may export payments and refunds.")
        window = DateRange.parse(event.get("from"), event.get("to"))
        text, count = export_service().export(window)
    except BoroughError as error:
        return {"status": error.status, "body": {"detail": error.detail}}
    logger.info(
        "Finance export",
        extra={
            "from": window.start.isoformat(),
            "to": window.end.isoformat(),
            "lines": count,
            "staff": str(staff.get("subject", ""))[:128],
        },
    )
    return {"status": 200, "body": {"filename": window.filename, "csv": text, "lines": count}}
