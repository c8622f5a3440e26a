"""The local cloud's `GetItem` and `BatchGetItem` (local/fast_get.py, local/query_response.py) give moto's own
answers, projecting each item once.

The property test builds random tables and writes as `test_fast_query.py` does, then asks random `GetItem`s and
`BatchGetItem`s (present and missing keys, every kind of `ProjectionExpression`: top-level names, names given by
`ExpressionAttributeNames`, repeated names, nested paths and list elements, which are moto's own; `AttributesToGet`,
`ConsistentRead`, `ReturnConsumedCapacity`, and requests moto refuses: duplicate keys, unused names, both
projections at once), each twice: through the local cloud's path and through moto's own (`fast_query.motos_own`).
Every answer or error must be the same.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from local import fast_get, fast_query
from tests.unit.local_cloud.test_fast_query import apply, both, keys, tables, writes

pytestmark = pytest.mark.unit

PROJECTIONS: list[tuple[str, dict[str, str]] | None] = [
    None,
    ("pk, x", {}),
    ("#a, y", {"#a": "x"}),
    ("x, x, pk", {}),  # a name twice
    ("nothing_has_this", {}),
    ("x.k", {}),  # a nested path: moto's own Item.project
    ("x[0], pk", {}),  # a list element: moto's own
    ("#a", {"#a": "g1", "#b": "g2"}),  # a name given and not used: refused
]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with mock_aws():
        assert fast_query.install()
        try:
            yield boto3.client("dynamodb", region_name="eu-west-2", config=Config(retries={"total_max_attempts": 1}))
        finally:
            fast_query.uninstall()


def projected(draw: st.DrawFn, request: dict[str, Any]) -> dict[str, Any]:
    choice = draw(st.sampled_from(PROJECTIONS))
    if choice is not None:
        request["ProjectionExpression"], names = choice
        if names:
            request["ExpressionAttributeNames"] = names
    elif draw(st.integers(0, 5)) == 0:
        request["AttributesToGet"] = draw(st.sampled_from([["pk"], ["x", "y"], ["nothing_has_this"]]))
    if choice is not None and draw(st.integers(0, 9)) == 0:
        request["AttributesToGet"] = ["pk"]  # both kinds of projection: refused
    return request


@st.composite
def gets(draw: st.DrawFn, table: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if draw(st.booleans()):
        one: dict[str, Any] = {"TableName": "t", "Key": draw(keys(table))}
        if draw(st.booleans()):
            one["ConsistentRead"] = True
        if draw(st.booleans()):
            one["ReturnConsumedCapacity"] = draw(st.sampled_from(["NONE", "TOTAL", "INDEXES"]))
        return "get", projected(draw, one)
    wanted = draw(st.lists(keys(table), min_size=1, max_size=6))
    if draw(st.integers(0, 4)):
        wanted = list({repr(sorted(k.items())): k for k in wanted}.values())  # duplicates are refused
    batch = projected(draw, {"Keys": wanted})
    if draw(st.booleans()):
        batch["ConsistentRead"] = True
    request: dict[str, Any] = {"RequestItems": {"t": batch}}
    if draw(st.booleans()):
        request["ReturnConsumedCapacity"] = draw(st.sampled_from(["NONE", "TOTAL", "INDEXES"]))
    return "batch", request


def compare(client: Any, read: tuple[str, dict[str, Any]]) -> None:
    kind, request = read
    call = client.get_item if kind == "get" else client.batch_get_item
    fast, own = both(lambda: call(**request))
    if kind == "batch" and fast[0] == "ok":  # moto's order of the answer's items follows the keys asked for
        assert fast[1].keys() == own[1].keys(), request
    assert fast == own, request


def test_reads_answer_as_moto_does(client: Any) -> None:
    before = dict(fast_get.answered)
    random_tables_writes_and_reads(client)
    fast, moto = (fast_get.answered[path] - before[path] for path in ("fast", "moto"))
    # Both paths were compared: reads projected here, and those left to moto (nested paths, list elements); their
    # share depends on what Hypothesis draws, so only that each was taken is asserted.
    assert fast > 0, fast_get.answered
    assert moto > 0, fast_get.answered


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def random_tables_writes_and_reads(client: Any, data: st.DataObject) -> None:
    table = data.draw(tables())
    try:
        client.create_table(TableName="t", **table["definition"])
    except client.exceptions.ClientError:
        return  # a schema moto refuses: nothing to compare
    try:
        for _ in range(data.draw(st.integers(1, 6))):
            for write in data.draw(st.lists(writes(table), max_size=8)):
                with contextlib.suppress(client.exceptions.ClientError):
                    apply(client, write)
            for read in data.draw(st.lists(gets(table), min_size=1, max_size=6)):
                compare(client, read)
    finally:
        client.delete_table(TableName="t")


def _case_table(client: Any) -> None:
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for number in range(5):
        item = {
            "pk": {"S": f"case{number}"},
            "version": {"N": str(number)},
            "photo": {"B": bytes([number, 255])},
            "history": {"L": [{"M": {"at": {"S": "2026-12-04"}, "n": {"N": str(n)}}} for n in range(20)]},
        }
        client.put_item(TableName="t", Item=item)


def test_a_projection_that_lost_an_attribute_is_caught_by_the_comparison(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparison can fail: a projection here that drops an attribute shows against moto's own."""
    _case_table(client)
    try:
        request = {
            "RequestItems": {"t": {"Keys": [{"pk": {"S": "case1"}}], "ProjectionExpression": "pk, version, photo"}}
        }
        fast, own = both(lambda: client.batch_get_item(**request))
        assert fast == own
        assert fast[1]["Responses"]["t"] == [{"pk": {"S": "case1"}, "version": {"N": "1"}, "photo": {"B": b"\x01\xff"}}]
        original = fast_get.project
        monkeypatch.setattr(fast_get, "project", lambda item, names: original(item, names[:1]))
        fast, own = both(lambda: client.batch_get_item(**request))
        assert fast[1]["Responses"]["t"] == [{"pk": {"S": "case1"}}]
        assert fast != own
    finally:
        monkeypatch.undo()
        client.delete_table(TableName="t")


