"""A DynamoDB Query in moto that reads only the partition asked for, with moto's own answers.

moto 5.2's `Table.query` visits every item of the table on each call: it sorts them all (`all_items()`), keeps the
partition's, sorts those again, then walks them. DynamoDB reads one partition of the table or index, in key order.
`install()` replaces `Table.query` with one that takes the partition's items, already in moto's order, from the
table's views (`local/query_views.py`), finds where to start by bisection (the `ExclusiveStartKey`, and the key
condition's bounds), and walks from there exactly as moto's loop does: the same `Limit`, 1 MB page and
`LastEvaluatedKey` rules, the same `ScannedCount`, then moto's index projection, `FilterExpression` and
`ProjectionExpression` (the same results, with fewer copies: `_shape`). Everything around it (parsing, validation
and its errors, `Select`, `ConsumedCapacity`) is moto's, untouched; the answer's body is written by
`local/query_response.py` (moto's serializer is slow).

Whatever this path does not handle as moto does is answered by moto's own `Table.query`: the legacy `QueryFilter`
and non-key `KeyConditions`, multi-attribute index keys, a request moto refuses (an unknown index, a consistent
read of a global index, a sort key condition on an index without one), a partition whose key attributes mix types,
and an `ExclusiveStartKey` without every sort attribute or with other types. `tests/unit/local_cloud/
test_fast_query.py` compares the two on random tables, items, writes and queries.

`install()` also installs the local cloud's other DynamoDB read changes (`local/fast_get.py`, `local/fast_parse.py`,
`local/query_response.py`) and stops moto listing every DynamoDB `Item` it makes (`_untracked_item`);
`motos_own()` turns the read changes off in its thread (items stay off moto's list).
"""

from __future__ import annotations

import bisect
import copy
import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from local import fast_get, fast_parse, query_response, query_views
from local.projection import MAX_ITEM_BYTES as _MAX_ITEM_BYTES
from local.projection import project as _project

# The parameters of moto 5.2's `Table.query`, in order: install() refuses a moto whose signature differs.
_QUERY_PARAMETERS = (
    "self",
    "hash_key",
    "range_comparison",
    "range_objs",
    "limit",
    "exclusive_start_key",
    "scan_index_forward",
    "projection_expressions",
    "index_name",
    "consistent_read",
    "filter_expression",
    "hash_key_conditions",
    "range_key_conditions",
    "filter_kwargs",
)
_originals: dict[str, Any] = {}
_writes = 0  # writes under way (a Query inside one, e.g. from a stream's Lambda, is moto's own)
_writes_lock = threading.Lock()
_enabled = threading.local()
# How many Queries each path answered since start-up (the tests check the partition path is the one taken).
answered = {"partition": 0, "moto": 0}
NOTICE = (
    "DynamoDB Query reads only the partition asked for (local/fast_query.py), with moto's own answers; "
    "moto alone walks the whole table on every Query. GetItem/BatchGetItem projections, read answers' JSON and "
    "parsed expressions are moto's answers made faster (local/fast_get.py, query_response.py, fast_parse.py); "
    "moto's dashboard list no longer keeps every DynamoDB item read"
)


def installed() -> bool:
    return bool(_originals)


