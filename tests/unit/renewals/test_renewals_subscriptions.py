"""Item 1: a definition's `subscription` (validated, the schema and model in step), and the renewals consumer
recording one subscription per paid request (a conditional put), a renewal running on from the old end."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
import pytest
import yaml

from renewals import handler
from renewals.logic import Renewals, add_months, uk_today
from renewals.store import RenewalsStore
from shared import catalogue as c
from shared.events import CONSUMERS, EventType, new_event
from tests.helpers import FakeContext, sqs_event
from tests.unit.renewals.conftest import TABLE, items

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((ROOT / "schemas" / "service.schema.json").read_text())
GARDEN = yaml.safe_load((ROOT / "services" / "garden-waste.yaml").read_text())
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def paid(reference: str, service_id: str = "garden-waste", attempt: int = 1):
    return new_event(
        EventType.PAYMENT_SUCCEEDED,
        source="payments",
        correlation_id="c-1",
        data={
            "reference": reference,
            "service_id": service_id,
            "attempt": attempt,
            "payment_id": "p",
            "outcome": "success",
        },
    )


# -- the definition ----------------------------------------------------------------------------------------------


def test_garden_waste_is_a_twelve_month_subscription_reminded_28_days_before():
    definition = c.load_catalogue()["garden-waste"]
    assert definition.subscription == c.Subscription(months=12, remind_days_before=28)
    assert all(d.subscription is None for k, d in c.load_catalogue().items() if k != "garden-waste")


@pytest.mark.parametrize(
    ("subscription", "problem"),
    [
        ({"months": 0, "remind_days_before": 28}, "subscription.months"),
        ({"months": 12}, "subscription.remind_days_before"),
        ({"months": 12, "remind_days_before": 28, "every": "year"}, "subscription.every"),
        ({"months": 1, "remind_days_before": 30}, "subscription.remind_days_before"),
    ],
)
def test_a_broken_subscription_is_refused_by_the_model_and_named(subscription, problem):
    data = copy.deepcopy(GARDEN) | {"subscription": subscription}
    errors = c.definition_errors(data)
    assert any(e.startswith(problem) for e in errors), errors


def test_a_subscription_needs_a_fee():
    data = {k: v for k, v in copy.deepcopy(GARDEN).items() if k != "fee"} | {
        "subscription": {"months": 12, "remind_days_before": 28}
    }
    assert any("give the service a fee" in e for e in c.definition_errors(data))


def test_the_schema_and_the_model_describe_the_same_subscription():
    schema = SCHEMA["$defs"]["subscription"]
    assert set(schema["properties"]) == set(c.Subscription.model_fields)
    assert set(schema["required"]) == {n for n, f in c.Subscription.model_fields.items() if f.is_required()}
    assert schema["additionalProperties"] is False
    validator = jsonschema.Draft202012Validator(SCHEMA)
    assert list(validator.iter_errors(GARDEN)) == []
    assert list(validator.iter_errors(GARDEN | {"subscription": {"months": 12}}))


# -- dates -------------------------------------------------------------------------------------------------------


def test_months_are_calendar_months_and_the_uk_date_counts():
    assert add_months(date(2026, 12, 2), 12) == date(2027, 12, 2)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert uk_today(datetime(2026, 6, 30, 23, 30, tzinfo=UTC)) == date(2026, 7, 1)  # BST


# -- recording ---------------------------------------------------------------------------------------------------


def test_the_renewals_queue_receives_payment_succeeded():
    assert CONSUMERS["renewals"] == (EventType.PAYMENT_SUCCEEDED,)


def test_a_paid_garden_waste_request_records_one_subscription(cloud):
    service = Renewals(RenewalsStore(TABLE))
    first = service.on_event(paid("GW-1"), now=NOW)
    assert first.outcome == "recorded"
    again = service.on_event(paid("GW-1", attempt=2), now=datetime(2026, 12, 9, tzinfo=UTC))
    assert again.outcome == "already-recorded"
    (item,) = items().values()
    assert item["reference"] == "GW-1"
    assert (item["starts_on"], item["ends_on"], item["remind_on"]) == ("2026-12-02", "2027-12-02", "2027-11-04")
    assert item["reminder"] == "due"
    # Minimal: no contact details, no answers; the request's reference is how they are read at reminder time.
    assert set(item) == {
        "reference", "service_id", "starts_on", "ends_on", "remind_on", "reminder", "recorded_at", "expires_at"
    }  # fmt: skip
    assert int(item["expires_at"]) == int(datetime(2030, 12, 1, tzinfo=UTC).timestamp())  # end + 1,095 days


def test_a_request_of_a_service_without_a_subscription_records_nothing(cloud):
    assert Renewals(RenewalsStore(TABLE)).on_event(paid("BW-1", "bulky-waste"), now=NOW).outcome == (
        "not-a-subscription"
    )
    assert items() == {}


def test_a_renewal_runs_on_from_the_old_end_and_the_old_one_is_not_reminded(cloud):
    store = RenewalsStore(TABLE)
    service = Renewals(store)
    service.on_event(paid("GW-OLD"), now=datetime(2025, 12, 20, tzinfo=UTC))
    store.begin_renewal("GW-NEW", renews="GW-OLD")
    recorded = service.on_event(paid("GW-NEW"), now=NOW)
    assert recorded.outcome == "recorded"
    rows = items()
    assert (rows["GW-NEW"]["starts_on"], rows["GW-NEW"]["ends_on"]) == ("2026-12-20", "2027-12-20")
    assert rows["GW-NEW"]["renews"] == "GW-OLD"
    assert rows["GW-OLD"]["renewed_by"] == "GW-NEW"
    assert "reminder" not in rows["GW-OLD"]  # out of the reminders index


def test_a_lapsed_subscription_renewed_starts_today(cloud):
    store = RenewalsStore(TABLE)
    service = Renewals(store)
    service.on_event(paid("GW-OLD"), now=datetime(2025, 10, 1, tzinfo=UTC))  # ended 1 October 2026
    store.begin_renewal("GW-NEW", renews="GW-OLD")
    service.on_event(paid("GW-NEW"), now=NOW)
    assert items()["GW-NEW"]["starts_on"] == "2026-12-02"


def test_the_consumer_records_from_its_queue_and_a_redelivery_changes_nothing(cloud, monkeypatch):
    body = paid("GW-7").to_message()
    assert handler.handler(sqs_event(body), FakeContext()) == {"batchItemFailures": []}
    before = items()
    assert handler.handler(sqs_event(body), FakeContext()) == {"batchItemFailures": []}
    assert items() == before
    assert set(before) == {"GW-7"}


def test_a_record_the_table_refuses_is_a_batch_item_failure(cloud, monkeypatch):
    monkeypatch.setenv("RENEWALS_TABLE", "no-such-table")
    from shared import settings as shared_settings

    shared_settings.reset()
    answer = handler.handler(sqs_event(paid("GW-8").to_message()), FakeContext())
    assert len(answer["batchItemFailures"]) == 1
