"""Runs each handler named on stdin with a recording tracer and prints what its tracing recorded (JSON).

`python -m tests.infra.trace_probe` in a fresh interpreter (tests/infra/test_infra_traces.py): every handler is
imported and run with its function's environment from the template, on moto, so nothing it caches (settings,
clients, pages) outlives the probe. Each gets an empty event (most fail on it: the error path) and a payload 2.0
`GET /` (the HTTP functions answer it: the response path).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
from typing import Any


def _probe(handler_path: str, environment: dict[str, str]) -> dict[str, Any]:
    from shared import aws, settings
    from tests.helpers import FakeContext, http_event
    from tests.trace_recorder import recording

    saved = dict(os.environ)
    os.environ.update(environment)
    settings.reset()
    aws.reset()
    try:
        module_name, _, attribute = handler_path.rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        events = ({}, http_event("GET", "/", route_key="$default"))
        with recording() as provider:
            for event in events:
                with contextlib.suppress(Exception), contextlib.redirect_stderr(io.StringIO()):
                    handler(event, FakeContext())
        return {
            "subsegments": [s.name for s in provider.subsegments],
            "metadata": [repr(item) for s in provider.subsegments for item in s.metadata],
            "exceptions": [repr(error) for s in provider.subsegments for error in s.exceptions],
        }
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    from moto import mock_aws

    functions = json.load(sys.stdin)
    results = {}
    with mock_aws(), contextlib.redirect_stdout(io.StringIO()):
        for function in functions:
            results[function["handler"]] = _probe(function["handler"], function["environment"])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
