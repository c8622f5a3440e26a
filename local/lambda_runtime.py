"""Lambda in-process: the one seam on moto's `LambdaFunction.invoke` that runs handlers from the working tree.

Every path that invokes a function inside moto (`lambda:Invoke`, SNS and SQS event sources, Step Functions
`lambda:invoke` tasks) ends in `LambdaFunction.invoke`, so replacing that method is enough.

Each function gets what it would get in AWS, as far as one process allows:
- its own copies of its project modules (its handler's package and the layer's `shared`), imported with its
  own environment, so module-level state (clients, settings, Powertools objects) is never shared between
  functions; edits to those sources are picked up at the next invocation (a cold start);
- exactly its template environment plus the variables the Lambda runtime sets, restored afterwards (calls nest:
  a handler publishes, a consumer runs inside that publish), including credentials of its own role when the
  runtime is given a way to get them (`local.access`), and its own boto3 default session;
- a context object, and AWS's error shape when the handler raises.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import sys
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from local.moto_session import LOCK

ROOT = Path(__file__).resolve().parents[1]
LAYER_PACKAGES = ("shared",)  # the layer's project code, imported from source (.build/layer holds arm64 wheels)


@dataclass
class FunctionCode:
    """Where a function's code lives locally and what it imported last time (its warm modules)."""

    code_dir: Path
    modules: dict[str, ModuleType] = field(default_factory=dict)
    boto3_session: Any = None  # its own `boto3.DEFAULT_SESSION`: a session caches the credentials it first found
    loaded_at: float = 0.0
    invocations: int = 0


@dataclass(frozen=True)
class Invocation:
    """One handler call, kept so that developers (and tests) can see what a function received and returned."""

    function_name: str
    event: Any
    payload: str
    errored: bool
    seconds: float


