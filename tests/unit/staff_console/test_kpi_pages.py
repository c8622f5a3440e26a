"""The KPI page's numbers from seeded counters, its charts and tables, the CSV downloads (CSV-injection safe), the
permission, and that it reads by Query on week partitions only (never a Scan)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from unittest import mock

import boto3
import pytest

from console.kpi_counters import TOTAL
from console.kpi_pages import FACE_TO_FACE_PENCE, Table, csv_text, last_weeks, report
from tests.unit.staff_console.conftest import Console

FIGURES = {"per_submission_usd": 0.00003288, "fixed_monthly_usd": 26.62, "gbp_per_usd": 0.79}
TODAY = date(2026, 12, 2)  # ISO week 2026-W49


def _seed(counters: dict[str, dict[str, int]]) -> None:
    table = boto3.resource("dynamodb").Table("kpis")
    for partition, metrics in counters.items():
        for metric, count in metrics.items():
            table.put_item(Item={"bucket": partition, "metric": metric, "count": count})


SEEDED = {
    "week#2026-W48": {
        "submitted#fly-tipping#online": 6,
        "submitted#fly-tipping#phone": 2,
        "closed#fly-tipping#on-time": 3,
        "closed#fly-tipping#late": 1,
    },
    "week#2026-W49": {
        "submitted#fly-tipping#online": 9,
        "submitted#fly-tipping#face-to-face": 1,
        "closed#fly-tipping#on-time": 2,
        "closed#fly-tipping#no-due-date": 1,
    },
    "week#2026-W40": {"submitted#fly-tipping#online": 100},  # nine weeks ago: not shown
    TOTAL: {"submitted#fly-tipping": 30, "closed#fly-tipping": 20, "reopened#fly-tipping": 2},
}


def test_the_last_eight_weeks() -> None:
    assert last_weeks(TODAY) == [f"2026-W{n}" for n in range(42, 50)]
    assert last_weeks(date(2027, 1, 6))[-2:] == ["2026-W53", "2027-W01"]


def test_the_numbers_from_the_counters() -> None:
    weeks: dict[str, dict[str, int]] = {week: {} for week in last_weeks(TODAY)}
    weeks["2026-W48"], weeks["2026-W49"] = SEEDED["week#2026-W48"], SEEDED["week#2026-W49"]
    found = report(weeks, SEEDED[TOTAL], figures=FIGURES)
    assert ["2026-W49", "Report fly-tipping", "face-to-face", 1] in found.tables["transactions"].rows
    assert len(found.tables["transactions"].rows) == 4
    shift = {row[0]: row[1:] for row in found.tables["channel-shift"].rows}
    assert shift["2026-W48"] == [6, 2, "75%"]
    assert shift["2026-W49"] == [9, 1, "90%"]
    assert shift["2026-W42"] == [0, 0, "none counted"]
    (sla,) = found.tables["sla"].rows
    assert sla[1:] == [5, 1, 1, "83%"]  # on time, late, no due date, share of those with a due date
    (backlog,) = found.tables["backlog"].rows
    assert backlog[1:] == [30, 20, 2, 12]
    cost = {row[0]: row[1] for row in found.tables["cost"].rows}
    usage = 0.00003288 * 79
    fixed = 26.62 * 56 / (365.25 / 12) * 79 / 15  # eight weeks' fixed costs over 15 digital transactions
    assert float(cost["AWS usage per submission (cost model)"]) == pytest.approx(usage, abs=1e-4)
    assert float(cost["Estimated cost per digital transaction"]) == pytest.approx(usage + fixed, abs=1e-4)
    assert float(cost["Strategy: face to face"]) == FACE_TO_FACE_PENCE
    assert "18 requests in the last 8 weeks" in found.charts["transactions"].summary
    assert "83% on time" in found.charts["sla"].summary


def test_csv_cells_that_a_spreadsheet_would_run_are_defused() -> None:
    table = Table(
        "t", ["Service", "Count"], [['=HYPERLINK("http://x")', 1], ["+1", 2], ["-2", 3], ["@SUM(A1)", 4], ["fine", 5]]
    )
    rows = list(csv.reader(io.StringIO(csv_text(table))))
    assert rows == [
        ["Service", "Count"],
        ['\'=HYPERLINK("http://x")', "1"],
        ["'+1", "2"],
        ["'-2", "3"],
        ["'@SUM(A1)", "4"],
        ["fine", "5"],
    ]


def test_the_page_shows_charts_with_their_tables_and_reads_by_query_only(console: Console) -> None:
    _seed(SEEDED)
    lead = console.staff("lead", roles=("team-lead",), teams=("street-scene",))
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    calls: list[tuple[str, dict]] = []

    def spy(self, operation, params):  # type: ignore[no-untyped-def]
        if self.meta.service_model.service_name == "dynamodb":
            calls.append((operation, params))
        return original(self, operation, params)

    with (
        mock.patch("console.kpi_pages.uk_date", return_value=TODAY),
        mock.patch.object(BaseClient, "_make_api_call", spy),
    ):
        answer = console.get("/staff/kpis", lead)
    assert answer["statusCode"] == 200
    body = answer["body"]
    assert body.count('<svg class="kpi-chart"') == 5
    assert body.count('<table class="govuk-table">') == 5
    # the charts need no script: the one script tag is the console's own module (its enhancements), nothing inline
    assert re.findall(r"<script\b[^>]*>(.*?)</script>", body, re.S) == [""]
    assert body.count("<script") == 1
    assert "90%" in body
    assert "75%" in body
    operations = {operation for operation, _ in calls}
    assert operations == {"Query"}
    partitions = sorted(p["ExpressionAttributeValues"][":bucket"]["S"] for _, p in calls)
    assert partitions == sorted([f"week#2026-W{n}" for n in range(42, 50)] + [TOTAL])


def test_each_table_downloads_as_csv(console: Console) -> None:
    _seed(SEEDED)
    finance = console.staff("finance", roles=("finance",))
    with mock.patch("console.kpi_pages.uk_date", return_value=TODAY):
        answer = console.get("/staff/kpis/csv/backlog", finance)
        missing = console.get("/staff/kpis/csv/nothing", finance)
    assert answer["statusCode"] == 200
    assert answer["headers"]["content-type"].startswith("text/csv")
    assert "attachment" in answer["headers"]["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer["body"])))
    assert rows[0] == ["Service", "Submitted", "Closed", "Reopened", "Open"]
    assert rows[1][1:] == ["30", "20", "2", "12"]
    assert missing["statusCode"] == 404


def test_a_caseworker_without_view_kpis_is_refused(console: Console) -> None:
    worker = console.staff("worker", roles=("caseworker",), teams=("street-scene",))
    for path in ("/staff/kpis", "/staff/kpis/csv/backlog"):
        answer = console.get(path, worker)
        assert answer["statusCode"] == 403
        assert "You do not have permission" in answer["body"]