def test_a_projected_read_converts_only_the_attributes_named(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's `Item.project` converts the whole item (its 20-entry history too) per name; here it is not called."""
    from moto.dynamodb.models.dynamo_type import Item

    _case_table(client)
    try:

        def refuse(item: Any, expressions: Any) -> Any:
            raise AssertionError("moto's Item.project converted the whole item")

        monkeypatch.setattr(Item, "project", refuse)
        answer = client.batch_get_item(
            RequestItems={
                "t": {"Keys": [{"pk": {"S": f"case{n}"}} for n in (3, 0, 9)], "ProjectionExpression": "pk, version"}
            }
        )
        found = sorted(answer["Responses"]["t"], key=lambda item: item["pk"]["S"])
        assert found == [{"pk": {"S": "case0"}, "version": {"N": "0"}}, {"pk": {"S": "case3"}, "version": {"N": "3"}}]
        one = client.get_item(TableName="t", Key={"pk": {"S": "case4"}}, ProjectionExpression="version")
        assert one["Item"] == {"version": {"N": "4"}}
    finally:
        monkeypatch.undo()
        client.delete_table(TableName="t")


def test_items_read_are_not_kept_by_moto(client: Any) -> None:
    """moto keeps every model instance it makes for its dashboard; the copies of items a read makes are not kept,
    so they are freed once answered (and moto's own instances are tracked again after `uninstall`)."""
    from moto.dynamodb.models.dynamo_type import Item

    _case_table(client)
    try:
        gc.collect()
        before, tracked = sum(type(o) is Item for o in gc.get_objects()), len(Item.instances_tracked)  # type: ignore[attr-defined]
        for _ in range(20):
            client.query(
                TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "case2"}}
            )
            client.get_item(TableName="t", Key={"pk": {"S": "case2"}}, ProjectionExpression="version")
        gc.collect()
        assert sum(type(o) is Item for o in gc.get_objects()) == before
        assert len(Item.instances_tracked) == tracked  # type: ignore[attr-defined]
        fast_query.uninstall()
        try:
            tracked = len(Item.instances_tracked)  # type: ignore[attr-defined]
            client.get_item(TableName="t", Key={"pk": {"S": "case2"}}, ProjectionExpression="version")
            assert len(Item.instances_tracked) > tracked  # type: ignore[attr-defined]
        finally:
            assert fast_query.install()
    finally:
        client.delete_table(TableName="t")
