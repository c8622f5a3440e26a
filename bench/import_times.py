"""Cold import time of each function's handler module, from `python -X importtime` in a fresh interpreter.

A Lambda cold start pays this before the first request; the target is under 300 ms per handler on 2 cores.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / ".build" / "cdk.local.out"
RUNS = 5  # fresh interpreters per handler; the median is reported


def handler_modules() -> list[str]:
    """Every distinct handler module the synthesized templates declare (the CDK app is the source of truth)."""
    from local.assembly import ensure_assembly

    modules = set()
    for template in ensure_assembly().glob("*.template.json"):
        for resource in json.loads(template.read_text()).get("Resources", {}).values():
            if resource.get("Type") == "AWS::Lambda::Function":
                if not str(resource["Properties"].get("Runtime", "")).startswith("python"):
                    continue  # CDK's own Node.js handlers (cross-region references, bucket deployment)
                handler = resource["Properties"].get("Handler", "")
                if handler.count(".") >= 1 and not handler.startswith("index."):
                    modules.add(handler.rsplit(".", 1)[0])
    return sorted(modules)


def import_time_ms(module: str) -> float:
    """Cumulative import time of `module` (and everything it imports) in a fresh interpreter, in ms."""
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}:{ROOT / 'functions'}",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "eu-west-2",
    }
    result = subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    for line in result.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1]) / 1000
    raise RuntimeError(f"{module} did not appear in the import time report")


def main() -> dict[str, float]:
    figures = {}
    for module in handler_modules():
        figures[module] = statistics.median(import_time_ms(module) for _ in range(RUNS))
        print(f"import {module:<32} {figures[module]:7.1f} ms (median of {RUNS})")
    return figures


if __name__ == "__main__":
    main()
