"""The digital KPIs page (`/staff/kpis`, permission `view-kpis`) and its CSV downloads, from the counters the KPI
consumer keeps (console/kpi_counters.py): one Query per week partition for the last eight ISO weeks, and one for
the all-time totals. Never a Scan, never the Requests table.

Charts are drawn here as inline SVG bars (no JavaScript), each followed by its data table and a sentence that says
what it shows. The cost per digital transaction is estimated from the project's cost model (bench/cost_model.py
writes `data/cost_model.json`: AWS usage per submission and the fixed monthly cost) and the digital transactions
counted in the eight weeks, against the strategy's 15p per digital transaction and £8.62 face to face.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from console.app import Page, StaffRequest
from console.kpi_counters import TOTAL, KpiCounters, uk_date, week_of
from shared.catalogue import load_catalogue

WEEKS = 8
DIGITAL_CHANNELS = frozenset({"online", "web", "api"})  # the rest (phone, face-to-face, email, letter): assisted
DIGITAL_TARGET_PENCE = 15.0  # the council's strategy: a digital transaction
FACE_TO_FACE_PENCE = 862.0  # and one face to face
DAYS_PER_MONTH = 365.25 / 12
COST_FIGURES = Path(__file__).resolve().parent / "data" / "cost_model.json"
TABLES = ("transactions", "channel-shift", "sla", "backlog", "cost")


@cache
def cost_figures() -> dict[str, float]:
    figures = json.loads(COST_FIGURES.read_text())
    return {k: float(figures[k]) for k in ("per_submission_usd", "fixed_monthly_usd", "gbp_per_usd")}


def last_weeks(today: date, count: int = WEEKS) -> list[str]:
    """The ISO weeks ending with today's, oldest first."""
    return [week_of(today - timedelta(weeks=back)) for back in range(count - 1, -1, -1)]


@dataclass
class Table:
    caption: str
    head: list[str]
    rows: list[list[str | int]] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    summary: str
    bars: list[tuple[str, float, str]]  # label, value, value as shown


@dataclass
class Report:
    weeks: list[str]
    tables: dict[str, Table]
    charts: dict[str, Chart]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "none counted"


def report(weeks: dict[str, dict[str, int]], totals: dict[str, int], *, figures: dict[str, float]) -> Report:
    """Every table and chart of the page from the counters (pure: tests seed counters and check the numbers)."""
    names = _service_names()
    tables: dict[str, Table] = {}
    charts: dict[str, Chart] = {}

    transactions = Table("Transactions by service and channel, per week", ["Week", "Service", "Channel", "Requests"])
    shift = Table("Channel shift: digital against assisted, per week", ["Week", "Digital", "Assisted", "Digital share"])
    per_week: list[tuple[str, float, str]] = []
    shift_bars: list[tuple[str, float, str]] = []
    digital_total = assisted_total = 0
    sla: dict[str, dict[str, int]] = {}
    for week, counters in weeks.items():
        digital = assisted = 0
        for metric, value in sorted(counters.items()):
            kind, _, rest = metric.partition("#")
            if kind == "submitted":
                service, _, channel = rest.partition("#")
                transactions.rows.append([week, names.get(service, service), channel, value])
                if channel in DIGITAL_CHANNELS:
                    digital += value
                else:
                    assisted += value
            elif kind == "closed":
                service, _, outcome = rest.partition("#")
                bucket = sla.setdefault(service, {"on-time": 0, "late": 0, "no-due-date": 0})
                bucket[outcome] = bucket.get(outcome, 0) + value
        share = _percent(digital, digital + assisted)
        shift.rows.append([week, digital, assisted, share])
        per_week.append((week, digital + assisted, str(digital + assisted)))
        shift_bars.append((week, 100 * digital / (digital + assisted) if digital + assisted else 0, share))
        digital_total += digital
        assisted_total += assisted
    tables["transactions"], tables["channel-shift"] = transactions, shift
    busiest = max(per_week, key=lambda bar: bar[1]) if per_week else ("", 0, "0")
    charts["transactions"] = Chart(
        "Requests per week",
        f"{digital_total + assisted_total} requests in the last {len(weeks)} weeks; the busiest week was "
        f"{busiest[0]} with {busiest[2]}.",
        per_week,
    )
    charts["channel-shift"] = Chart(
        "Digital share of requests per week",
        f"{_percent(digital_total, digital_total + assisted_total)} of the last {len(weeks)} weeks' requests came "
        f"in digitally ({digital_total} digital, {assisted_total} assisted by phone, face to face, email or letter).",
        shift_bars,
    )

    sla_table = Table(
        f"Requests closed in the last {len(weeks)} weeks: on time and late by service",
        ["Service", "On time", "Late", "No due date", "On time (share)"],
    )
    sla_bars: list[tuple[str, float, str]] = []
    for service, closed_by in sorted(sla.items()):
        dated = closed_by["on-time"] + closed_by["late"]
        share = _percent(closed_by["on-time"], dated)
        sla_table.rows.append(
            [names.get(service, service), closed_by["on-time"], closed_by["late"], closed_by["no-due-date"], share]
        )
        sla_bars.append((names.get(service, service), 100 * closed_by["on-time"] / dated if dated else 0, share))
    on_time = sum(o["on-time"] for o in sla.values())
    late = sum(o["late"] for o in sla.values())
    tables["sla"] = sla_table
    charts["sla"] = Chart(
        "Closed on time, by service",
        f"{on_time} requests closed on time and {late} late ({_percent(on_time, on_time + late)} on time).",
        sla_bars,
    )

    backlog = Table("Backlog by service: open requests", ["Service", "Submitted", "Closed", "Reopened", "Open"])
    services = sorted({m.split("#")[1] for m in totals if m.count("#") == 1})
    backlog_bars: list[tuple[str, float, str]] = []
    for service in services:
        submitted, closed = totals.get(f"submitted#{service}", 0), totals.get(f"closed#{service}", 0)
        reopened = totals.get(f"reopened#{service}", 0)
        open_now = submitted - closed + reopened
        backlog.rows.append([names.get(service, service), submitted, closed, reopened, open_now])
        backlog_bars.append((names.get(service, service), open_now, str(open_now)))
    tables["backlog"] = backlog
    charts["backlog"] = Chart(
        "Open requests, by service",
        f"{sum(int(row[4]) for row in backlog.rows)} requests are open across {len(services)} services.",
        backlog_bars,
    )

    tables["cost"], charts["cost"] = _cost(digital_total, len(weeks), figures)
    return Report(list(weeks), tables, charts)


