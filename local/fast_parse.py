"""moto's parse of a DynamoDB condition or filter expression, kept for the next request that sends the same one.

moto 5.2 lexes and parses a `FilterExpression` (or `ConditionExpression`) from its text on every request, twice for
a Query (once to check the names used, once to filter): for the console's queue filter (`status IN (...)`, seven
values) that is most of a millisecond a Query, ten Queries a page. `install()` wraps
`ConditionExpressionParser.parse` so that an expression seen before with the same `ExpressionAttributeNames` and
`ExpressionAttributeValues` (compared by their `repr`: equal text means equal content) returns the tree moto built
then, and the names and values it found; a new one, and every expression moto refuses (its errors, raised each
time), is moto's own parse. The tree is only read when items are judged (`Op.expr`), never changed. At most
`_SIZE` expressions are kept, the least recently used dropped first.

Installed and removed with `local/fast_query.py`; `tests/unit/local_cloud/test_fast_query.py` (filters) and
`test_fast_parse.py` compare the answers with moto's own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

_SIZE = 512
_original: dict[str, Any] = {}
_parsed: OrderedDict[str, tuple[Any, list[str], list[str]]] = OrderedDict()
# How many parses each path answered since start-up (the tests check the kept trees are used).
answered = {"kept": 0, "moto": 0}


def install(enabled: Callable[[], bool]) -> None:
    """Wrap moto's `ConditionExpressionParser.parse` (idempotent); `enabled()` false parses afresh."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    if _original:
        return
    original = ConditionExpressionParser.parse
    _original["parse"] = original

    def parse(parser: Any) -> Any:
        if not parser.condition_expression or not enabled():
            return original(parser)
        key = repr((parser.condition_expression, parser.expression_attribute_names, parser.expression_attribute_values))
        kept = _parsed.get(key)
        if kept is None:
            answered["moto"] += 1
            op = original(parser)  # raises what moto raises: nothing kept
            _parsed[key] = (op, list(parser.expr_attr_names_found), list(parser.expr_attr_values_found))
            if len(_parsed) > _SIZE:
                _parsed.popitem(last=False)
            return op
        answered["kept"] += 1
        _parsed.move_to_end(key)
        op, names, values = kept
        parser.expr_attr_names_found.extend(names)
        parser.expr_attr_values_found.extend(values)
        return op

    ConditionExpressionParser.parse = parse  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    if _original:
        ConditionExpressionParser.parse = _original.pop("parse")  # type: ignore[method-assign]
    _parsed.clear()
