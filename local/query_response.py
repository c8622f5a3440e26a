"""The body of a DynamoDB read's answer (`Query`, `GetItem`, `BatchGetItem`) written as JSON at once, instead of by
moto's model-driven serializer.

moto 5.2 serializes every response by walking botocore's output shape member by member (`moto.core.serialize`):
about 1 ms per item of a Query's answer on the project's machines, so a page of 1,000 items takes seconds, and a
`BatchGetItem` of 25 small items several milliseconds. The answer DynamoDB's JSON protocol sends is the attribute
values as they are (`{"S": ...}`, `{"N": "..."}`, binary as base64), which is what `ReadResult` writes with
`json.dumps`, from moto's own result (`DynamoResult`: the same items, counts, keys, `UnprocessedKeys` and
`ConsumedCapacity`). moto's `dynamo_to_dict`, which turns every result (of any DynamoDB operation) into plain values
before it is written, is replaced by `to_dict`, which gives the same values without moto's per-value import and
`hasattr` (the same function for what it does not know: binary values, datetimes, objects with `to_json`).
Installed and removed with `local/fast_query.py`; `tests/unit/local_cloud/test_fast_query.py`
and `test_fast_get.py` compare the parsed answers with moto's own serializer's.
"""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

# moto's handler method -> the operation whose answer is written here
OPERATIONS = {"query": "Query", "get_item": "GetItem", "batch_get_item": "BatchGetItem"}
_original: dict[str, Any] = {}


def install(enabled: Any) -> None:
    """Wrap moto's `DynamoHandler` read methods; `enabled()` false (moto's own answer asked for) leaves their
    results alone."""
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    if _original:
        return

    class ReadResult(DynamoResult):
        def execute_result(self, context: Any) -> Any:
            if context.operation_model.name not in OPERATIONS.values():
                return super().execute_result(context)
            body = json.dumps(self.result, default=_binary)
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    def wrapped(original: Any) -> Any:
        def read(handler: Any) -> Any:
            result = original(handler)
            if not enabled() or type(result) is not DynamoResult:
                return result
            fast = ReadResult.__new__(ReadResult)
            fast.__dict__.update(result.__dict__)
            return fast

        return read

    for method in OPERATIONS:
        _original[method] = getattr(DynamoHandler, method)
        setattr(DynamoHandler, method, wrapped(_original[method]))
    _install_to_dict(enabled)


def _install_to_dict(enabled: Any) -> None:
    from moto.dynamodb import responses
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

    original = responses.dynamo_to_dict
    _original["dynamo_to_dict"] = original
    plain = (str, int, float, bool, type(None), Decimal)
    mappings = (dict, LimitedSizeDict)

    def to_dict(value: Any) -> Any:
        kind = type(value)
        if kind in mappings:
            return {key: to_dict(item) for key, item in value.items()}
        if kind is list:
            return [to_dict(item) for item in value]
        if kind in plain:
            return value
        if kind is DynamoType and value.type not in ("B", "BS"):
            inner = value.value
            return {value.type: inner if type(inner) is str else to_dict(inner)}
        return original(value)  # binary, datetimes, models with to_json, anything else: moto's own

    def dynamo_to_dict(obj: Any) -> Any:
        return to_dict(obj) if enabled() else original(obj)

    responses.dynamo_to_dict = dynamo_to_dict


def uninstall() -> None:
    from moto.dynamodb import responses
    from moto.dynamodb.responses import DynamoHandler

    if "dynamo_to_dict" in _original:
        responses.dynamo_to_dict = _original.pop("dynamo_to_dict")
    for method in list(_original):
        setattr(DynamoHandler, method, _original.pop(method))


def _binary(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"not JSON serializable in a DynamoDB read's answer: {type(value).__name__}")
