"""Task tokens in the local cloud (`local.callbacks`, `local.access_requests`): an execution waiting for a token is
not work in progress, one running a task is; a task token's call names the token for `local.access` to find its
state machine."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from local.access_requests import TASK_TOKEN, requirements
from local.callbacks import waiting_for_token

pytestmark = pytest.mark.unit


class Endpoint:
    def __init__(self, outcome: Any = None) -> None:
        self._outcome = outcome

    def get_outcome(self) -> Any:
        return self._outcome


def execution(events: list[str], pool: dict[str, Endpoint]) -> Any:
    history = [{"type": SimpleNamespace(value=kind)} for kind in events]  # moto keeps its enum in the history
    manager = SimpleNamespace(_pool=pool)
    event_manager = SimpleNamespace(get_event_history=lambda: history)
    return SimpleNamespace(exec_worker=SimpleNamespace(env=SimpleNamespace(
        callback_pool_manager=manager, event_manager=event_manager)))  # fmt: skip


def test_an_execution_whose_task_was_submitted_and_whose_token_is_unanswered_is_waiting():
    started = ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted"]
    assert waiting_for_token(execution([*started, "TaskSubmitted"], {"t": Endpoint()}))


def test_an_execution_still_running_its_task_or_answered_or_without_tokens_is_not_waiting():
    started = ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted"]
    assert not waiting_for_token(execution(started, {"t": Endpoint()}))  # the task's function is still running
    assert not waiting_for_token(execution([*started, "TaskSubmitted"], {"t": Endpoint(outcome="done")}))
    assert not waiting_for_token(execution([*started, "TaskSucceeded"], {}))
    assert not waiting_for_token(SimpleNamespace(exec_worker=None))


@pytest.mark.parametrize("operation", ["SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"])
def test_a_task_tokens_call_is_asked_of_the_token_and_other_calls_of_the_arn_they_name(operation):
    asked = requirements("states", operation, {"taskToken": "abc", "output": "{}"}, "eu-west-2", "123456789012")
    assert asked == [(f"states:{operation}", TASK_TOKEN + "abc")]
    machine = "arn:aws:states:eu-west-2:123456789012:stateMachine:M"
    started = requirements("states", "StartExecution", {"stateMachineArn": machine}, "eu-west-2", "123456789012")
    assert started == [("states:StartExecution", machine)]
