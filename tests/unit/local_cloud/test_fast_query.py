"""The local cloud's Query (local/fast_query.py) gives moto's own answers, reading only the partition asked for.

The property test builds random tables (number or string keys, with and without a sort key, global and local
secondary indexes with every projection, sparse and with mixed types), writes to them every way moto can (PutItem,
UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems, some of them cancelled), and after each write asks random
Queries (every key condition, both directions, Limit and paging, FilterExpression, ProjectionExpression, Select
COUNT, ConsumedCapacity, and requests moto refuses), each page twice: through the patched Query and through moto's own
`Table.query` (`fast_query.motos_own`). Every answer, error or page key must be the same.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from local import fast_query, query_views

pytestmark = pytest.mark.unit

VALUES = {
    "S": ["a", "ab", "abc", "b", "ba", "c"],
    "N": ["-1", "0", "1", "1.0", "1.5", "2", "10"],
    "B": [b"\x00", b"a", b"ab", b"b"],
}
KEY_NAMES = ("pk", "sk", "g1", "g2", "r1")
COMPARISONS = ("=", "<", "<=", ">", ">=", "BETWEEN", "begins_with")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with mock_aws():
        assert fast_query.install()
        try:
            yield boto3.client("dynamodb", region_name="eu-west-2", config=Config(retries={"total_max_attempts": 1}))
        finally:
            fast_query.uninstall()


def answer(call: Callable[[], dict[str, Any]]) -> tuple[Any, ...]:
    try:
        response = call()
    except Exception as error:  # a ClientError, or what moto itself raised
        details = getattr(error, "response", {}).get("Error", {})
        return ("error", type(error).__name__, details.get("Code"), details.get("Message", str(error)))
    response.pop("ResponseMetadata", None)
    return ("ok", response)


def both(call: Callable[[], dict[str, Any]]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    fast = answer(call)
    with fast_query.motos_own():
        own = answer(call)
    return fast, own


# -- random tables ------------------------------------------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Any]:
    types = {name: draw(st.sampled_from(["S", "N"] if name in ("pk", "sk") else ["S", "N", "B"])) for name in KEY_NAMES}
    with_sort = draw(st.booleans())
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if with_sort:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
    used = {"pk", "sk"} if with_sort else {"pk"}
    indexes: list[dict[str, Any]] = []
    for number in range(draw(st.integers(0, 2))):
        hash_attr = draw(st.sampled_from(["g1", "g2", "pk", "sk" if with_sort else "g1"]))
        range_attr = draw(st.sampled_from([None, "r1", "g2", "sk" if with_sort else "r1"]))
        if range_attr == hash_attr:
            range_attr = None
        key_schema = [{"AttributeName": hash_attr, "KeyType": "HASH"}]
        if range_attr:
            key_schema.append({"AttributeName": range_attr, "KeyType": "RANGE"})
        indexes.append({"IndexName": f"gsi{number}", "KeySchema": key_schema, "Projection": draw(projections())})
        used |= {hash_attr, range_attr} - {None}
    local_indexes = []
    if with_sort and draw(st.booleans()):
        range_attr = draw(st.sampled_from(["r1", "g2"]))
        local_indexes.append(
            {
                "IndexName": "lsi",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": range_attr, "KeyType": "RANGE"},
                ],
                "Projection": draw(projections()),
            }
        )
        used.add(range_attr)
    definition: dict[str, Any] = {
        "KeySchema": schema,
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": types[n]} for n in sorted(used)],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    if local_indexes:
        definition["LocalSecondaryIndexes"] = local_indexes
    return {"definition": definition, "types": types, "with_sort": with_sort}


def projections() -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(
        [
            {"ProjectionType": "ALL"},
            {"ProjectionType": "KEYS_ONLY"},
            {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
        ]
    )


def values(type_: str, few: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """A value from a small pool (`few`: three, for partition keys, so that partitions hold several items)."""
    return st.sampled_from(VALUES[type_][:3] if few else VALUES[type_]).map(lambda v: {type_: v})


def other_values() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        values("S"),
        values("N"),
        st.booleans().map(lambda b: {"BOOL": b}),
        st.just({"L": [{"S": "a"}, {"N": "1"}]}),
        st.just({"M": {"k": {"S": "v"}}}),
        st.just({"SS": ["a", "b"]}),
        st.just({"NS": ["1", "2.5"]}),
        st.just({"BS": [b"a", b"\x00\xff"]}),
        st.just({"NULL": True}),
        st.just({"L": [{"B": b"\x01"}, {"M": {"n": {"N": "-3"}, "s": {"SS": ["x"]}}}, {"BOOL": False}]}),
    )


@st.composite
def keys(draw: st.DrawFn, table: dict[str, Any]) -> dict[str, Any]:
    key = {"pk": draw(values(table["types"]["pk"], few=True))}
    if table["with_sort"]:
        key["sk"] = draw(values(table["types"]["sk"]))
    return key


@st.composite
def items(draw: st.DrawFn, table: dict[str, Any]) -> dict[str, Any]:
    item = draw(keys(table))
    for name in ("g1", "g2", "r1"):
        choice = draw(st.integers(0, 9))
        if choice < 6:
            item[name] = draw(values(table["types"][name], few=name == "g1"))
        elif choice == 6:
            item[name] = draw(other_values())  # another type than the index declares: moto's own answer decides
    if draw(st.booleans()):
        item["x"] = draw(other_values())
    if draw(st.booleans()):
        item["y"] = {"S": "padding " * draw(st.integers(0, 40))}
    return item


@st.composite
def writes(draw: st.DrawFn, table: dict[str, Any]) -> tuple[str, Any]:
    kind = draw(st.sampled_from(["put", "put", "put", "update", "delete", "batch", "transact"]))
    if kind == "put":
        return kind, draw(items(table))
    if kind == "update":
        name = draw(st.sampled_from(["g1", "g2", "r1", "x"]))
        if draw(st.booleans()):
            return kind, (draw(keys(table)), f"REMOVE {name}", None)
        type_ = table["types"].get(name, "S")
        return kind, (draw(keys(table)), f"SET {name} = :v", draw(values(type_)))
    if kind == "delete":
        return kind, draw(keys(table))
    if kind == "batch":
        return kind, draw(st.lists(st.one_of(items(table), keys(table).map(lambda k: ("delete", k))), max_size=6))
    return kind, (draw(st.lists(items(table), min_size=1, max_size=3)), draw(st.booleans()))


@st.composite
def sort_conditions(draw: st.DrawFn, declared: str, expression_values: dict[str, Any]) -> str:
    comparison = draw(st.sampled_from(COMPARISONS))
    type_ = declared if draw(st.integers(0, 9)) else draw(st.sampled_from(["S", "N"]))  # sometimes the wrong type
    expression_values[":a"] = draw(values(type_))
    if comparison == "BETWEEN":
        expression_values[":b"] = draw(values(type_))
        return " AND #r BETWEEN :a AND :b"
    if comparison == "begins_with":
        return " AND begins_with(#r, :a)"
    return f" AND #r {comparison} :a"


@st.composite
def queries(draw: st.DrawFn, table: dict[str, Any]) -> dict[str, Any]:
    definition = table["definition"]
    targets: list[dict[str, Any] | None] = [None, *definition.get("GlobalSecondaryIndexes", [])]
    targets += definition.get("LocalSecondaryIndexes", [])
    target = draw(st.sampled_from(targets))
    schema = definition["KeySchema"] if target is None else target["KeySchema"]
    hash_attr = schema[0]["AttributeName"]
    range_attr = schema[1]["AttributeName"] if len(schema) > 1 else None
    types = table["types"]
    names, expression_values = {"#h": hash_attr}, {":h": draw(values(types[hash_attr], few=hash_attr in ("pk", "g1")))}
    condition = "#h = :h"
    if range_attr and draw(st.booleans()):
        names["#r"] = range_attr
        condition += draw(sort_conditions(types[range_attr], expression_values))
    request: dict[str, Any] = {
        "TableName": "t",
        "KeyConditionExpression": condition,
        "ScanIndexForward": draw(st.booleans()),
        "ReturnConsumedCapacity": draw(st.sampled_from(["NONE", "TOTAL", "INDEXES"])),
    }
    if target is not None:
        request["IndexName"] = target["IndexName"]
        if draw(st.integers(0, 9)) == 0:
            request["ConsistentRead"] = True  # refused on a global index
    limit = draw(st.one_of(st.none(), st.integers(1, 3)))
    if limit is not None:
        request["Limit"] = limit
    if draw(st.integers(0, 3)) == 0:
        request["FilterExpression"] = "attribute_exists(x)"
    elif draw(st.integers(0, 3)) == 0:
        request["FilterExpression"] = "g1 = :f"
        expression_values[":f"] = draw(values(types["g1"]))
    if draw(st.integers(0, 3)) == 0:
        request["ProjectionExpression"] = "pk, x, #h"
    elif draw(st.integers(0, 5)) == 0:
        request["Select"] = "COUNT"
    request["ExpressionAttributeNames"] = names
    request["ExpressionAttributeValues"] = expression_values
    return request


# -- the comparison -----------------------------------------------------------------------------------------------


def apply(client: Any, write: tuple[str, Any]) -> None:
    kind, detail = write
    if kind == "put":
        client.put_item(TableName="t", Item=detail)
    elif kind == "update":
        key, expression, value = detail
        extra = {"ExpressionAttributeValues": {":v": value}} if value is not None else {}
        client.update_item(TableName="t", Key=key, UpdateExpression=expression, **extra)
    elif kind == "delete":
        client.delete_item(TableName="t", Key=detail)
    elif kind == "batch":
        requests, seen = [], set()
        for entry in detail:
            key = entry[1] if isinstance(entry, tuple) else {k: entry[k] for k in ("pk", "sk") if k in entry}
            marker = repr(sorted(key.items()))
            if marker in seen:
                continue
            seen.add(marker)
            requests.append(
                {"DeleteRequest": {"Key": key}} if isinstance(entry, tuple) else {"PutRequest": {"Item": entry}}
            )
        if requests:
            client.batch_write_item(RequestItems={"t": requests})
    else:
        puts, cancelled = detail
        operations = [{"Put": {"TableName": "t", "Item": item}} for item in puts]
        if cancelled:  # a condition that fails: the whole transaction is rolled back
            operations[-1]["Put"]["ConditionExpression"] = "attribute_exists(nothing_has_this)"
        client.transact_write_items(TransactItems=operations)


def compare_pages(client: Any, request: dict[str, Any]) -> None:
    request = dict(request)
    for _ in range(30):
        fast, own = both(lambda: client.query(**request))
        assert fast == own, request
        if fast[0] != "ok" or "LastEvaluatedKey" not in fast[1]:
            return
        request["ExclusiveStartKey"] = fast[1]["LastEvaluatedKey"]


def test_the_partitioned_query_answers_as_moto_does(client: Any) -> None:
    before = dict(fast_query.answered)
    random_tables_writes_and_queries(client)
    partition, moto = (fast_query.answered[path] - before[path] for path in ("partition", "moto"))
    # Most Queries must have been answered from the partition (the rest: mixed types, refused requests).
    assert partition > 3 * moto > 0, fast_query.answered


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def random_tables_writes_and_queries(client: Any, data: st.DataObject) -> None:
    table = data.draw(tables())
    try:
        client.create_table(TableName="t", **table["definition"])
    except client.exceptions.ClientError:
        return  # a schema moto refuses (e.g. an attribute declared twice): nothing to compare
    try:
        for _ in range(data.draw(st.integers(1, 8))):
            for write in data.draw(st.lists(writes(table), max_size=8)):
                # refused writes (wrong key type, cancelled transaction) must change nothing either way
                with contextlib.suppress(client.exceptions.ClientError):
                    apply(client, write)
            for request in data.draw(st.lists(queries(table), min_size=1, max_size=4)):
                compare_pages(client, request)
    finally:
        client.delete_table(TableName="t")


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("condition", ["", " AND sk > :low", " AND sk BETWEEN :low AND :high"])
def test_pages_end_at_one_megabyte_as_moto_ends_them(client: Any, forward: bool, condition: str) -> None:
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        for number in range(30):  # 90 to 380 KB each: a page holds a few
            padding = "x" * (90_000 + (number * 37_000) % 290_000)
            client.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"N": str(number)}, "y": {"S": padding}})
        values = (
            {":a": {"S": "a"}}
            | ({":low": {"N": "3"}} if condition else {})
            | ({":high": {"N": "25"}} if "BETWEEN" in condition else {})
        )
        request = {
            "TableName": "t",
            "KeyConditionExpression": "pk = :a" + condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": forward,
            "ProjectionExpression": "sk",
        }
        before = fast_query.answered["partition"]
        compare_pages(client, request)
        assert fast_query.answered["partition"] - before > 3  # several pages, each from the partition
    finally:
        client.delete_table(TableName="t")


def test_a_view_that_missed_a_write_is_caught_by_the_comparison(client: Any) -> None:
    """The comparison can fail: an item taken out of the partition's view behind moto's back shows."""
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        for number in range(5):
            client.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"N": str(number)}})
        request = {
            "TableName": "t",
            "KeyConditionExpression": "pk = :a",
            "ExpressionAttributeValues": {":a": {"S": "a"}},
        }
        fast, own = both(lambda: client.query(**request))
        assert fast == own
        assert fast[1]["Count"] == 5
        view = _table("t").__dict__[query_views._STATE].views[None]
        group = next(iter(view.partitions.values())).groups[("S", "N")]
        del group.keys[2], group.items[2]
        fast, own = both(lambda: client.query(**request))
        assert fast[1]["Count"] == 4
        assert own[1]["Count"] == 5
        assert fast != own
    finally:
        client.delete_table(TableName="t")


def test_a_query_never_walks_the_whole_table(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb.models.table import Table

    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "team", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-team",
                "KeySchema": [
                    {"AttributeName": "team", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        for number in range(40):
            item = {"pk": {"S": f"case{number % 8}"}, "sk": {"N": str(number)}, "team": {"S": f"team{number % 4}"}}
            client.put_item(TableName="t", Item=item)

        def refuse(table: Any) -> Any:
            raise AssertionError("the whole table was walked")

        monkeypatch.setattr(Table, "all_items", refuse)
        pages, request = (
            [],
            {
                "TableName": "t",
                "IndexName": "by-team",
                "KeyConditionExpression": "team = :t AND sk > :s",
                "ExpressionAttributeValues": {":t": {"S": "team1"}, ":s": {"N": "4"}},
                "Limit": 3,
            },
        )
        while True:
            page = client.query(**request)
            pages.append([int(item["sk"]["N"]) for item in page["Items"]])
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        assert pages == [[5, 9, 13], [17, 21, 25], [29, 33, 37]]
        client.update_item(
            TableName="t",
            Key={"pk": {"S": "case5"}, "sk": {"N": "5"}},
            UpdateExpression="SET team = :t",
            ExpressionAttributeValues={":t": {"S": "team2"}},
        )
        moved = client.query(
            TableName="t",
            IndexName="by-team",
            KeyConditionExpression="team = :t AND sk < :s",
            ExpressionAttributeValues={":t": {"S": "team2"}, ":s": {"N": "7"}},
        )
        assert [int(item["sk"]["N"]) for item in moved["Items"]] == [2, 5, 6]
        table = client.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "case5"}},
            ScanIndexForward=False,
        )
        assert [int(item["sk"]["N"]) for item in table["Items"]] == [37, 29, 21, 13, 5]
    finally:
        monkeypatch.undo()
        client.delete_table(TableName="t")


def _table(name: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["eu-west-2"].tables[name]


def test_a_restored_table_answers_from_its_own_items(client: Any) -> None:
    definition = {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "g1", "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "gsi0",
                "KeySchema": [{"AttributeName": "g1", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    client.create_table(TableName="t", **definition)
    try:
        for number in range(6):
            client.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"N": str(number)}, "g1": {"S": "x"}})
        by_index = {
            "IndexName": "gsi0",
            "KeyConditionExpression": "g1 = :x",
            "ExpressionAttributeValues": {":x": {"S": "x"}},
        }
        compare_pages(client, {"TableName": "t", **by_index})  # the views are built before the backup
        backup = client.create_backup(TableName="t", BackupName="backup")["BackupDetails"]["BackupArn"]
        client.restore_table_from_backup(TargetTableName="restored", BackupArn=backup)
        client.delete_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"N": "2"}})
        client.put_item(TableName="restored", Item={"pk": {"S": "a"}, "sk": {"N": "9"}, "g1": {"S": "x"}})
        for name, expected in (("t", [0, 1, 3, 4, 5]), ("restored", [0, 1, 2, 3, 4, 5, 9])):
            fast, own = both(lambda name=name: client.query(TableName=name, **by_index))
            assert fast == own
            assert [int(item["sk"]["N"]) for item in fast[1]["Items"]] == expected
    finally:
        client.delete_table(TableName="t")
        with contextlib.suppress(client.exceptions.ClientError):
            client.delete_table(TableName="restored")
