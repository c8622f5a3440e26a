"""The finance page (`GET /staff/finance`, permission `export-finance`): a from/to form of GOV.UK date inputs that
downloads the CSV of payments and refunds in that range (payments/finance.py).

- The console may not read the payments service's tables: it invokes the payments service's staff function
  (`STAFF_PAYMENTS_FUNCTION`) with `{"action": "export", "from", "to", "staff"}` and hands the file it answers to
  the browser as an attachment.
- The form is a GET (an export changes nothing), so the page itself is the download link; the range is checked here
  (every field, then `shared.finance_export.range_problem`: the end not before the start, 92 days at most) with the
  GOV.UK error summary, and again by payments.
- Every export is audited before anything is asked (record `finance-export`, action `export-finance <from> to
  <to>`): if the entry cannot be written, nothing is exported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from console.app import Page, StaffRequest
from console.pages import Pages
from console.payments_panel import StaffPayments
from shared.finance_export import MAX_DAYS, range_problem
from shared.observability import logger

AUDIT_RECORD = "finance-export"
FIELDS = ("day", "month", "year")
ENDS = {"from": "start", "to": "end"}
UNANSWERED = "The payments service did not answer. Nothing was exported: try again in a few minutes."


@dataclass(frozen=True)
class DateField:
    name: str  # from | to
    values: dict[str, str]
    error: str = ""
    wrong: tuple[str, ...] = ()  # which of day, month, year to mark
    value: date | None = None


def read_date(query: dict[str, str], name: str) -> DateField:
    """One GOV.UK date input (`<name>-day`, `-month`, `-year`), with the Design System's error wording."""
    what = ENDS[name]
    values = {part: query.get(f"{name}-{part}", "").strip()[:8] for part in FIELDS}
    missing = tuple(part for part in FIELDS if not values[part])
    if len(missing) == len(FIELDS):
        return DateField(name, values, f"Enter the {what} date", FIELDS)
    if missing:
        return DateField(name, values, f"The {what} date must include a {' and '.join(missing)}", missing)
    try:
        day, month, year = (int(values[part]) for part in FIELDS)
        if year < 1000:
            raise ValueError
        return DateField(name, values, value=date(year, month, day))
    except ValueError:
        return DateField(name, values, f"The {what} date must be a real date", FIELDS)


class FinancePages:
    def __init__(self, pages: Pages, payments: StaffPayments | None) -> None:
        self.pages, self.payments = pages, payments

    def finance(self, request: StaffRequest) -> Page:
        staff = request.staff
        assert staff is not None  # the guard let only staff with export-finance through
        if self.payments is None:
            return self._form(request, available=False)
        if not any(key.startswith(("from-", "to-")) for key in request.query):
            return self._form(request)
        start, end = read_date(request.query, "from"), read_date(request.query, "to")
        errors = [(f"{f.name}-{f.wrong[0]}", f.error) for f in (start, end) if f.error]
        if not errors and start.value and end.value:
            problem = range_problem(start.value, end.value)
            if problem:
                errors = [("to-day", problem)]
                end = DateField("to", end.values, problem, FIELDS, end.value)
        if errors or start.value is None or end.value is None:
            return self._form(request, 400, errors=errors, dates=(start, end))
        self.pages.audit.record(
            staff,
            f"export-finance {start.value.isoformat()} to {end.value.isoformat()}",
            AUDIT_RECORD,
            source_ip=request.source_ip,
        )
        event = {
            "action": "export",
            "from": start.value.isoformat(),
            "to": end.value.isoformat(),
            "staff": {"subject": staff.subject, "roles": sorted(staff.roles)},
        }
        answer = self.payments(event)
        if answer.status != 200 or not isinstance(answer.body.get("csv"), str):
            logger.warning("Finance export failed", extra={"status": answer.status})
            detail = str(answer.body.get("detail") or "") if answer.status in (400, 503) else ""
            return self._form(
                request, 503 if answer.status != 400 else 400, failed=detail or UNANSWERED, dates=(start, end)
            )
        body = answer.body
        filename = str(body.get("filename") or "borough-payments.csv")
        return Page(
            200,
            body["csv"],
            headers={
                "content-type": "text/csv; charset=utf-8",
                "content-disposition": f'attachment; filename="{filename}"',
            },
        )

    def _form(
        self,
        request: StaffRequest,
        status: int = 200,
        *,
        available: bool = True,
        errors: list[tuple[str, str]] | None = None,
        failed: str = "",
        dates: tuple[DateField, DateField] | None = None,
    ) -> Page:
        empty = dict.fromkeys(FIELDS, "")
        start, end = dates or (DateField("from", empty), DateField("to", empty))
        return self.pages.render(
            "finance.html",
            request,
            status=status,
            available=available,
            errors=errors or [],
            failed=failed,
            dates=[("from", "Start date", start), ("to", "End date", end)],
            max_days=MAX_DAYS,
        )