def _cost(digital: int, weeks: int, figures: dict[str, float]) -> tuple[Table, Chart]:
    pence = 100 * figures["gbp_per_usd"]
    usage = figures["per_submission_usd"] * pence
    fixed = figures["fixed_monthly_usd"] * weeks * 7 / DAYS_PER_MONTH * pence  # the period's fixed costs
    table = Table(
        "Cost per digital transaction (estimated), against the strategy's figures", ["Item", "Pence per transaction"]
    )
    table.rows.append(["AWS usage per submission (cost model)", f"{usage:.4f}"])
    if digital:
        estimate = usage + fixed / digital
        table.rows.append([f"Fixed AWS costs shared over {digital} digital transactions", f"{fixed / digital:.4f}"])
        table.rows.append(["Estimated cost per digital transaction", f"{estimate:.4f}"])
        summary = (
            f"A digital transaction cost about {estimate:.2f}p in AWS over the last {weeks} weeks "
            f"({digital} counted), against the strategy's {DIGITAL_TARGET_PENCE:.0f}p digital and "
            f"£{FACE_TO_FACE_PENCE / 100:.2f} face to face."
        )
    else:
        estimate = usage
        summary = f"No digital transactions were counted in the last {weeks} weeks: only the usage per submission."
    table.rows.append(["Strategy: a digital transaction", f"{DIGITAL_TARGET_PENCE:.2f}"])
    table.rows.append(["Strategy: face to face", f"{FACE_TO_FACE_PENCE:.2f}"])
    bars = [
        ("Borough (estimated)", estimate, f"{estimate:.2f}p"),
        ("Digital (strategy)", DIGITAL_TARGET_PENCE, f"{DIGITAL_TARGET_PENCE:.0f}p"),
        ("Face to face (strategy)", FACE_TO_FACE_PENCE, f"£{FACE_TO_FACE_PENCE / 100:.2f}"),
    ]
    return table, Chart("Cost per transaction, pence", summary, bars)


def _service_names() -> dict[str, str]:
    return {service_id: definition.title for service_id, definition in load_catalogue().items()}


def csv_text(table: Table) -> str:
    """The table as CSV, safe to open in a spreadsheet: a text cell starting with =, +, -, @, a tab or a carriage
    return is prefixed with an apostrophe so it is never read as a formula (OWASP's CSV injection advice)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_safe(cell) for cell in table.head])
    for row in table.rows:
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


def _safe(cell: str | int) -> str | int:
    if isinstance(cell, int):
        return cell
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def bar_width(value: float, bars: list[tuple[str, float, str]]) -> float:
    """A bar's share (0-100) of the chart's width: the largest value fills it."""
    top = max((v for _, v, _ in bars), default=0)
    return round(100 * max(value, 0) / top, 1) if top > 0 else 0.0


class KpiPages:
    """The console section with the KPI views (console/views.py finds them by name)."""

    def __init__(self, pages: Any, counters: KpiCounters, *, figures: dict[str, float] | None = None) -> None:
        self.pages, self.counters = pages, counters
        self.figures = figures

    def _report(self, today: date | None) -> Report:
        weeks = last_weeks(today or uk_date(datetime.now(UTC)))
        counted = {week: self.counters.week(week) for week in weeks}
        return report(counted, self.counters.week(TOTAL), figures=self.figures or cost_figures())

    def kpis(self, request: StaffRequest, *, today: date | None = None) -> Page:
        found = self._report(today)
        return self.pages.render(
            "kpis.html", request, report=found, sections=TABLES, bar_width=bar_width, first=found.weeks[0]
        )

    def kpis_csv(self, request: StaffRequest, table: str, *, today: date | None = None) -> Page:
        if table not in TABLES:
            return self.pages.refused(404, "There is no such KPI table.")
        body = csv_text(self._report(today).tables[table])
        return Page(
            200,
            body,
            headers={
                "content-type": "text/csv; charset=utf-8",
                "content-disposition": f'attachment; filename="kpis-{table}.csv"',
            },
        )
