"""The body of a DynamoDB Query answer written as JSON at once, instead of by moto's model-driven serializer.

moto 5.2 serializes every response by walking botocore's output shape member by member (`moto.core.serialize`):
about 1 ms per item of a Query's answer on the project's machines, so a page of 1,000 items takes seconds. The
answer DynamoDB's JSON protocol sends is the attribute values as they are (`{"S": ...}`, `{"N": "..."}`, binary
as base64), which is what `QueryResult` writes with `json.dumps`, from moto's own result (`DynamoResult`: the same
items, counts, `LastEvaluatedKey` and `ConsumedCapacity`). Installed and removed with `local/fast_query.py`;
`tests/unit/local_cloud/test_fast_query.py` compares the parsed answers with moto's own serializer's.
"""

from __future__ import annotations

import base64
import json
from typing import Any

_original: dict[str, Any] = {}


def install(enabled: Any) -> None:
    """Wrap moto's `DynamoHandler.query`; `enabled()` false (moto's own answer asked for) leaves its result alone."""
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    if _original:
        return
    original = DynamoHandler.query
    _original["query"] = original

    class QueryResult(DynamoResult):
        def execute_result(self, context: Any) -> Any:
            if context.operation_model.name != "Query":
                return super().execute_result(context)
            body = json.dumps(self.result, default=_binary)
            return 200, {"Content-Type": "application/x-amz-json-1.0"}, body

    def query(handler: Any) -> Any:
        result = original(handler)
        if not enabled() or type(result) is not DynamoResult:
            return result
        fast = QueryResult.__new__(QueryResult)
        fast.__dict__.update(result.__dict__)
        return fast

    DynamoHandler.query = query  # type: ignore[method-assign]


def uninstall() -> None:
    from moto.dynamodb.responses import DynamoHandler

    if _original:
        DynamoHandler.query = _original.pop("query")  # type: ignore[method-assign]


def _binary(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"not JSON serializable in a Query answer: {type(value).__name__}")
