"""Local data that survives a restart: every DynamoDB table's items, saved as typed DynamoDB JSON.

Typed JSON (`{"S": ...}`, `{"N": "1.5"}`, `{"SS": [...]}`) round-trips numbers, sets and binary exactly.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from local.moto_session import MotoSession


def save_tables(session: MotoSession, table_names: list[str], state_dir: Path) -> dict[str, int]:
    """Write each table's items to `<state_dir>/<table>.json`; return how many items each had."""
    state_dir.mkdir(parents=True, exist_ok=True)
    dynamodb = session.client("dynamodb")
    counts = {}
    for name in table_names:
        items: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=name):
            items.extend(page["Items"])
        target = state_dir / f"{name}.json"
        temporary = target.with_suffix(".json.tmp")
        temporary.write_text(json.dumps({"table": name, "items": items}, default=_binary, indent=1))
        os.replace(temporary, target)  # never leave a half-written file behind
        counts[name] = len(items)
    return counts


def load_tables(session: MotoSession, table_names: list[str], state_dir: Path) -> dict[str, int]:
    """Put back the items saved for each table (tables with no saved file stay empty)."""
    dynamodb = session.client("dynamodb")
    counts = {}
    for name in table_names:
        source = state_dir / f"{name}.json"
        if not source.exists():
            continue
        items = [_unbinary(item) for item in json.loads(source.read_text()).get("items", [])]
        for start in range(0, len(items), 25):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            pending: dict[str, Any] = {name: requests}
            while pending:
                pending = dynamodb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        counts[name] = len(items)
    return counts


def _binary(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"__base64__": base64.b64encode(value).decode()}
    raise TypeError(f"Cannot save {type(value).__name__}")


def _unbinary(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__base64__"}:
            return base64.b64decode(value["__base64__"])
        return {key: _unbinary(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unbinary(item) for item in value]
    return value
