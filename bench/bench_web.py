"""Resident web: server-side render time of each page type (in-process, 1,000 renders each) and the weight of a
question page (HTML + CSS + JS, uncompressed, no fonts: none are shipped).

Targets (issue 3): p99 under 30 ms per render; a question page under 150 KB. Figures go in docs/web.md.
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RENDERS = 1_000
P99_TARGET_MS = 30.0
WEIGHT_TARGET_KB = 150.0


def _web() -> tuple[Any, Any]:
    sys.path[:0] = [str(ROOT), str(ROOT / "functions")]
    os.environ.setdefault("SIGNING_KEY", "benchmark-signing-key")
    os.environ.setdefault("BOROUGH_LOCAL_CLOUD", "1")  # a key given directly, as only the local cloud may
    from web.api import ApiResult
    from web.drafts import MemoryDraftStore
    from web.pages import Ports, Web

    from shared import forms
    from shared.catalogue import load_catalogue

    catalogue = load_catalogue()

    class Api:
        def submit(self, service_id: str, answers: dict[str, Any], **_: Any) -> ApiResult:
            fee = forms.validate_submission(catalogue[service_id], answers).amount_due_pence
            return ApiResult(201, {"reference": "HF7K-3XA9", "amount_due_pence": fee})

        def track(self, reference: str, **_: Any) -> ApiResult:
            return ApiResult(
                200,
                {
                    "reference": reference,
                    "service_title": "Report a missed bin collection",
                    "status": "received",
                    "status_label": "Received",
                    "submitted_at": "2026-03-02T10:15:00+00:00",
                    "expected_by": "2026-03-05",
                    "team": "Waste services",
                    "history": [{"status_label": "Received", "at": "2026-03-02T10:15:00+00:00"}],
                },
            )

    drafts = MemoryDraftStore()
    web = Web(
        Ports(drafts=drafts, api=Api(), uploads=None, publish=lambda e: None), council="Maidstone Borough Council"
    )
    return web, drafts


def _client(web: Any) -> Callable[..., Any]:
    from types import SimpleNamespace
    from urllib.parse import urlencode

    cookies: dict[str, str] = {}

    def call(method: str, path: str, form: dict[str, list[str]] | None = None) -> Any:
        route, _, query = path.partition("?")
        event = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": route,
            "rawQueryString": query,
            "cookies": [f"{name}={value}" for name, value in cookies.items()],
            "headers": {"host": "127.0.0.1:8080", "content-type": "application/x-www-form-urlencoded"},
            "requestContext": {"http": {"method": method, "path": route}, "stage": "$default"},
            "body": urlencode(form or {}, doseq=True),
            "isBase64Encoded": False,
        }
        result = web.resolve(event)
        for header in result.get("cookies", []):
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name] = value
        return SimpleNamespace(status=result["statusCode"], body=result["body"])

    return call


def _prepare(web: Any) -> dict[str, Callable[[], Any]]:
    """One callable per page type, each serving a real request of that type."""
    call = _client(web)
    call("GET", "/services/bulky-waste/begin")
    address = call("GET", "/services/bulky-waste/address")
    token = re.search(r'name="csrf_token" value="([^"]+)"', address.body).group(1)  # type: ignore[union-attr]

    def post(path: str, fields: dict[str, str]) -> Any:
        return call("POST", path, {k: [v] for k, v in {**fields, "csrf_token": token}.items()})

    answers = {
        "address": {"address.line1": "1 High Street", "address.town": "Maidstone", "address.postcode": "ME15 6JQ"},
        "item-count": {"item_count": "4"},
        "items": {"items": "Sofa\nMattress\nFridge\nTable"},
        "where-left": {"where_left": "driveway"},
        "preferred-date": {"preferred_date.day": "1", "preferred_date.month": "6", "preferred_date.year": "2031"},
        "contact": {"contact.email": "resident@example.com", "contact.preference": "email"},
    }
    for page_id, fields in answers.items():
        assert post(f"/services/bulky-waste/{page_id}", fields).status == 303
    return {
        "home (all services by topic)": lambda: call("GET", "/"),
        "home search": lambda: call("GET", "/?q=bin"),
        "start page": lambda: call("GET", "/services/bulky-waste"),
        "question (number)": lambda: call("GET", "/services/bulky-waste/item-count"),
        "question (address)": lambda: call("GET", "/services/bulky-waste/address"),
        "question (radios + conditional)": lambda: call("GET", "/services/bulky-waste/where-left"),
        "question with errors (POST)": lambda: post("/services/bulky-waste/item-count", {"item_count": "eleven"}),
        "check your answers (with fee)": lambda: call("GET", "/services/bulky-waste/check-answers"),
        "track your request": lambda: call("GET", "/track?reference=HF7K-3XA9"),
    }


def render_times() -> list[tuple[str, float, float]]:
    web, _ = _web()
    cases = _prepare(web)
    rows = []
    for name, case in cases.items():
        reply = case()
        assert reply.status in (200, 400), (name, reply.status)
        for _ in range(20):  # warm: templates compiled, caches filled
            case()
        samples = []
        for _ in range(RENDERS):
            started = time.perf_counter()
            case()
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        rows.append((name, statistics.median(samples), samples[int(len(samples) * 0.99) - 1]))
    return rows


def question_page_weight(step: str = "description", *, with_map: bool = False) -> dict[str, int]:
    """HTML + CSS + JS of one fly-tipping question page. With the map: the location page as the dev environment
    draws it (cdk.json's map settings), whose script also loads map.js (tiles are images: not counted)."""
    import json
    import os

    from web import render

    scripts = ["application.js", "govuk-frontend.min.js"]
    before = os.environ.get("MAP_SETTINGS")
    if with_map:
        cdk = json.loads((ROOT / "cdk.json").read_text())
        os.environ["MAP_SETTINGS"] = json.dumps(cdk["context"]["environments"]["dev"]["map"])
        scripts.append("map.js")
    render.map_settings.cache_clear()
    try:
        web, _ = _web()
        call = _client(web)
        call("GET", "/services/fly-tipping/begin")
        html = call("GET", f"/services/fly-tipping/{step}").body.encode()
    finally:
        if before is None:
            os.environ.pop("MAP_SETTINGS", None)
        else:
            os.environ["MAP_SETTINGS"] = before
        render.map_settings.cache_clear()
    assert with_map == (b"borough-map" in html), "the map page must have the map, the others not"
    manifest = json.loads((ROOT / "functions" / "web" / "assets.json").read_text())
    assets = ROOT / ".build" / "assets"
    return {
        "HTML": len(html),
        "CSS": (assets / manifest["application.css"]).stat().st_size,
        "JS": sum((assets / manifest[name]).stat().st_size for name in scripts),
    }


def main() -> None:
    if not (ROOT / "functions" / "web" / "assets.json").exists():
        import runpy

        runpy.run_path(str(ROOT / "web" / "build_assets.py"))["build"]()
    print(f"Server-side render, in-process, {RENDERS} renders each (target p99 < {P99_TARGET_MS:.0f} ms)")
    print(f"  {'page type':34} {'p50 ms':>8} {'p99 ms':>8}")
    for name, p50, p99 in render_times():
        flag = "" if p99 < P99_TARGET_MS else "  OVER TARGET"
        print(f"  {name:34} {p50:8.2f} {p99:8.2f}{flag}")
    print()
    for name, weight in (
        ("Question page", question_page_weight()),
        ("Location page with the map", question_page_weight("location", with_map=True)),
    ):
        total = sum(weight.values()) / 1024
        parts = ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in weight.items())
        flag = "" if total < WEIGHT_TARGET_KB else "  OVER TARGET"
        print(f"{name} weight, uncompressed, no fonts: {total:.1f} KB ({parts}){flag}")


if __name__ == "__main__":
    main()
