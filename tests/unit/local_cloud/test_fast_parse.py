"""The local cloud keeps moto's parse of a condition or filter expression (local/fast_parse.py) and turns results
into plain values its own way (local/query_response.py `to_dict`): the answers stay moto's own.

Queries with filters are compared with moto's own on random tables in `test_fast_query.py`; here: conditional
writes judged by a kept expression against different items, refused expressions refused every time, the same text
with other values not confused, and `to_dict` against moto's `dynamo_to_dict` on random values.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from local import fast_parse, fast_query
from tests.unit.local_cloud.test_fast_query import both

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with mock_aws():
        assert fast_query.install()
        try:
            yield boto3.client("dynamodb", region_name="eu-west-2", config=Config(retries={"total_max_attempts": 1}))
        finally:
            fast_query.uninstall()


@pytest.fixture
def table(client: Any) -> Iterator[str]:
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        yield "t"
    finally:
        client.delete_table(TableName="t")


def test_a_kept_condition_judges_each_item_afresh(client: Any, table: str) -> None:
    put = {"TableName": table, "ConditionExpression": "attribute_not_exists(pk) OR #v < :v"}
    before = fast_parse.answered["kept"]
    for version, expected in [(1, "ok"), (2, "ok"), (2, "error"), (1, "error"), (5, "ok")]:
        request = put | {
            "Item": {"pk": {"S": "a"}, "version": {"N": str(version)}},
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": {":v": {"N": str(version)}},
        }
        try:
            client.put_item(**request)
            outcome = "ok"
        except client.exceptions.ConditionalCheckFailedException:
            outcome = "error"
        assert outcome == expected, version
    assert fast_parse.answered["kept"] > before
    stored = client.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"]
    assert stored["version"] == {"N": "5"}


def test_the_same_text_with_other_values_is_parsed_again(client: Any, table: str) -> None:
    for number in range(6):
        client.put_item(TableName=table, Item={"pk": {"S": f"p{number}"}, "n": {"N": str(number)}})
    for low in ("1", "4", "1"):
        request = {
            "TableName": table,
            "FilterExpression": "n > :low",
            "ExpressionAttributeValues": {":low": {"N": low}},
        }
        fast, own = both(lambda r=request: client.scan(**r))  # type: ignore[misc]
        assert fast == own
        assert sorted(int(item["n"]["N"]) for item in fast[1]["Items"]) == list(range(int(low) + 1, 6))


@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ("n >", {}),  # not an expression
        ("#missing = :v", {}),  # a name not given
        ("size = :v", {}),  # a reserved word
        ("n = :v", {"#unused": "n"}),  # a name given and not used
    ],
)
def test_a_refused_expression_is_refused_every_time(client: Any, table: str, expression: str, names: Any) -> None:
    request: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": expression,
        "ExpressionAttributeValues": {":v": {"N": "1"}},
    }
    if names:
        request["ExpressionAttributeNames"] = names
    for _ in range(2):
        fast, own = both(lambda: client.scan(**request))
        assert fast[0] == "error"
        assert fast == own


def plain_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.text(max_size=3),
        st.integers(),
        st.booleans(),
        st.none(),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.binary(max_size=3),
        st.just(datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)),
    )
    return st.recursive(
        leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    )


def attribute_values() -> st.SearchStrategy[dict[str, Any]]:
    scalars = st.one_of(
        st.text(max_size=3).map(lambda v: {"S": v}),
        st.integers(-5, 5).map(lambda v: {"N": str(v)}),
        st.binary(min_size=1, max_size=3).map(lambda v: {"B": v}),
        st.booleans().map(lambda v: {"BOOL": v}),
        st.just({"NULL": True}),
        st.just({"SS": ["a", "b"]}),
        st.just({"NS": ["1", "2.5"]}),
        st.just({"BS": [b"a", b"\x00"]}),
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=3).map(lambda v: {"L": v})
            | st.dictionaries(st.text(max_size=2), inner, max_size=3).map(lambda v: {"M": v})
        ),
    )


@settings(max_examples=300, deadline=None)
@given(plain=plain_values(), attributes=st.dictionaries(st.text(max_size=3), attribute_values(), max_size=4))
def test_results_become_the_plain_values_moto_makes(client: Any, plain: Any, attributes: dict[str, Any]) -> None:
    from moto.dynamodb import responses
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.utilities import dynamo_to_dict

    item = Item(DynamoType({"S": "k"}), None, attributes)
    result = {
        "Items": [item.attrs, {"plain": plain}],
        "Item": item,  # a model with to_json: moto's own
        "Count": Decimal("2"),
        "Key": dict(item.attrs),
    }
    assert responses.dynamo_to_dict is not dynamo_to_dict  # the local cloud's is installed
    assert responses.dynamo_to_dict(result) == dynamo_to_dict(result)
