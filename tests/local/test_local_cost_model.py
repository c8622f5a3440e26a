"""The cost model prices the operations one submission really makes, and they stay under the target."""

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


def test_one_submission_costs_less_than_the_target(measured):
    total = sum(cost_model.price(measured.operations, measured.request_item_bytes).values())
    assert 0 < total <= cost_model.TARGET_PER_SUBMISSION_USD


def test_the_document_shows_the_model_as_it_is():
    assert cost_model.markdown(cost_model.EXPECTED_OPERATIONS) in DOC.read_text()


def test_pricing_follows_the_counts():
    doubled = {key: 2 * count for key, count in cost_model.EXPECTED_OPERATIONS.items()}
    single = sum(cost_model.price(cost_model.EXPECTED_OPERATIONS).values())
    kms = cost_model.price({})["KMS requests (worst case, cold caches)"]
    assert sum(cost_model.price(doubled).values()) == pytest.approx(2 * single - kms)
