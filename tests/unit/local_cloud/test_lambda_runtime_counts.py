"""The local Lambda runtime keeps only its newest invocations; `invocations_since` must still give exactly the ones
made after a mark (the cost model counts a journey's invocations that way, after hundreds made by other tests)."""

from __future__ import annotations

import pytest

from local.lambda_runtime import Invocation, LambdaRuntime


def _made(runtime: LambdaRuntime, names: list[str]) -> None:
    for name in names:  # what _invoke records for each handler call
        runtime.invocations.append(Invocation(name, {}, "{}", False, 0.001))
        runtime.invocation_count += 1


def test_the_invocations_since_a_mark_are_found_after_the_deque_has_dropped_older_ones():
    runtime = LambdaRuntime(base_environment={})
    _made(runtime, [f"before-{n}" for n in range(250)])  # more than the 200 kept
    mark = runtime.invocation_count
    _made(runtime, ["catalogue", "outbox", "assign"])
    assert [i.function_name for i in runtime.invocations_since(mark)] == ["catalogue", "outbox", "assign"]
    assert runtime.invocations_since(runtime.invocation_count) == []


def test_more_invocations_since_the_mark_than_are_kept_is_an_error_not_a_short_count():
    runtime = LambdaRuntime(base_environment={})
    mark = runtime.invocation_count
    _made(runtime, [f"f-{n}" for n in range(201)])
    with pytest.raises(RuntimeError, match="201 invocations since the mark"):
        runtime.invocations_since(mark)
