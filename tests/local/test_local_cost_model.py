"""The cost model prices the operations one submission really makes, and the document shows it as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import cost_model

pytestmark = pytest.mark.local

DOC = Path(__file__).resolve().parents[2] / "docs" / "cost-model.md"


@pytest.fixture(scope="module")
def measured(local_cloud):
    return cost_model.measure_submission(local_cloud, idempotency_key="cost-model-test-0001")


def test_one_submission_makes_exactly_the_operations_the_model_prices(measured):
    assert measured.operations == cost_model.EXPECTED_OPERATIONS
    assert measured.request_item_bytes <= cost_model.TYPICAL_ITEM_BYTES


@pytest.fixture(scope="module")
def measured_paid(local_cloud):
    return cost_model.measure_paid_booking(local_cloud, idempotency_key="cost-model-test-paid-0001")


def test_one_paid_booking_makes_exactly_the_operations_the_model_prices(measured_paid):
    assert measured_paid.operations == cost_model.EXPECTED_PAID_OPERATIONS
    assert measured_paid.request_item_bytes <= cost_model.PAID_ITEM_BYTES


def test_the_document_shows_the_model_as_it_is(assembly_dir):
    text = DOC.read_text()
    assert cost_model.markdown(cost_model.EXPECTED_OPERATIONS) in text
    assert cost_model.markdown(cost_model.EXPECTED_PAID_OPERATIONS, cost_model.PAID_ITEM_BYTES) in text
    per_submission = sum(cost_model.price(cost_model.EXPECTED_OPERATIONS).values())
    assert cost_model.monthly_markdown(assembly_dir, per_submission) in text


def test_a_month_at_the_reference_volume_costs_less_than_the_target(assembly_dir):
    per_submission = sum(cost_model.price(cost_model.EXPECTED_OPERATIONS).values())
    monthly_gbp = cost_model.monthly_total_usd(assembly_dir, per_submission) * cost_model.GBP_PER_USD
    assert 0 < monthly_gbp <= cost_model.MONTHLY_TARGET_GBP


def test_every_operation_is_priced_in_proportion():
    doubled = {key: 2 * count for key, count in cost_model.EXPECTED_OPERATIONS.items()}
    single = cost_model.price(cost_model.EXPECTED_OPERATIONS)
    double = cost_model.price(doubled)
    for line, dollars in single.items():
        if line.startswith("KMS"):  # per cache miss, not per operation
            assert double[line] == dollars
        else:
            assert double[line] == pytest.approx(2 * dollars), line
            assert dollars > 0, line
