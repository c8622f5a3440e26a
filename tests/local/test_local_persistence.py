"""Local data survives a restart: tables are saved on stop and loaded on start, types intact."""

from __future__ import annotations

import json

import pytest

from local.cloud import LocalCloud

pytestmark = pytest.mark.local

ITEM = {
    "reference": {"S": "BRG-PERSIST-0001"},
    "amount": {"N": "12.50"},
    "tags": {"SS": ["a", "b"]},
    "blob": {"B": b"\x00\x01binary"},
    "nested": {"M": {"count": {"N": "3"}, "ok": {"BOOL": True}, "none": {"NULL": True}}},
}


def test_items_survive_stop_and_a_new_local_cloud_on_the_same_state_dir(local_cloud):
    table = local_cloud.physical_id("Borough-dev-Data/Requests")
    local_cloud.client("dynamodb").put_item(TableName=table, Item=ITEM)
    local_cloud.stop()
    try:
        saved = json.loads((local_cloud.state_dir / f"{table}.json").read_text())
        assert saved["table"] == table
        assert len(saved["items"]) >= 1
        with LocalCloud(local_cloud.assembly_dir, local_cloud.state_dir, port=0) as second:
            assert second.physical_id("Borough-dev-Data/Requests") == table  # deterministic names
            assert second.loaded[table] >= 1
            item = second.client("dynamodb").get_item(TableName=table, Key={"reference": ITEM["reference"]})["Item"]
            assert item == ITEM
    finally:
        local_cloud.start()  # the session's cloud again, with the same data
    again = local_cloud.client("dynamodb").get_item(TableName=table, Key={"reference": ITEM["reference"]})
    assert again["Item"] == ITEM


def test_only_one_local_cloud_runs_at_a_time(local_cloud):
    with pytest.raises(RuntimeError, match="already running"):
        LocalCloud(local_cloud.assembly_dir, None, port=0).start()