class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    def __init__(self, *, function_name: str, function_arn: str, memory_mb: int, timeout_s: int) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/{self.aws_request_id}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaRuntime:
    """Runs the handlers of registered functions in-process; other functions keep moto's own behaviour."""

    def __init__(
        self,
        base_environment: dict[str, str] | None = None,
        credentials: Callable[[str, str], dict[str, str]] | None = None,
    ) -> None:
        """`credentials(role_arn, function_name)` gives the credential variables of a function's role."""
        self._functions: dict[str, FunctionCode] = {}
        self._credentials = credentials
        self._base_environment = dict(base_environment if base_environment is not None else os.environ)
        self._original_invoke: Callable[..., Any] | None = None
        self.invocations: deque[Invocation] = deque(maxlen=200)  # newest last
        # Every invocation ever made: the deque keeps only the newest, so a count taken before some work and the
        # deque's length after it would miss what it dropped (`invocations_since`).
        self.invocation_count = 0

    # -- registration -------------------------------------------------------------------------------------------
    def register(self, function_name: str, code_dir: Path) -> None:
        self._functions[function_name] = FunctionCode(code_dir=code_dir)

    def invocations_of(self, function_name: str) -> list[Invocation]:
        return [i for i in self.invocations if i.function_name == function_name]

    def invocations_since(self, mark: int) -> list[Invocation]:
        """The invocations made since `invocation_count` was `mark`, oldest first (all of them, or an error if
        the deque no longer holds them)."""
        made = self.invocation_count - mark
        kept = list(self.invocations)
        if made > len(kept):
            raise RuntimeError(f"{made} invocations since the mark, but only the newest {len(kept)} are kept")
        return kept[len(kept) - made :] if made else []

    def is_local(self, function_name_or_arn: str) -> bool:
        return _function_name(function_name_or_arn) in self._functions

    # -- the seam -----------------------------------------------------------------------------------------------
    def install(self) -> None:
        from moto.awslambda.models import LambdaFunction

        if self._original_invoke is not None:
            return
        original = LambdaFunction.invoke
        self._original_invoke = original
        runtime = self

        def invoke(function: Any, body: Any, request_headers: Any, response_headers: Any) -> str | bytes:
            if function.function_name not in runtime._functions:
                return original(function, body, request_headers, response_headers)
            return runtime._invoke(function, body, request_headers, response_headers)

        LambdaFunction.invoke = invoke  # type: ignore[method-assign,assignment]

    def uninstall(self) -> None:
        from moto.awslambda.models import LambdaFunction

        if self._original_invoke is not None:
            LambdaFunction.invoke = self._original_invoke  # type: ignore[method-assign]
            self._original_invoke = None

    def _invoke(self, function: Any, body: Any, request_headers: Any, response_headers: Any) -> str | bytes:
        raw = body.decode() if isinstance(body, bytes) else body
        event = json.loads(raw) if raw else {}
        started = time.perf_counter()
        errored, payload = self.call(function, event)
        seconds = time.perf_counter() - started
        self.invocations.append(Invocation(function.function_name, event, payload, errored, seconds))
        self.invocation_count += 1
        if seconds > int(function.timeout or 3):
            # Not enforced locally (a thread cannot be stopped), but AWS would have ended this invocation.
            print(
                f"local cloud: {function.function_name} ran {seconds:.1f} s, past its {function.timeout} s timeout: "
                "in AWS it would have been stopped and failed",
                file=sys.stderr,
            )
        if errored:
            response_headers["x-amz-function-error"] = "Unhandled"
        if request_headers.get("x-amz-log-type") == "Tail":
            response_headers["x-amz-log-result"] = base64.b64encode(b"").decode()
        if request_headers.get("x-amz-invocation-type", "RequestResponse") == "RequestResponse":
            return payload.encode()
        return payload

    def call(self, function: Any, event: Any) -> tuple[bool, str]:
        """Run `function`'s handler on `event`; return (errored, JSON payload) as the Lambda service would."""
        code = self._functions[function.function_name]
        context = LambdaContext(
            function_name=function.function_name,
            function_arn=function.function_arn,
            memory_mb=int(function.memory_size or 128),
            timeout_s=int(function.timeout or 3),
        )
        with LOCK, self._environment(function, code, context), self._modules(code, function.handler):
            try:
                handler = _load_handler(function.handler)
                result = handler(event, context)
            except Exception as error:
                traceback.print_exc(file=sys.stderr)
                return True, _error_payload(error, context)
        try:
            return False, json.dumps(result)
        except (TypeError, ValueError) as error:
            return True, json.dumps(
                {"errorMessage": f"Unable to marshal response: {error}", "errorType": "Runtime.MarshalError"}
            )

    # -- isolation ----------------------------------------------------------------------------------------------
    @contextmanager
    def _environment(self, function: Any, code: FunctionCode, context: LambdaContext) -> Iterator[None]:
        saved = dict(os.environ)
        environment = dict(self._base_environment)
        environment.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(context.memory_limit_in_mb),
                "AWS_LAMBDA_LOG_GROUP_NAME": context.log_group_name,
                "AWS_LAMBDA_LOG_STREAM_NAME": context.log_stream_name,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.run_time or 'python'}",
                "LAMBDA_TASK_ROOT": str(code.code_dir),
                "_HANDLER": function.handler or "",
                "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
                "BOROUGH_LOCAL_CLOUD": "1",  # local-only settings are allowed here (shared/settings.py)
            }
        )
        environment.update({key: str(value) for key, value in (function.environment_vars or {}).items()})
        if self._credentials is not None and function.role:
            environment.update(self._credentials(function.role, function.function_name))
        os.environ.clear()
        os.environ.update(environment)
        import boto3

        outer_session = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = code.boto3_session
        try:
            yield
        finally:
            code.boto3_session = boto3.DEFAULT_SESSION
            boto3.DEFAULT_SESSION = outer_session
            os.environ.clear()
            os.environ.update(saved)

    @contextmanager
    def _modules(self, code: FunctionCode, handler: str) -> Iterator[None]:
        owned = {handler.split(".", 1)[0], *LAYER_PACKAGES}

        def is_owned(name: str) -> bool:
            return name.split(".", 1)[0] in owned

        if code.modules and _newest_source(code.code_dir, owned) > code.loaded_at:
            code.modules = {}  # sources changed since the last import: cold start on the new code
        outer = {name: module for name, module in sys.modules.items() if is_owned(name)}
        for name in outer:
            del sys.modules[name]
        sys.modules.update(code.modules)
        saved_path = list(sys.path)
        sys.path[:0] = [str(code.code_dir), str(ROOT)]
        if not code.modules:
            code.loaded_at = time.time()
        try:
            yield
        finally:
            code.modules = {name: module for name, module in sys.modules.items() if is_owned(name)}
            code.invocations += 1
            for name in code.modules:
                del sys.modules[name]
            sys.modules.update(outer)
            sys.path[:] = saved_path


def _load_handler(handler: str) -> Callable[[Any, Any], Any]:
    module_name, _, attribute = handler.rpartition(".")
    if not module_name:
        raise ImportError(f"Bad handler {handler!r}: expected module.function")
    module = importlib.import_module(module_name)
    function: Callable[[Any, Any], Any] = getattr(module, attribute)
    return function


def _newest_source(code_dir: Path, packages: set[str]) -> float:
    newest = 0.0
    for package in packages:
        for base in (code_dir / package, ROOT / package):
            if base.is_dir():
                for path in base.rglob("*.py"):
                    newest = max(newest, path.stat().st_mtime)
                break
    return newest


def _error_payload(error: Exception, context: LambdaContext) -> str:
    return json.dumps(
        {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": context.aws_request_id,
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
    )


def _function_name(name_or_arn: str) -> str:
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":")
        return parts[6]
    return name_or_arn
