"""Each moto table's items by partition, in the order moto's Query sorts them: what `local/fast_query.py` reads.

A view is one table's own key or one of its secondary indexes: its items grouped by the partition key's value,
each group a list sorted by the attributes moto's Query sorts by (`Table._generate_attr_to_sort_by`: the index's
partition and sort keys, then the table's), as plain Python values (`DynamoType.cast_value`: str, Decimal, bytes).
A view is built the first time a Query needs it and is then kept up to date by every write path moto has: the
table's `put_item` and `delete_item` (which `PutItem`, `BatchWriteItem`, `TransactWriteItems`, PartiQL and
`ImportTable` all go through) and the backend's `update_item` (which changes an item in place), each re-reading
the written key from the table itself. The views live on the table object, so a table rolled back (moto puts back a
deep copy, views included) or restored (a new table) has its own; a table whose `items` dict was swapped for another
is noticed (`Views.current`) and its views are built again. An item changed in place by anything else than these
paths would not be seen: moto 5.2 has no other (it does not expire items by TTL).

A partition whose items do not all have one type per sort attribute, or holding an item whose sort attributes are not
S, N or B, is not regular (`Partition.regular`): moto's own Query answers it (its comparisons between types are its
own).
"""

from __future__ import annotations

import bisect
from typing import Any

_KEY_TYPES = frozenset({"S", "N", "B"})
_STATE = "_borough_query_views"  # the attribute holding a table's views (deep-copied with the table)

generation = 0  # raised by `fast_query.install`: views built before are not trusted (writes were not followed)


def native(value: Any) -> Any:
    """A key value as Python compares it the way moto does (`DynamoType.__lt__` compares `cast_value`s)."""
    return value.cast_value


class Group:
    """A partition's items of one type signature, sorted by their sort tuple (unique: it ends with the item's key)."""

    __slots__ = ("items", "keys", "shaped", "sizes")

    def __init__(self) -> None:
        self.keys: list[tuple[Any, ...]] = []
        self.items: list[Any] = []
        self.sizes: list[int] = []  # each item's `Item.size()` (what moto's 1 MB page counts), as last written
        self.shaped: list[Any] = []  # each item as the index projects it, once asked for (None until then)


class Partition:
    """One partition value's items, by the types of their sort attributes (one signature unless irregular)."""

    __slots__ = ("groups", "odd")

    def __init__(self) -> None:
        self.groups: dict[tuple[str, ...], Group] = {}
        self.odd: dict[Any, Any] = {}  # item key -> item whose sort attributes are not all S, N or B

    def regular(self) -> tuple[tuple[str, ...], Group] | None:
        """The one signature and its items, or None when moto's own Query must answer (types mixed or odd)."""
        if self.odd or len(self.groups) != 1:
            return None
        return next(iter(self.groups.items()))


