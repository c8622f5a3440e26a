"""Splitting a permit's refund across the orders that paid for it (`permits.refund_parts`): newest first, never more
than is left of one, the sum always the refund; Hypothesis over ledgers of payments and refunds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from permits.refund_parts import allocate, ledger_of, refunded, remaining

pytestmark = pytest.mark.unit


def test_the_newest_order_first():
    ledger = [{"order": "A", "pence": 17000}, {"order": "A", "pence": -3000}, {"order": "C", "pence": 1400}]
    assert allocate(ledger, 14400) == [("C", 1400), ("A", 13000)]
    assert allocate(ledger, 900) == [("C", 900)]
    assert allocate(ledger, 0) == []
    assert remaining(refunded(ledger, [("C", 1400), ("A", 13000)])) == {"A": 1000, "C": 0}


def test_more_than_was_paid_is_asked_of_the_first_order_where_payments_refuses_it():
    assert allocate([{"order": "A", "pence": 100}, {"order": "C", "pence": 50}], 151) == [("C", 50), ("A", 101)]
    assert allocate([{"order": "A", "pence": 100}, {"order": "A", "pence": -100}], 5) == [("A", 5)]


def test_an_application_without_a_ledger_starts_with_its_payment():
    assert ledger_of({"reference": "A", "amount_pence": 8000}) == [{"order": "A", "pence": 8000}]


def test_a_negative_refund_is_refused():
    with pytest.raises(ValueError, match="never negative"):
        allocate([{"order": "A", "pence": 1}], -1)


payments = st.lists(st.integers(1, 50_000), min_size=1, max_size=4)


@given(payments, st.data())
def test_any_refund_is_split_to_its_sum_within_what_is_left(paid, data):
    orders = [f"O{i}" for i in range(len(paid))]
    ledger = [{"order": o, "pence": p} for o, p in zip(orders, paid, strict=True)]
    for order, pence in zip(orders, paid, strict=True):  # some refunded already, never more than was paid
        done = data.draw(st.integers(0, pence))
        if done:
            ledger.append({"order": order, "pence": -done})
    left = remaining(ledger)
    pence = data.draw(st.integers(0, sum(left.values()) + 10))
    parts = allocate(ledger, pence)
    assert sum(p for _, p in parts) == pence
    assert all(p > 0 for _, p in parts)
    assert len({o for o, _ in parts}) == len(parts)
    if pence <= sum(left.values()):
        assert all(p <= left[o] for o, p in parts)
        # newest first: an older order is touched only when every newer one is used up
        used = [o for o, _ in parts]
        for order, _ in parts[:-1]:
            assert dict(parts)[order] == left[order]
        assert used == [o for o in reversed(orders) if o in used]
