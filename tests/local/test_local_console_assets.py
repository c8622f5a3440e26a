"""The console's JavaScript in the local cloud, as CloudFront serves it: every console page comes with the
distribution's Content-Security-Policy, which allows scripts from the site itself only (no inline script, no other
host), and loads one module script of the site's own; that script and the GOV.UK and MoJ Frontend modules it
imports, and the MoJ images the console's stylesheet names, are all served from /assets/."""

from __future__ import annotations

import re

import pytest

from local.staff import DEMO_STAFF
from tests.local.test_local_console import _signed_in

pytestmark = pytest.mark.local


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_console_pages_allow_only_the_sites_own_scripts_and_load_its_modules(local_cloud):
    browser = _signed_in(local_cloud, DEMO_STAFF["caseworker"])
    for path in ("/staff", "/staff/cases", "/staff/home"):
        page = browser.request("GET", path)
        assert page.status == 200, (path, page.body)
        policy = _directives(page.header("content-security-policy"))
        assert policy["script-src"] == ["'self'"], policy
        assert policy["object-src"] == ["'none'"]
        body = page.body.decode()
        tags = re.findall(r"<script\b[^>]*>", body)
        assert len(tags) == 1, tags
        script = re.fullmatch(r'<script type="module" src="(/assets/console\.[0-9a-f]{12}\.js)">', tags[0])
        assert script is not None, tags
        assert re.findall(r"<script\b[^>]*>(.*?)</script>", body, re.S) == [""]  # nothing inline
    module = local_cloud.handle("GET", script.group(1))
    assert module.status == 200
    assert "javascript" in module.header("content-type")
    imported = re.findall(r'from "\./([^"]+)"', module.body.decode())
    assert [name.split(".")[0] for name in imported] == ["frontend", "moj-frontend"]
    start = local_cloud.handle("GET", f"/assets/{imported[0]}").body.decode()  # GOV.UK Frontend's start-up
    imported += re.findall(r'from "\./([^"]+)"', start)
    assert [name.split(".")[0] for name in imported] == ["frontend", "moj-frontend", "govuk-frontend"]
    for name in imported:
        answer = local_cloud.handle("GET", f"/assets/{name}")
        assert answer.status == 200, name
        assert "javascript" in answer.header("content-type")
    assert b"FilterToggleButton" in local_cloud.handle("GET", f"/assets/{imported[1]}").body

    stylesheet = re.search(r'<link rel="stylesheet" href="(/assets/console\.[0-9a-f]{12}\.css)">', body)
    assert stylesheet is not None
    css = local_cloud.handle("GET", stylesheet.group(1)).body.decode()
    images = set(re.findall(r"url\((/assets/icon-[a-z-]+\.[0-9a-f]{12}\.svg)\)", css))
    assert "/assets/images/icon-" not in css  # every MoJ icon named by its fingerprinted copy
    assert len(images) >= 3  # the filter's close cross, the tags' crosses
    for image in images:
        assert local_cloud.handle("GET", image).status == 200, image
