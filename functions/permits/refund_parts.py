"""Which payments a permit's refund comes from. A permit is paid by its application's order and by the order of each
change of vehicle that cost more; each refund is asked of one order, and payments never refunds more than is left of
that order's payment. The application keeps a ledger (`ledger`: `{"order", "pence"}` entries, a payment positive, a
refund asked negative; first the application's own order) and a refund is taken from the newest order first, as
much as is left of each:

    allocate([{"order": "A", "pence": 17000}, {"order": "A", "pence": -3000}, {"order": "C", "pence": 1400}], 14400)
    -> [("C", 1400), ("A", 13000)]

Whatever is left over (more asked than the ledger has: a penny of rounding, or a ledger not kept) is asked of the
application's order, where payments refuses what is not there.
"""

from __future__ import annotations

from typing import Any


def ledger_of(item: dict[str, Any]) -> list[dict[str, Any]]:
    """The application's ledger, or the one its first payment makes when it has none yet."""
    kept = item.get("ledger")
    if kept:
        return [{"order": str(e["order"]), "pence": int(e["pence"])} for e in kept]
    return [{"order": str(item["reference"]), "pence": int(item["amount_pence"])}]


def remaining(ledger: list[dict[str, Any]]) -> dict[str, int]:
    """What is left of each order's payment, in the order they were paid."""
    left: dict[str, int] = {}
    for entry in ledger:
        left[str(entry["order"])] = left.get(str(entry["order"]), 0) + int(entry["pence"])
    return left


def allocate(ledger: list[dict[str, Any]], pence: int) -> list[tuple[str, int]]:
    """`pence` to refund, split across the orders (newest first), each part above zero."""
    if pence < 0:
        raise ValueError("A refund is never negative.")
    left = remaining(ledger)
    parts: list[tuple[str, int]] = []
    owed = pence
    for order in reversed(list(left)):
        take = min(owed, max(0, left[order]))
        if take:
            parts.append((order, take))
            owed -= take
    if owed:
        first = next(iter(left))
        parts = [(o, p + owed) if o == first else (o, p) for o, p in parts]
        if all(o != first for o, _ in parts):
            parts.append((first, owed))
    return parts


def refunded(ledger: list[dict[str, Any]], parts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    """The ledger with `parts` asked for (negative entries)."""
    return [*ledger, *({"order": order, "pence": -pence} for order, pence in parts)]
