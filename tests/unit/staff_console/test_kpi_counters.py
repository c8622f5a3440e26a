"""The KPI counters: what each event adds, once per event id, on time or late against the due date triage gave
(the UK date of the change), through the real consumer handler on moto."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import boto3
import pytest

from console.kpi_counters import LATE, NO_DUE_DATE, ON_TIME, TOTAL, BadEvent, KpiCounters, closure, counts, week_of
from shared.events import EventType, new_event
from tests.helpers import FakeContext, sqs_event
from tests.unit.staff_console.conftest import Console


def _event(type_: EventType, at: str, **data: str):  # type: ignore[no-untyped-def]
    event = new_event(type_, source="test", correlation_id="c-1", data=data)
    return event.model_copy(update={"time": datetime.fromisoformat(at)})


def _submitted(at: str = "2026-12-01T10:00:00+00:00", channel: str = "online", ref: str = "BRG-1"):  # type: ignore[no-untyped-def]
    return _event(EventType.REPORT_SUBMITTED, at, reference=ref, service_id="fly-tipping", channel=channel)


def test_week_and_the_uk_date_of_the_event() -> None:
    assert week_of(date(2026, 12, 2)) == "2026-W49"
    assert week_of(date(2027, 1, 1)) == "2026-W53"
    # Sunday 23:30 UTC in summer is Monday 00:30 in London: the next ISO week.
    late_sunday = _event(EventType.REPORT_SUBMITTED, "2026-06-28T23:30:00+00:00", service_id="s", channel="online")
    assert counts(late_sunday).keys[0] == ("week#2026-W27", "submitted#s#online")


def test_on_time_is_the_uk_date_of_the_change_on_or_before_the_due_date() -> None:
    assert closure(date(2026, 12, 4), "2026-12-04") == ON_TIME
    assert closure(date(2026, 12, 5), "2026-12-04") == LATE
    assert closure(date(2026, 12, 5), None) == NO_DUE_DATE
    # 23:30 UTC on the due date in summer is the next day in London: late.
    changed = _event(
        EventType.STATUS_CHANGED,
        "2026-07-10T23:30:00+00:00",
        reference="BRG-1",
        service_id="fly-tipping",
        status="fixed",
        previous_status="in-progress",
    )
    assert counts(changed, lambda _: "2026-07-10").keys[0] == ("week#2026-W28", "closed#fly-tipping#late")
    assert counts(changed, lambda _: "2026-07-11").keys[0] == ("week#2026-W28", "closed#fly-tipping#on-time")


def test_only_a_change_from_open_to_closed_is_a_closure_and_reopening_is_counted() -> None:
    def change(status: str, previous: str):  # type: ignore[no-untyped-def]
        return _event(
            EventType.STATUS_CHANGED,
            "2026-12-01T10:00:00+00:00",
            reference="BRG-1",
            service_id="s",
            status=status,
            previous_status=previous,
        )

    assert counts(change("investigating", "received")).keys == ()
    assert counts(change("closed", "fixed")).keys == ()  # closed already: not a second closure
    assert counts(change("reopened", "fixed")).keys == (("week#2026-W49", "reopened#s"), (TOTAL, "reopened#s"))


def test_an_event_without_what_its_counters_need_is_refused() -> None:
    with pytest.raises(BadEvent, match="channel"):
        counts(_event(EventType.REPORT_SUBMITTED, "2026-12-01T10:00:00+00:00", service_id="s"))
    with pytest.raises(BadEvent, match="service_id"):
        counts(_event(EventType.REPORT_SUBMITTED, "2026-12-01T10:00:00+00:00", service_id="a#b", channel="x"))
    not_a_date = _event(
        EventType.REQUEST_ACKNOWLEDGED, "2026-12-01T10:00:00+00:00", reference="R", service_id="s", expected_by="soon"
    )
    with pytest.raises(ValueError, match="soon"):
        counts(not_a_date)


def test_the_consumer_counts_each_event_once(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    from console import kpi_handler

    monkeypatch.setenv("KPIS_TABLE", "kpis")
    submitted = _submitted()
    acknowledged = _event(
        EventType.REQUEST_ACKNOWLEDGED,
        "2026-12-01T10:01:00+00:00",
        reference="BRG-1",
        service_id="fly-tipping",
        team="Street scene",
        expected_by="2026-12-04",
    )
    closed = _event(
        EventType.STATUS_CHANGED,
        "2026-12-07T09:00:00+00:00",
        reference="BRG-1",
        service_id="fly-tipping",
        status="fixed",
        previous_status="in-progress",
    )
    paid = _event(EventType.PAYMENT_SUCCEEDED, "2026-12-01T10:02:00+00:00", reference="BRG-1", service_id="fly-tipping")
    bodies = [e.to_message() for e in (submitted, acknowledged, paid, closed)]
    for _ in range(2):  # delivered twice: at least once, counted once
        answer = kpi_handler.handler(sqs_event(*bodies), FakeContext())
        assert answer["batchItemFailures"] == []
    assert console.kpis.week("2026-W49") == {
        "submitted#fly-tipping#online": 1,
        "paid#fly-tipping": 1,
    }
    assert console.kpis.week("2026-W50") == {"closed#fly-tipping#late": 1}  # the 7th, after the 4th
    assert console.kpis.week(TOTAL) == {"submitted#fly-tipping": 1, "closed#fly-tipping": 1}


def test_a_bad_record_fails_alone_and_writes_nothing(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    from console import kpi_handler

    monkeypatch.setenv("KPIS_TABLE", "kpis")
    broken = json.loads(_submitted(ref="BRG-2").to_message())
    del broken["data"]["channel"]
    answer = kpi_handler.handler(sqs_event(json.dumps(broken), "not json", _submitted().to_message()), FakeContext())
    assert len(answer["batchItemFailures"]) == 2
    items = boto3.client("dynamodb").scan(TableName="kpis")["Items"]  # the test looks; the code never scans
    assert sorted(i["bucket"]["S"].split("#")[0] for i in items) == ["event", "total", "week"]


def test_a_transaction_puts_the_marker_with_its_counters(console: Console) -> None:
    counters = KpiCounters("kpis")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert counters.count(_submitted(), now=now) is True
    event = _submitted(channel="phone", ref="BRG-3")
    assert counters.count(event, now=now) is True
    assert counters.count(event, now=now) is False
    marker = boto3.client("dynamodb").get_item(
        TableName="kpis", Key={"bucket": {"S": f"event#{event.id}"}, "metric": {"S": "event"}}
    )
    assert int(marker["Item"]["expires_at"]["N"]) == int(now.timestamp()) + 35 * 86400
    assert counters.week("2026-W49") == {"submitted#fly-tipping#online": 1, "submitted#fly-tipping#phone": 1}


def test_a_closure_counts_by_the_due_date_it_carries_once_a_wait_moved_it() -> None:
    """Triage gave the 4th; two working days waiting on the resident moved it to the 8th: closed on the 7th, on
    time. The event's date (the stored one after the change) wins over the remembered one, which is not read."""

    def remembered(_: str) -> str:
        raise AssertionError("the event carries its due date: nothing to read")

    closed = _event(
        EventType.STATUS_CHANGED,
        "2026-12-07T09:00:00+00:00",
        reference="BRG-1",
        service_id="fly-tipping",
        status="fixed",
        previous_status="waiting-for-resident",
        expected_by="2026-12-08",
    )
    assert counts(closed, remembered).keys[0] == ("week#2026-W50", "closed#fly-tipping#on-time")
    assert counts(closed.model_copy(update={"data": {**closed.data, "expected_by": "2026-12-04"}})).keys[0] == (
        "week#2026-W50",
        "closed#fly-tipping#late",
    )
    with pytest.raises(ValueError, match="soon"):
        counts(closed.model_copy(update={"data": {**closed.data, "expected_by": "soon"}}))
