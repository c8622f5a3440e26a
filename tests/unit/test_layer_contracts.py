"""The layers' import contracts (pyproject.toml, [tool.importlinter]) hold, so a bare `pytest` catches a broken
layer as `make contracts` does: shared imports no function, stack or local module; functions import no stack or
local module and not each other; stacks import no function logic; local is never imported by deployed code."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _services() -> set[str]:
    """Each folder of functions/ that is a package: a top-level package, since functions/ is on the path."""
    return {path.parent.name for path in FUNCTIONS.glob("*/__init__.py")}


def test_the_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    environment = {**os.environ, "PYTHONPATH": str(FUNCTIONS)}
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(_config()['contracts'])} kept, 0 broken" in result.stdout


def test_every_service_is_under_the_contracts() -> None:
    # A new service (payments, permits, ...) is covered the day its folder appears, not when someone remembers.
    config = _config()
    contracts = {contract["id"]: contract for contract in config["contracts"]}
    services = _services()
    assert services >= {"catalogue", "cases", "notifications", "web"}
    assert services <= set(config["root_packages"])
    assert set(contracts["services"]["modules"]) == services
    assert set(contracts["functions"]["source_modules"]) == services
    assert set(contracts["stacks"]["forbidden_modules"]) == services
    assert services <= set(contracts["shared"]["forbidden_modules"])
    assert services <= set(contracts["deployed"]["source_modules"])
