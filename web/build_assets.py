"""Build the resident web's static assets into `.build/assets` (what CloudFront serves at /assets/).

    python web/build_assets.py            # or: make assets

- CSS: `web/src/application.scss` compiled with Dart Sass (npm `sass`) against GOV.UK Frontend (npm), compressed;
  `web/src/console.scss`, the staff console's, against GOV.UK Frontend and MoJ Frontend (npm
  `@ministryofjustice/frontend`, whose Sass loads GOV.UK Frontend as `node_modules/govuk-frontend/...`, hence the
  project root on the load path too).
- JS: GOV.UK Frontend's ES module bundle, `frontend.mjs` that starts it (shared by the web and the console), a
  small `application.mjs`, and `map.mjs` (the map on location questions), which `application.mjs` imports only on
  pages with a map. For the staff console, MoJ Frontend's ES module bundle (`moj-frontend.min.js`, self-contained)
  and `console.mjs`, which starts both (GOV.UK's through `frontend.mjs`) and MoJ's filter toggle button on the queue.
- Images: only MoJ Frontend's icons that `console.css` names (the filter's close button and tags' crosses...),
  fingerprinted with the stylesheet's URLs rewritten to match; no GOV.UK crown, crest or fonts are shipped.
Every file name carries a hash of its content, so CloudFront and browsers can cache it for a year; the manifest
`functions/web/assets.json` maps each logical name to its fingerprinted name for the web function.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "web" / "src"
OUT = ROOT / ".build" / "assets"
MANIFEST = ROOT / "functions" / "web" / "assets.json"
GOVUK = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
MOJ = ROOT / "node_modules" / "@ministryofjustice" / "frontend" / "moj"
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


def _with_moj_images(css: bytes, manifest: dict[str, str], out: Path) -> bytes:
    """The stylesheet with each MoJ Frontend image it names (`/assets/images/<name>`, from `$moj-assets-path`)
    written fingerprinted beside it and named so; an image MoJ does not have (GOV.UK's crest) is left alone."""
    images = MOJ / "assets" / "images"

    def fingerprinted(found: re.Match[bytes]) -> bytes:
        name = found.group(2).decode()
        source = images / name
        if not source.is_file():
            return found.group(0)
        return f"url(/assets/{_write(manifest, name, source.read_bytes(), out)})".encode()

    return re.sub(rb'url\((["\']?)/assets/images/([A-Za-z0-9._-]+)\1\)', fingerprinted, css)


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
    _write(manifest, "console.css", _with_moj_images(_compile_css("console.scss"), manifest, out), out)
    govuk_js = _write(manifest, "govuk-frontend.min.js", (GOVUK / "govuk-frontend.min.js").read_bytes(), out)
    map_js = _write(manifest, "map.js", (SOURCE / "map.mjs").read_bytes(), out)
    start_js = (SOURCE / "frontend.mjs").read_text().replace("./govuk-frontend.min.js", f"./{govuk_js}")
    frontend_js = _write(manifest, "frontend.js", start_js.encode(), out)
    app_js = (
        (SOURCE / "application.mjs")
        .read_text()
        .replace("./frontend.mjs", f"./{frontend_js}")
        .replace("./map.mjs", f"./{map_js}")
    )
    _write(manifest, "application.js", app_js.encode(), out)
    moj_js = _write(manifest, "moj-frontend.min.js", (MOJ / "moj-frontend.min.js").read_bytes(), out)
    console_js = (
        (SOURCE / "console.mjs")
        .read_text()
        .replace("./frontend.mjs", f"./{frontend_js}")
        .replace("./moj-frontend.min.js", f"./{moj_js}")
    )
    _write(manifest, "console.js", console_js.encode(), out)
    return manifest


if __name__ == "__main__":
    built = build()
    sizes = {name: (OUT / file).stat().st_size for name, file in built.items()}
    for name, size in sizes.items():
        print(f"  {name:28} {built[name]:44} {size / 1024:7.1f} KB")
    sys.exit(0)
