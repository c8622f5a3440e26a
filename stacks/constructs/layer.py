"""The shared Lambda layer: pinned runtime dependencies, the project's `shared` package and service definitions.

Built without Docker: pip fetches wheels for the Lambda platform (arm64, the runtime's Python) into
`.build/layer/python`. Dependencies are rebuilt only when `requirements-layer.txt` changes, so a synth is
offline once the layer has been built (`make layer` does it; CI runs it before the tests).
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = ROOT / ".build" / "layer"
# The Lambda runtime and the Python version the layer's wheels are fetched for: they must agree (binary wheels
# such as pydantic-core and PyYAML are built per CPython version; both publish cp314 manylinux aarch64 wheels).
RUNTIME = lambda_.Runtime.PYTHON_3_14
LAMBDA_PYTHON_VERSION = RUNTIME.name.removeprefix("python")
LAMBDA_PLATFORM = "manylinux2014_aarch64"
# The Lambda runtime ships boto3 and botocore: keep them out of the layer (size and cold start).
NO_DEPS_REQUIREMENTS = "requirements-layer-nodeps.txt"  # installed without their own requirements
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "bin")


def _requirements_hash(requirements: Path) -> str:
    no_deps = requirements.with_name(NO_DEPS_REQUIREMENTS)
    text = requirements.read_text() + no_deps.read_text() + LAMBDA_PYTHON_VERSION + LAMBDA_PLATFORM
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _pip_install(target: Path, *arguments: str) -> None:
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *arguments,
            "--target",
            str(target),
            "--platform",
            LAMBDA_PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            LAMBDA_PYTHON_VERSION,
            "--only-binary=:all:",
        ],
        check=True,
    )


def _install_dependencies(requirements: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    _pip_install(target, "--requirement", str(requirements))
    _pip_install(target, "--no-deps", "--requirement", str(requirements.with_name(NO_DEPS_REQUIREMENTS)))
    for entry in target.iterdir():
        if entry.name.split("-")[0] in PROVIDED_BY_RUNTIME or entry.name in PROVIDED_BY_RUNTIME:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def build_layer_directory(root: Path = ROOT, build_dir: Path = BUILD_DIR) -> Path:
    """Make `build_dir` hold the layer's content and return it. Idempotent and cheap when up to date."""
    requirements = root / "requirements-layer.txt"
    python_dir = build_dir / "python"
    stamp = build_dir / ".requirements-hash"
    wanted = _requirements_hash(requirements)
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir.parent / "layer.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel synths (pytest-xdist, make targets) build it once
        return _build_locked(root, build_dir, python_dir, requirements, stamp, wanted)


def _build_locked(root: Path, build_dir: Path, python_dir: Path, requirements: Path, stamp: Path, wanted: str) -> Path:
    if not stamp.exists() or stamp.read_text() != wanted:
        _install_dependencies(requirements, python_dir)
        stamp.write_text(wanted)
    # Project code is copied afresh every time: it is small and changes often.
    for source, destination in ((root / "shared", python_dir / "shared"), (root / "services", build_dir / "services")):
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return build_dir


class SharedLayer(Construct):
    """The one layer every Borough function uses."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(str(build_layer_directory())),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="Borough shared code (shared/), service definitions and pinned runtime dependencies",
        )
