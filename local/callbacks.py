"""Step Functions task tokens in the local cloud.

moto's interpreter runs a `.waitForTaskToken` task on the execution's thread: after the task's call it records
`TaskSubmitted` and waits (on an event, up to the state's `TimeoutSeconds`) until `SendTaskSuccess` or
`SendTaskFailure` names the token, which moto looks up in each running execution's callback pool. Two things here
need to know which execution holds a token:

- `waiting_for_token(execution)`: an execution waiting for a token is not work in progress (`wait_for_idle`
  would otherwise wait for it up to the state's timeout: 30 days for the permit journey);
- `token_state_machine(token)`: IAM judges `states:SendTaskSuccess` (and Failure, Heartbeat) on the state machine
  whose execution holds the token (`local.access`).
"""

from __future__ import annotations

from typing import Any

from local.moto_session import ACCOUNT_ID, REGION

TOKEN_OPERATIONS = ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat")


def _pool(execution: Any) -> dict[str, Any]:
    worker = getattr(execution, "exec_worker", None)
    env = getattr(worker, "env", None)
    manager = getattr(env, "callback_pool_manager", None)
    return dict(getattr(manager, "_pool", {}) or {})


def waiting_for_token(execution: Any) -> bool:
    """The running execution's last event is a task's `TaskSubmitted` and a token of it is still unanswered."""
    if not any(endpoint.get_outcome() is None for endpoint in _pool(execution).values()):
        return False
    try:
        events = execution.exec_worker.env.event_manager.get_event_history()
    except AttributeError:
        return False
    if not events:
        return False
    kind = events[-1].get("type")
    return str(getattr(kind, "value", kind)) == "TaskSubmitted"  # moto keeps its HistoryEventType enum


def token_state_machine(token: str, region: str = REGION) -> str | None:
    """The ARN of the state machine whose running execution holds `token` (None: no execution holds it)."""
    from moto.stepfunctions.responses import get_backend

    backend = get_backend(ACCOUNT_ID, region)
    for machine in backend.state_machines:
        for execution in machine.executions:
            if getattr(execution, "status", None) == "RUNNING" and token in _pool(execution):
                return str(machine.arn)
    return None
