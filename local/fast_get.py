"""`GetItem` and `BatchGetItem` with a `ProjectionExpression` in moto, projecting each item as moto does, once.

moto 5.2's `Table.get_item` projects the item it found with `Item.project`, which converts the whole item to plain
Python (boto3's deserializer) once for every attribute the expression names, then serializes what it kept: a
case of the Requests table (answers, history, notes) projected to three small attributes is converted three
times whole, about a millisecond each, and the console's queue page asks for 25 in one `BatchGetItem`.
`install()` wraps `Table.get_item` so that an expression naming only top-level attributes is projected by
`local.projection.project`, which converts only the attributes named, through the same round trip (the same values,
in the same order); any other expression (a nested path, a list element) is moto's own `Item.project`. The look-up,
its validation and errors, the 16 MB limit, `UnprocessedKeys` and `ConsumedCapacity` are moto's, untouched (moto's
`get_item` is called for the item itself); the answer's JSON is written by `local/query_response.py`.

Installed and removed with `local/fast_query.py`; `tests/unit/local_cloud/test_fast_get.py` compares the answers
with moto's own on random tables, items and projections.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from local.projection import project, top_level

_GET_ITEM_PARAMETERS = ("self", "hash_key", "range_key", "projection_expression")
_original: dict[str, Any] = {}
# How many projected reads each path answered since start-up (the tests check the fast path is the one taken).
answered = {"fast": 0, "moto": 0}


def install(enabled: Callable[[], bool]) -> bool:
    """Wrap moto's `Table.get_item` (idempotent); `enabled()` false leaves moto's own projection. False, and nothing
    changed, if this moto's `Table.get_item` is not 5.2's."""
    from moto.dynamodb.models.table import Table

    if _original:
        return True
    if tuple(inspect.signature(Table.get_item).parameters) != _GET_ITEM_PARAMETERS:
        return False
    original = Table.get_item
    _original["get_item"] = original

    def get_item(
        table: Any, hash_key: Any, range_key: Any = None, projection_expression: list[list[str]] | None = None
    ) -> Any:
        if not projection_expression or not enabled() or not top_level(projection_expression):
            answered["moto"] += 1 if projection_expression and enabled() else 0
            return original(table, hash_key, range_key, projection_expression)
        item = original(table, hash_key, range_key, None)  # moto's look-up and its errors, the item unprojected
        answered["fast"] += 1
        return project(item, projection_expression) if item else item

    Table.get_item = get_item  # type: ignore[method-assign,assignment]
    return True


def uninstall() -> None:
    from moto.dynamodb.models.table import Table

    if _original:
        Table.get_item = _original.pop("get_item")  # type: ignore[method-assign]
