"""One local cloud (port 0), one Chromium, for the whole browser session. The local cloud serves the template's
CloudFront distribution on its port (`local/cdn.py`): pages and /api/* through the HTTP API, /assets/* from the
assets bucket, browsers' uploads to S3 and the malware-scan stand-in.

Debian's Chromium (`apt-get install chromium`) is driven by Playwright's sync API; `playwright install` is not
needed. Browser tests share the local tests' xdist group and cloud (tests/conftest.py): one cloud per run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / ".build" / "screenshots"


@pytest.fixture(scope="session")
def site(local_cloud: Any) -> str:
    """The session's local cloud (tests/conftest.py), shared with tests/local."""
    return str(local_cloud.url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() or shutil.which("node") is None:
        pytest.skip("Chromium is not installed: apt-get install -y chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, site):
    """JavaScript on. CSP is bypassed only so that axe-core can be injected into the page."""
    context = browser.new_context(base_url=site, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def strict_page(browser, site):
    """JavaScript on, under the distribution's Content-Security-Policy as residents get it."""
    context = browser.new_context(base_url=site)
    yield context.new_page()
    context.close()


@pytest.fixture
def nojs_page(browser, site):
    context = browser.new_context(base_url=site, java_script_enabled=False)
    yield context.new_page()
    context.close()