class View:
    """A table's own key (`index` None) or one secondary index, by partition value."""

    def __init__(self, table: Any, index: Any | None) -> None:
        self.index_name = index.name if index is not None else None
        self.schema = _schema(index)
        if index is None:
            self.partition_attr = table.hash_key_attr
            self.required = list(table.table_key_attrs)
            self.sort_attrs = table._generate_attr_to_sort_by([table.hash_key_attr], [table.range_key_attr])
        else:
            hash_attr = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
            range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
            self.partition_attr = hash_attr
            self.required = [hash_attr, *range_keys]
            self.sort_attrs = table._generate_attr_to_sort_by(*sort_attributes(table, index))
        self.partitions: dict[Any, Partition] = {}
        # item key -> (partition value, sort tuple, its types): what the item was filed under, as it may since
        # have been changed in place (UpdateItem)
        self.where: dict[Any, tuple[Any, tuple[Any, ...] | None, tuple[str, ...]]] = {}
        for item in _all_items(table):
            self.add(item)
        for partition in self.partitions.values():
            for group in partition.groups.values():
                order = sorted(range(len(group.keys)), key=group.keys.__getitem__)
                group.keys = [group.keys[i] for i in order]
                group.items = [group.items[i] for i in order]
                group.sizes = [group.sizes[i] for i in order]
                group.shaped = [None] * len(order)
        self._sorted = True

    _sorted = False

    def add(self, item: Any) -> None:
        attrs = item.attrs
        for name in self.required:
            if not attrs.get(name):
                return
        value = attrs[self.partition_attr]
        try:
            hash(value)
        except TypeError:  # a list, map or set never equals a key value of S, N or B (types differ)
            return
        partition = self.partitions.get(value)
        if partition is None:
            partition = self.partitions[value] = Partition()
        key = (item.hash_key, item.range_key)
        values = [attrs[name] for name in self.sort_attrs]
        if any(v.type not in _KEY_TYPES for v in values):
            partition.odd[key] = item
            self.where[key] = (value, None, ())
            return
        sort_key = tuple(native(v) for v in values)
        signature = tuple(v.type for v in values)
        group = partition.groups.get(signature)
        if group is None:
            group = partition.groups[signature] = Group()
        size = item.size()
        if self._sorted:
            position = bisect.bisect_right(group.keys, sort_key)
            group.keys.insert(position, sort_key)
            group.items.insert(position, item)
            group.sizes.insert(position, size)
            group.shaped.insert(position, None)
        else:
            group.keys.append(sort_key)
            group.items.append(item)
            group.sizes.append(size)
            group.shaped.append(None)
        self.where[key] = (value, sort_key, signature)

    def discard(self, key: Any) -> None:
        found = self.where.pop(key, None)
        if found is None:
            return
        value, sort_key, signature = found
        partition = self.partitions[value]
        if sort_key is None:
            del partition.odd[key]
        else:
            group = partition.groups[signature]
            position = bisect.bisect_left(group.keys, sort_key)
            del group.keys[position]
            del group.items[position]
            del group.sizes[position]
            del group.shaped[position]
            if not group.keys:
                del partition.groups[signature]
        if not partition.groups and not partition.odd:
            del self.partitions[value]


def sort_attributes(table: Any, index: Any) -> tuple[list[str], list[str | None]]:
    """The hash and range attributes moto's `Table.query` sorts an index's items by (single-attribute keys)."""
    hash_attr = next(k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH")
    range_keys = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    if range_keys:
        range_attrs: list[str | None] = [range_keys[0], table.range_key_attr]
    else:
        from moto.dynamodb.models.table import GlobalSecondaryIndex

        if isinstance(index, GlobalSecondaryIndex) and table.range_key_attr:
            range_attrs = [table.range_key_attr, table.range_key_attr]
        else:
            range_attrs = [table.hash_key_attr, table.range_key_attr]
    return [hash_attr, table.hash_key_attr], range_attrs


class Views:
    """A table's views, valid while the table's `items` is the one they were built from, in this generation."""

    def __init__(self, table: Any) -> None:
        self.items_ref = table.items
        self.generation = generation
        self.views: dict[str | None, View] = {}

    @staticmethod
    def current(table: Any) -> Views:
        views = table.__dict__.get(_STATE)
        if views is None or views.items_ref is not table.items or views.generation != generation:
            views = Views(table)
            table.__dict__[_STATE] = views
        return views

    def view(self, table: Any, index: Any | None) -> View:
        name = index.name if index is not None else None
        view = self.views.get(name)
        if view is None or view.schema != _schema(index):
            view = self.views[name] = View(table, index)
        return view


def refresh(table: Any, hash_key: Any, range_key: Any) -> None:
    """After a write to one key: take the key out of every view of the table and put back what the table holds."""
    views = table.__dict__.get(_STATE)
    if views is None:
        return
    if views.items_ref is not table.items or views.generation != generation:
        table.__dict__.pop(_STATE, None)
        return
    key = (hash_key, range_key)
    try:
        item = current_item(table, hash_key, range_key)
        for view in views.views.values():
            view.discard(key)
            if item is not None:
                view.add(item)
    except Exception:  # e.g. binary keys held both as bytes and base64: never fail the write, build again instead
        table.__dict__.pop(_STATE, None)


def _schema(index: Any | None) -> Any:
    """What a view of an index was built for: its keys and projection (an index re-created differently is new)."""
    return None if index is None else ([dict(key) for key in index.schema], repr(index.projection))


def forget(table: Any) -> None:
    """Drop a table's views (built again at its next Query)."""
    table.__dict__.pop(_STATE, None)


def current_item(table: Any, hash_key: Any, range_key: Any) -> Any:
    group = table.items.get(hash_key)
    if group is None:
        return None
    if table.range_key_attr is None:
        return group
    return group.get(range_key) if range_key is not None else None


def _all_items(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for group in table.items.values() for item in group.values()]
    return list(table.items.values())