def install() -> bool:
    """Patch moto's DynamoDB (idempotent). False, and nothing changed, if this moto's `Table.query` is not 5.2's."""
    if _originals:
        return True
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    if tuple(inspect.signature(Table.query).parameters) != _QUERY_PARAMETERS:
        return False
    query_views.generation += 1  # views kept while not installed missed writes
    from moto.dynamodb.models.dynamo_type import Item

    _originals.update(
        item_new=Item.__dict__.get("__new__"),
        query=Table.query,
        put_item=Table.put_item,
        delete_item=Table.delete_item,
        update_item=DynamoDBBackend.update_item,
    )
    original_put, original_delete = Table.put_item, Table.delete_item
    original_update = DynamoDBBackend.update_item

    def put_item(table: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        with _writing():
            try:
                return original_put(table, item_attrs, *args, **kwargs)
            finally:
                _refresh_from_attributes(table, item_attrs)

    def delete_item(table: Any, hash_key: Any, range_key: Any) -> Any:
        with _writing():
            try:
                return original_delete(table, hash_key, range_key)
            finally:
                query_views.refresh(table, hash_key, range_key)

    def update_item(backend: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        with _writing():
            try:
                return original_update(backend, table_name, key, *args, **kwargs)
            finally:
                table = backend.tables.get(table_name)
                if table is not None:
                    _refresh_from_attributes(table, key)

    for owner, name, function in _targets(query, put_item, delete_item, update_item):
        setattr(owner, name, function)
    Item.__new__ = staticmethod(_untracked_item)  # type: ignore[method-assign]
    query_response.install(lambda: not getattr(_enabled, "off", 0))
    fast_get.install(lambda: not getattr(_enabled, "off", 0))
    fast_parse.install(lambda: not getattr(_enabled, "off", 0))
    return True


def _untracked_item(cls: type, *args: Any, **kwargs: Any) -> Any:
    """A DynamoDB `Item` that moto does not append to `Item.instances_tracked`.

    moto's `BaseModel.__new__` keeps every instance of a model in a class-level list, for its server's
    `/moto-api/data.json` dashboard, until the next reset. A DynamoDB Item is made for every copy a read takes
    (each Query or GetItem answer is deep-copied or projected): a long-running local cloud kept every item ever
    answered, and a full collection walked them all (hundreds of milliseconds after a few thousand reads). The items
    the tables hold are still the tables'; only the dashboard's list of DynamoDB items is left empty.
    """
    return object.__new__(cls)


def _targets(query: Any, put_item: Any, delete_item: Any, update_item: Any) -> list[tuple[type, str, Any]]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    return [
        (Table, "query", query),
        (Table, "put_item", put_item),
        (Table, "delete_item", delete_item),
        (DynamoDBBackend, "update_item", update_item),
    ]


def uninstall() -> None:
    """Put moto's own methods back (idempotent)."""
    if not _originals:
        return
    originals = _originals
    from moto.dynamodb.models.dynamo_type import Item

    for owner, name, function in _targets(
        originals["query"], originals["put_item"], originals["delete_item"], originals["update_item"]
    ):
        setattr(owner, name, function)
    if originals["item_new"] is None:
        del Item.__new__  # BaseModel's again
    else:
        Item.__new__ = originals["item_new"]  # type: ignore[method-assign]
    _originals.clear()
    query_response.uninstall()
    fast_get.uninstall()
    fast_parse.uninstall()


@contextmanager
def motos_own() -> Iterator[None]:
    """In this thread, let moto's own `Table.query` and serializer answer (writes are still followed): to compare."""
    _enabled.off = getattr(_enabled, "off", 0) + 1
    try:
        yield
    finally:
        _enabled.off -= 1


@contextmanager
def _writing() -> Iterator[None]:
    global _writes
    with _writes_lock:
        _writes += 1
    try:
        yield
    finally:
        with _writes_lock:
            _writes -= 1


def _refresh_from_attributes(table: Any, attributes: dict[str, Any]) -> None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        hash_key = DynamoType(attributes[table.hash_key_attr])
        range_key = DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
    except (KeyError, TypeError, IndexError, AttributeError):
        query_views.forget(table)  # the key written is not known: build the views again
        return
    query_views.refresh(table, hash_key, range_key)


def query(
    self: Any,
    hash_key: Any,
    range_comparison: str | None,
    range_objs: list[Any],
    limit: int,
    exclusive_start_key: dict[str, Any],
    scan_index_forward: bool,
    projection_expressions: list[list[str]] | None,
    index_name: str | None = None,
    consistent_read: bool = False,
    filter_expression: Any = None,
    hash_key_conditions: list[tuple[str, Any]] | None = None,
    range_key_conditions: list[tuple[str, str, list[Any]]] | None = None,
    **filter_kwargs: Any,
) -> tuple[list[Any], int, dict[str, Any] | None]:
    plan, own = None, getattr(_enabled, "off", 0)
    if not own and not _writes and not filter_kwargs:
        try:
            plan = _plan(
                self,
                hash_key,
                range_comparison,
                range_objs,
                exclusive_start_key,
                scan_index_forward,
                index_name,
                consistent_read,
                hash_key_conditions or [],
                range_key_conditions or [],
            )
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, ArithmeticError):
            plan = None  # moto's own query decides (and raises what it raises)
    if plan is None:
        answered["moto"] += 0 if own else 1
        return _originals["query"](
            self,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            exclusive_start_key,
            scan_index_forward,
            projection_expressions,
            index_name,
            consistent_read,
            filter_expression,
            hash_key_conditions=hash_key_conditions,
            range_key_conditions=range_key_conditions,
            **filter_kwargs,
        )
    answered["partition"] += 1
    found, positions, last_evaluated_key = _walk(self, plan, range_comparison, range_objs, limit, index_name)
    shaped = _shape(self, found, positions, plan, index_name, filter_expression, projection_expressions)
    return shaped, len(found), last_evaluated_key


def _shape(
    table: Any,
    found: list[Any],
    positions: list[int],
    plan: _Plan,
    index_name: str | None,
    filter_expression: Any,
    projection: list[list[str]] | None,
) -> list[Any]:
    """moto's copy, index projection, filter and projection of the items found, with the same results.

    moto deep-copies the items, then projects each for the index and for the ProjectionExpression, each projection
    converting the whole item to plain Python once per attribute named. Here an item projected (a new item) is not
    copied first, and an item is converted once per projection when every name is a top-level attribute (an
    index's projection always is); other expressions are moto's own `Item.project`. An item as the index projects
    it is kept in the view until the item is written again (nothing changes an answer's items afterwards).
    """
    index = table.get_index(index_name) if index_name else None
    index_attributes = _index_attributes(index)
    results = found if index_attributes is not None or projection else copy.deepcopy(found)
    if index_attributes is not None:
        names, shaped = [[name] for name in index_attributes], plan.shaped
        results = []
        for item, position in zip(found, positions, strict=True):
            if shaped[position] is None:
                shaped[position] = _project(item, names)
            results.append(shaped[position])
    if filter_expression is not None:
        results = [item for item in results if filter_expression.expr(item)]
    if projection:
        results = [_project(r, projection) for r in results]
    return results


def _index_attributes(index: Any) -> list[str] | None:
    """The attributes `SecondaryIndex.project` keeps (None: the whole item, ALL)."""
    if index is None or not index.projection:
        return None
    projection_type = index.projection.get("ProjectionType", None)
    key_attributes = index.table_key_attrs + [key["AttributeName"] for key in index.schema]
    if projection_type == "KEYS_ONLY":
        return list(key_attributes)
    if projection_type == "INCLUDE":
        return [*key_attributes, *index.projection.get("NonKeyAttributes", [])]
    return None


class _Plan:
    """Where moto's loop would walk: the partition's items in order, where it starts and where matches can be."""

    __slots__ = ("compare_attr", "first", "forward", "high", "items", "low", "shaped", "sizes")

    def __init__(self, group: Any, forward: bool, first: int, low: int, high: int, compare_attr: str) -> None:
        self.items: list[Any] = group.items if group is not None else []
        self.sizes: list[int] = group.sizes if group is not None else []
        self.shaped: list[Any] = group.shaped if group is not None else []
        self.forward, self.first = forward, first
        self.low, self.high, self.compare_attr = low, high, compare_attr


def _plan(
    table: Any,
    hash_key: Any,
    range_comparison: str | None,
    range_objs: list[Any],
    exclusive_start_key: dict[str, Any] | None,
    scan_index_forward: Any,
    index_name: str | None,
    consistent_read: bool,
    hash_key_conditions: list[tuple[str, Any]],
    range_key_conditions: list[tuple[str, str, list[Any]]],
) -> _Plan | None:
    if not isinstance(scan_index_forward, bool) or len(range_key_conditions) > 1:
        return None
    if range_key_conditions and (range_comparison is None or range_key_conditions[-1][1] != range_comparison):
        return None
    target = _target(table, hash_key, range_comparison, index_name, consistent_read, hash_key_conditions)
    if target is None:
        return None
    index, compare_attr, value = target
    if range_key_conditions and range_key_conditions[-1][0] != compare_attr:
        return None
    view = query_views.Views.current(table).view(table, index)
    if view.sort_attrs[0] != view.partition_attr or (compare_attr and view.sort_attrs[1] != compare_attr):
        return None
    partition = view.partitions.get(value)
    if partition is None:
        return _Plan(None, scan_index_forward, 0, 0, 0, compare_attr)
    regular = partition.regular()
    if regular is None:
        return None
    signature, group = regular
    first = _first(view.sort_attrs, group.keys, signature, exclusive_start_key, scan_index_forward)
    if first is None:
        return None
    low, high = 0, len(group.keys)
    if range_comparison and all(v.type == signature[1] for v in range_objs):
        bounds = [query_views.native(v) for v in range_objs]
        low, high = _window(group.keys, range_comparison, bounds, signature[1])
    return _Plan(group, scan_index_forward, first, low, high, compare_attr)


def _target(
    table: Any,
    hash_key: Any,
    range_comparison: str | None,
    index_name: str | None,
    consistent_read: bool,
    hash_key_conditions: list[tuple[str, Any]],
) -> tuple[Any, str, Any] | None:
    """The index (None: the table), the sort key the condition is on, and the partition value: None for moto."""
    if not index_name:
        if hash_key is None or (range_comparison and table.range_key_attr is None):
            return None
        return None, table.range_key_attr or "", hash_key
    index = {i.name: i for i in table.all_indexes()}.get(index_name)
    if index is None or (consistent_read and index in table.global_indexes):
        return None
    hash_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if len(hash_keys) != 1 or len(range_keys) > 1 or (range_comparison and not range_keys):
        return None
    if len(hash_key_conditions) != 1 or hash_key_conditions[0][0] != hash_keys[0]:
        return None
    return index, range_keys[0] if range_keys else "", hash_key_conditions[0][1]


def _first(
    sort_attrs: list[str],
    keys: list[tuple[Any, ...]],
    signature: tuple[str, ...],
    exclusive_start_key: dict[str, Any] | None,
    forward: bool,
) -> int | None:
    """The position moto's loop starts at: past every item at or before the `ExclusiveStartKey` in its order."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    if exclusive_start_key is None:
        return 0 if forward else len(keys) - 1
    start = [DynamoType(exclusive_start_key[name]) for name in sort_attrs]
    if tuple(v.type for v in start) != signature:
        return None
    start_key = tuple(query_views.native(v) for v in start)
    return bisect.bisect_right(keys, start_key) if forward else bisect.bisect_left(keys, start_key) - 1


def _window(keys: list[tuple[Any, ...]], comparison: str, bounds: list[Any], type_: str) -> tuple[int, int]:
    """The positions [low, high) of the sort key values that can meet the condition (moto checks each again)."""
    sort_value = itemgetter(1)
    count = len(keys)
    if comparison == "=" and len(bounds) == 1:
        return bisect.bisect_left(keys, bounds[0], key=sort_value), bisect.bisect_right(keys, bounds[0], key=sort_value)
    if comparison == "<" and len(bounds) == 1:
        return 0, bisect.bisect_left(keys, bounds[0], key=sort_value)
    if comparison == "<=" and len(bounds) == 1:
        return 0, bisect.bisect_right(keys, bounds[0], key=sort_value)
    if comparison == ">" and len(bounds) == 1:
        return bisect.bisect_right(keys, bounds[0], key=sort_value), count
    if comparison == ">=" and len(bounds) == 1:
        return bisect.bisect_left(keys, bounds[0], key=sort_value), count
    if comparison == "BETWEEN" and len(bounds) == 2:
        low = bisect.bisect_left(keys, bounds[0], key=sort_value)
        return low, max(low, bisect.bisect_right(keys, bounds[1], key=sort_value))
    if comparison == "BEGINS_WITH" and len(bounds) == 1 and type_ == "S" and isinstance(bounds[0], str):
        prefix = bounds[0]
        low = bisect.bisect_left(keys, prefix, key=sort_value)
        return low, bisect.bisect_right(keys, prefix, low, key=lambda k: k[1][: len(prefix)])
    return 0, count


def _walk(
    table: Any, plan: _Plan, range_comparison: str | None, range_objs: list[Any], limit: int | None, index_name: Any
) -> tuple[list[Any], list[int], dict[str, Any] | None]:
    """moto's loop over the possible results from `plan.first`, visiting only where matches can be: the items
    found, their positions in the partition, and the `LastEvaluatedKey`."""
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT

    items, sizes, size = plan.items, plan.sizes, 0
    results: list[Any] = []
    positions: list[int] = []
    if plan.forward:
        inside = range(max(plan.first, plan.low), plan.high)
        after = range(max(plan.first, plan.high), len(items))
    else:
        inside = range(min(plan.first, plan.high - 1), plan.low - 1, -1)
        after = range(min(plan.first, plan.low - 1), -1, -1)
    for position in inside:
        item, item_size = items[position], sizes[position]
        if len(results) == limit or size + item_size > RESULT_SIZE_LIMIT:
            return results, positions, table._get_last_evaluated_key(results[-1], index_name)
        if not range_comparison or item.attrs[plan.compare_attr].compare(range_comparison, range_objs):
            results.append(item)
            positions.append(position)
            size += item_size
    # The items past the window cannot match, but moto still ends a full page on the next one it visits.
    if results and len(after):
        if len(results) == limit:
            return results, positions, table._get_last_evaluated_key(results[-1], index_name)
        if size + _MAX_ITEM_BYTES > RESULT_SIZE_LIMIT:
            for position in after:
                if size + sizes[position] > RESULT_SIZE_LIMIT:
                    return results, positions, table._get_last_evaluated_key(results[-1], index_name)
    return results, positions, None
