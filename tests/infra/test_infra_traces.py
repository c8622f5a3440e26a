"""No personal data in traces (issue 9, item 3), for every function in the synthesized templates: Powertools is told
not to capture responses or errors, and each handler, run with a recording tracer, puts neither in its trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.infra

ROOT = Path(__file__).resolve().parents[2]
TEST_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray SDK patching: the probe gives the tracer its own recorder
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",
}


def _functions(synth: Any) -> list[Any]:
    return [f for f in synth.resources("AWS::Lambda::Function") if str(f.props["Runtime"]).startswith("python")]


def _environment(function: Any) -> dict[str, str]:
    """The function's variables as it would see them (a Ref or GetAtt becomes some name); the origin check off,
    so that the HTTP functions answer (a secret that does not exist on moto would refuse every request)."""
    variables = function.props.get("Environment", {}).get("Variables", {})
    environment = {k: v if isinstance(v, str) else "resolved-at-deploy-time" for k, v in variables.items()}
    environment.pop("ORIGIN_VERIFY_SECRET_ID", None)
    return environment


def test_powertools_is_told_to_capture_no_responses_or_errors(synth):
    for function in _functions(synth):
        variables = function.props["Environment"]["Variables"]
        assert variables.get("POWERTOOLS_TRACER_CAPTURE_RESPONSE") == "false", function.props["Handler"]
        assert variables.get("POWERTOOLS_TRACER_CAPTURE_ERROR") == "false", function.props["Handler"]


def test_every_handler_traces_neither_its_response_nor_its_errors(synth):
    functions = [{"handler": f.props["Handler"], "environment": _environment(f)} for f in _functions(synth)]
    environment = {**os.environ, **TEST_ENVIRONMENT, "PYTHONPATH": f"{ROOT}:{ROOT / 'functions'}"}
    done = subprocess.run(  # this interpreter, a module of this repository
        [sys.executable, "-m", "tests.infra.trace_probe"],
        input=json.dumps(functions),
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(results) == {f["handler"] for f in functions}
    for handler, recorded in results.items():
        assert len(recorded["subsegments"]) == 2, f"{handler} is not traced through shared.observability: {recorded}"
        assert recorded["metadata"] == [], handler
        assert recorded["exceptions"] == [], handler
