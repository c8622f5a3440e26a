"""Synthesize the CDK app for the local cloud and the tests, once, and only when its sources changed.

Asset staging is disabled so that each function's `aws:asset:path` metadata names its source folder: the local
cloud then runs the code in the working tree, not a copy.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTDIR = ROOT / ".build" / "cdk.local.out"
# What the synthesized templates depend on (function code is read from source at run time, not from here).
SOURCES = (
    "app.py",
    "cdk.json",
    "stacks",
    "workflows",
    "services",
    "shared/events.py",
    "shared/maps.py",  # the map settings' model and the tile ranges in the map tiles' edge function
    "shared/location.py",  # the UK box the map settings are checked against
    "requirements-layer.txt",
    "functions/web/assets.json",  # the built assets' names: the console stack bakes its stylesheet's into the template
)
STAMP = ".borough-source-hash"


def source_hash(root: Path = ROOT) -> str:
    """What the assembly was synthesized from, including where: the templates name asset folders by absolute path,
    so an assembly copied from another checkout (a worktree seeded from main) must not pass for this one's."""
    digest = hashlib.sha256(str(root.resolve()).encode())
    for name in SOURCES:
        path = root / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
        for file in files:
            if file.exists():
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def synthesize(
    outdir: Path = DEFAULT_OUTDIR, environment: str = "dev", overrides: dict[str, str] | None = None
) -> Path:
    """Synthesize every stack into `outdir` and return it; `overrides` are context values, as `-c key=value`."""
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    # Node 20 is past its end of life for jsii: without this, every synth prints a screenful of warning.
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    import aws_cdk as cdk

    from app import build_app

    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    context.update(
        {
            "environment": environment,
            "aws:cdk:disable-asset-staging": True,
            "aws:cdk:enable-asset-metadata": True,
            "aws:cdk:enable-path-metadata": True,
            **(overrides or {}),
        }
    )
    app = cdk.App(outdir=str(outdir), context=context)
    build_app(app).synth()
    return outdir


def ensure_assembly(
    outdir: Path = DEFAULT_OUTDIR, environment: str = "dev", overrides: dict[str, str] | None = None
) -> Path:
    """Return a cloud assembly of the current sources, synthesizing only if they changed (safe across processes)."""
    outdir.parent.mkdir(parents=True, exist_ok=True)
    wanted = f"{environment}:{json.dumps(overrides or {}, sort_keys=True)}:{source_hash()}"
    with open(outdir.parent / f"{outdir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers wait for one synth rather than racing
        stamp = outdir / STAMP
        if not (stamp.exists() and stamp.read_text() == wanted and (outdir / "manifest.json").exists()):
            synthesize(outdir, environment, overrides)
            stamp.write_text(wanted)
    return outdir
