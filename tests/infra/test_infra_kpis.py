"""The digital KPIs in the synthesized templates: the Kpis table, the `kpis` queue (its subscription's filter and
dead-letter queue), the counters' consumer reading it, least-privilege grants (the consumer: GetItem, PutItem and
UpdateItem on the Kpis table only; the console: Query on it only; nobody scans), and the cost model's figures
the page reads matching the model."""

from __future__ import annotations

import json

import pytest

from bench import cost_model
from console.kpi_handler import __name__ as _kpi_module
from console.kpi_pages import COST_FIGURES
from shared.events import CONSUMERS, EventType

pytestmark = pytest.mark.infra
CONSUMER = f"{_kpi_module}.handler"
CONSOLE = "console.handler.handler"


def _list(value):
    return value if isinstance(value, list) else [value]


def _function(synth, handler):
    (function,) = [f for f in synth.resources("AWS::Lambda::Function") if f.props["Handler"] == handler]
    return function


def _kpis_table(synth):
    (table,) = [
        t
        for t in synth.resources("AWS::DynamoDB::Table")
        if [k["AttributeName"] for k in t.props["KeySchema"]] == ["bucket", "metric"]
    ]
    return table


def _kpis_queue(synth):
    (subscription,) = [
        s
        for s in synth.resources("AWS::SNS::Subscription")
        if s.props["Protocol"] == "sqs"
        and "/KpisQueue/" in synth.get(synth.refers_to(s.stack, s.props["Endpoint"])).body["Metadata"]["aws:cdk:path"]
    ]
    return subscription, synth.get(synth.refers_to(subscription.stack, subscription.props["Endpoint"]))


def test_the_kpis_table_is_on_demand_with_pitr_ttl_and_dynamodbs_own_key(synth):
    table = _kpis_table(synth)
    assert table.props["BillingMode"] == "PAY_PER_REQUEST"
    assert table.props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table.props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table.props.get("SSESpecification", {}).get("SSEEnabled") in (None, False)  # no personal data
    assert table.stack.endswith("-Console")  # the console's own table


def test_the_kpis_queue_takes_the_counted_events_with_a_dead_letter_queue(synth):
    subscription, queue = _kpis_queue(synth)
    assert subscription.props["RawMessageDelivery"] is True
    assert subscription.props["FilterPolicy"]["type"] == [t.value for t in CONSUMERS["kpis"]]
    assert set(CONSUMERS["kpis"]) == {
        EventType.REPORT_SUBMITTED,
        EventType.REQUEST_ACKNOWLEDGED,
        EventType.STATUS_CHANGED,
        EventType.PAYMENT_SUCCEEDED,
    }
    redrive = queue.props["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == 5
    assert queue.props["SqsManagedSseEnabled"] is True


def test_the_counters_consumer_reads_the_kpis_queue_reporting_item_failures(synth):
    consumer = _function(synth, CONSUMER)
    _, queue = _kpis_queue(synth)
    (mapping,) = [
        m
        for m in synth.resources("AWS::Lambda::EventSourceMapping")
        if synth.refers_to(m.stack, m.props["FunctionName"]) == consumer.id
    ]
    assert synth.refers_to(mapping.stack, mapping.props["EventSourceArn"]) == queue.id
    assert mapping.props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert consumer.props["Environment"]["Variables"]["KPIS_TABLE"]


def test_grants_on_the_kpis_table_are_exact(synth):
    table = _kpis_table(synth)
    by_handler: dict[str, set[str]] = {}
    for function in synth.resources("AWS::Lambda::Function"):
        for statement in synth.role_statements(function):
            if table.id in set(synth.references(function.stack, statement.get("Resource"))):
                by_handler.setdefault(function.props["Handler"], set()).update(_list(statement["Action"]))
    assert by_handler == {
        CONSUMER: {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"},
        CONSOLE: {"dynamodb:Query"},
    }


def test_the_consumer_touches_no_other_table(synth):
    table = _kpis_table(synth)
    tables = {t.id for t in synth.resources("AWS::DynamoDB::Table")}
    consumer = _function(synth, CONSUMER)
    for statement in synth.role_statements(consumer):
        actions = set(_list(statement["Action"]))
        touched = set(synth.references(consumer.stack, statement.get("Resource"))) & tables
        assert touched <= {table.id}, statement
        assert "dynamodb:Scan" not in actions


def test_the_pages_cost_figures_are_the_cost_models(dev):
    figures = json.loads(COST_FIGURES.read_text())
    per_submission = sum(cost_model.price(cost_model.EXPECTED_OPERATIONS).values())
    assert figures == cost_model.kpi_figures(dev.outdir, per_submission)
