"""Driving a service's journey in the browser from its definition: fill each page with answers that pass."""

from __future__ import annotations

import re
from typing import Any

from shared.catalogue import ServiceDefinition
from tests.unit.web.web_support import sample_raw

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page: Any, axe_path: str) -> list[str]:
    page.add_script_tag(path=axe_path)
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def page_id(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def fill_page(page: Any, definition: ServiceDefinition, step: str) -> None:
    """Answer every question on this page that the page shows."""
    for question in definition.page(step).questions:
        first = page.locator(f'[name="{question.id}"], [name^="{question.id}."]').first
        if question.type == "file" or not first.count() or not first.is_visible():
            continue  # hidden: shown only by another answer (a conditional reveal)
        raw = sample_raw(question)
        if isinstance(raw, dict):
            for part, value in raw.items():
                if not value:
                    continue
                if part == "preference":
                    page.check(f'input[name="{question.id}.{part}"][value="{value}"]')
                else:
                    page.fill(f"#{question.id}-{part}", str(value))
        elif isinstance(raw, list):
            for value in raw:
                page.check(f'input[name="{question.id}"][value="{value}"]')
        elif question.type in ("radios", "yes-no"):
            page.check(f'input[name="{question.id}"][value="{raw}"]')
        else:
            page.fill(f"#{question.id}", str(raw))


def continue_button(page: Any) -> Any:
    return page.get_by_role("button", name=re.compile(r"^Continue"))
