"""The shared layer built for this machine's Python, so that every handler can be imported with only what Lambda
would give it: the layer, the function's own code, and the SDK the runtime provides.

The deployed layer (`stacks/constructs/layer.py`, `.build/layer`) holds arm64 wheels for the Lambda runtime's
Python and cannot be imported here. This one is installed from the same requirements (`pip install --target`,
`requirements-layer-nodeps.txt` with `--no-deps`) for the running interpreter, laid out as in Lambda
(`python/` with the project's `shared` package, and `services/` beside it), and cached under
`.build/layer-local/<hash>` keyed by the requirements and the interpreter: pip needs the package index only when
they change (`make layer` builds it, so a test run after it is offline).

    layer = build_local_layer()
    importable_alone("catalogue.handler", code_dir, layer, environment)   # -> None, or the error text
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD_ROOT = ROOT / ".build" / "layer-local"
REQUIREMENTS = "requirements-layer.txt"
NO_DEPS_REQUIREMENTS = "requirements-layer-nodeps.txt"
# What the Lambda Python runtime ships beside the interpreter (the SDK and its requirements): never in the layer.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six")


def layer_hash(root: Path = ROOT) -> str:
    text = (root / REQUIREMENTS).read_text() + (root / NO_DEPS_REQUIREMENTS).read_text()
    text += f"{sys.implementation.cache_tag}-{platform.machine()}-{sys.platform}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_local_layer(root: Path = ROOT, build_root: Path = BUILD_ROOT) -> Path:
    """The layer directory for this interpreter (built if its requirements changed; project code always fresh)."""
    build_dir = build_root / layer_hash(root)
    build_root.mkdir(parents=True, exist_ok=True)
    with open(build_root / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # pytest-xdist workers build it once
        python_dir = build_dir / "python"
        stamp = build_dir / ".complete"
        if not stamp.exists():
            if build_dir.exists():
                shutil.rmtree(build_dir)  # a build that stopped half-way
            python_dir.mkdir(parents=True)
            _pip_install(python_dir, "--requirement", str(root / REQUIREMENTS))
            _pip_install(python_dir, "--no-deps", "--requirement", str(root / NO_DEPS_REQUIREMENTS))
            for entry in python_dir.iterdir():
                if entry.name.split("-")[0].split(".")[0] in (*RUNTIME_PACKAGES, "bin"):
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            stamp.write_text(json.dumps({"python": sys.version, "hash": layer_hash(root)}))
        for source, destination in (
            (root / "shared", python_dir / "shared"),
            (root / "services", build_dir / "services"),
        ):
            if destination.exists():
                shutil.rmtree(destination)
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return build_dir


def _pip_install(target: Path, *arguments: str) -> None:
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "--only-binary=:all:", *arguments, "--target", str(target)],
        check=True,
    )  # fmt: skip


def runtime_sdk_dir(build_root: Path = BUILD_ROOT) -> Path:
    """A folder holding only the SDK the Lambda runtime provides (links to this interpreter's copies)."""
    import importlib.util

    directory = build_root / f"runtime-sdk-{sys.implementation.cache_tag}"
    directory.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise LookupError(f"{name} is not installed for {sys.executable}: the runtime's SDK cannot be stood in")
        source = Path(spec.origin)
        source = source.parent if source.name == "__init__.py" else source
        link = directory / source.name
        if not link.exists():
            # Another thread checking another handler may make the same link first.
            with contextlib.suppress(FileExistsError):
                link.symlink_to(source)
    return directory


def importable_alone(module: str, code_dir: Path, layer_dir: Path, environment: dict[str, str]) -> str | None:
    """Import `module` in a fresh interpreter whose path is only the function's code, the layer and the runtime's
    SDK (`-I -S`: no site-packages, no user site, no PYTHONPATH). None if it imports, else the error's last lines."""
    path = [str(code_dir), str(layer_dir / "python"), str(runtime_sdk_dir(layer_dir.parent))]
    script = f"import sys; sys.path[:0] = {path!r}; import importlib; importlib.import_module({module!r})"
    done = subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [sys.executable, "-I", "-S", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        cwd=layer_dir,
        check=False,
    )
    if done.returncode == 0:
        return None
    return "\n".join(done.stderr.strip().splitlines()[-6:])
