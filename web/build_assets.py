"""Build the resident web's static assets into `.build/assets` (what CloudFront serves at /assets/).

    python web/build_assets.py            # or: make assets

- CSS: `web/src/application.scss` compiled with Dart Sass (npm `sass`) against GOV.UK Frontend (npm), compressed;
  `web/src/console.scss`, the staff console's, against GOV.UK Frontend and MoJ Frontend (npm
  `@ministryofjustice/frontend`, whose Sass loads GOV.UK Frontend as `node_modules/govuk-frontend/...`, hence the
  project root on the load path too).
- JS: GOV.UK Frontend's ES module bundle, a small `application.mjs` that starts it, and `map.mjs` (the map on
  location questions), which `application.mjs` imports only on pages with a map.
- Images: only the favicon-free set the pages use (none today: no GOV.UK crown or fonts are shipped).
Every file name carries a hash of its content, so CloudFront and browsers can cache it for a year; the manifest
`functions/web/assets.json` maps each logical name to its fingerprinted name for the web function.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "web" / "src"
OUT = ROOT / ".build" / "assets"
MANIFEST = ROOT / "functions" / "web" / "assets.json"
GOVUK = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
SASS = ROOT / "node_modules" / ".bin" / "sass"


def _fingerprint(name: str, data: bytes) -> str:
    stem, dot, extension = name.rpartition(".")
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{stem}.{digest}{dot}{extension}"


def _write(manifest: dict[str, str], name: str, data: bytes, out: Path) -> str:
    fingerprinted = _fingerprint(name, data)
    (out / fingerprinted).write_bytes(data)
    manifest[name] = fingerprinted
    return fingerprinted


def _compile_css(source: str = "application.scss") -> bytes:
    if not SASS.exists():
        raise SystemExit("node_modules/.bin/sass is missing: run `npm ci` (or `make install`) first")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            str(SASS),
            "--no-source-map",
            "--style=compressed",
            "--quiet-deps",
            f"--load-path={ROOT / 'node_modules'}",
            f"--load-path={ROOT}",
            str(SOURCE / source),
        ],
        check=True,
        capture_output=True,
    )
    return result.stdout


def build() -> dict[str, str]:
    """Build the assets into OUT. One build at a time (parallel test workers, `make`), and readers never see a
    half-written folder: the new build is made beside OUT and swapped in."""
    import fcntl

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT.parent / "assets.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build_into_place()


def _build_into_place() -> dict[str, str]:
    final = OUT
    staging = OUT.with_name(OUT.name + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    manifest = _build(staging)
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _build(out: Path) -> dict[str, str]:
    manifest: dict[str, str] = {}
    _write(manifest, "application.css", _compile_css(), out)
    _write(manifest, "console.css", _compile_css("console.scss"), out)
    govuk_js = _write(manifest, "govuk-frontend.min.js", (GOVUK / "govuk-frontend.min.js").read_bytes(), out)
    map_js = _write(manifest, "map.js", (SOURCE / "map.mjs").read_bytes(), out)
    app_js = (
        (SOURCE / "application.mjs")
        .read_text()
        .replace("./govuk-frontend.min.js", f"./{govuk_js}")
        .replace("./map.mjs", f"./{map_js}")
    )
    _write(manifest, "application.js", app_js.encode(), out)
    return manifest


if __name__ == "__main__":
    built = build()
    sizes = {name: (OUT / file).stat().st_size for name, file in built.items()}
    for name, size in sizes.items():
        print(f"  {name:28} {built[name]:44} {size / 1024:7.1f} KB")
    sys.exit(0)
