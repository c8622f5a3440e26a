"""Jinja templates (autoescaped), loaded once per container; asset URLs from the build's manifest."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, Undefined, select_autoescape
from markupsafe import Markup

from shared import maps

HERE = Path(__file__).resolve().parent
ASSET_MANIFEST = HERE / "assets.json"  # written by `make assets` (web/build_assets.py): name -> fingerprinted name
ASSET_PREFIX = "/assets/"


@cache
def _manifest() -> dict[str, str]:
    try:
        manifest: dict[str, str] = json.loads(ASSET_MANIFEST.read_text())
    except FileNotFoundError:
        return {}
    return manifest


def asset(name: str) -> str:
    return ASSET_PREFIX + _manifest().get(name, name)


@cache
def map_settings() -> maps.MapSettings | None:
    """The map on location questions, from `MAP_SETTINGS` (set by the web stack); None: no map on any page."""
    return maps.from_environment()


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=Undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["permit_date"] = long_date
    env.globals["asset"] = asset
    env.globals["map_settings"] = map_settings
    env.globals["map_tile_url"] = maps.TILE_URL_TEMPLATE
    return env


def long_date(iso: str) -> str:
    """2026-04-01 as GOV.UK writes a date: 1 April 2026."""
    day = date.fromisoformat(str(iso))
    return f"{day.day} {day:%B %Y}"


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def question_html(question: Any, value: Any, errors: dict[str, str], conditionals: dict[str, Markup]) -> Markup:
    module = environment().get_template("questions.html").module
    return Markup(module.question(question, value, errors, False, conditionals))  # type: ignore[attr-defined]  # noqa: S704
