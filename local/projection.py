"""Projection of a DynamoDB item the local cloud's reads answer (local/fast_query.py's Query, local/fast_get.py's
GetItem and BatchGetItem): `Item.project`'s answer when every expression is one top-level name, made without
moto's per-attribute copies; anything else is left to moto's own."""

from __future__ import annotations

from typing import Any

MAX_ITEM_BYTES = 405_000  # moto's LimitedSizeDict: no stored item is larger


def project(item: Any, expressions: list[list[str]]) -> Any:
    """`Item.project` when every expression is one top-level attribute name (else moto's own): the same round trip
    of each attribute kept through plain Python (boto3's deserializer, then its serializer), once per attribute."""
    from moto.dynamodb.models.dynamo_type import Item, deserializer, serializer

    if not top_level(expressions):
        return item.project(expressions)
    attributes: dict[str, Any] = {}
    for (name,) in expressions:
        if name in item.attrs and name not in attributes:
            attributes[name] = serializer.serialize(deserializer.deserialize(item.attrs[name].to_regular_json()))
    return _new_item(Item, item.hash_key, item.range_key, attributes)


def top_level(expressions: list[list[str]]) -> bool:
    """Whether every projection expression is one top-level attribute name (what `project` converts alone)."""
    return all(len(names) == 1 and "[" not in names[0] for names in expressions)


def _new_item(item_class: Any, hash_key: Any, range_key: Any, attributes: dict[str, Any]) -> Any:
    """`Item(hash_key, range_key, attributes)`, checking the size limit once rather than at every attribute."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    item = item_class.__new__(item_class)
    item.hash_key, item.range_key = hash_key, range_key
    attrs = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.__init__(attrs)
    total = 0
    for key, value in attributes.items():
        typed = DynamoType(value)
        total += bytesize(key) + typed.size()
        if total > MAX_ITEM_BYTES:  # as LimitedSizeDict.__setitem__ raises at the attribute that passes it
            raise ItemSizeTooLarge
        dict.__setitem__(attrs, key, typed)
    item.attrs = attrs
    return item
