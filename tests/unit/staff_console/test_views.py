"""The console's views are found in its sections, exactly once; panels add their partials to the case page."""

from __future__ import annotations

from typing import Any

import pytest

from console.views import Views


class _Sign:
    def start(self) -> str:
        return "sign"


class _Other:
    def start(self) -> str:
        return "other"

    def queue(self) -> str:
        return "queue"


def test_a_view_is_found_in_the_one_section_that_has_it() -> None:
    views = Views(_Sign(), object())
    assert views("start")() == "sign"


def test_a_view_in_no_section_or_in_two_fails() -> None:
    with pytest.raises(LookupError, match="0 console sections"):
        Views(_Sign())("queue")
    with pytest.raises(LookupError, match="2 console sections"):
        Views(_Sign(), _Other())("start")


class _AmountPanel:
    template = "test_panel.html"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def context(self, staff: Any, case: dict[str, Any], request: Any) -> dict[str, Any]:
        self.seen.append(case["reference"])
        return {"amount": "<£5>"}


def test_a_panel_adds_its_partial_to_the_case_page_with_its_own_context(
    console: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jinja2 import ChoiceLoader, DictLoader

    from console import pages
    from shared.references import new_reference

    environment = pages._environment()
    monkeypatch.setattr(
        environment,
        "loader",
        ChoiceLoader([DictLoader({"test_panel.html": "<p id=panel>{{ panel.amount }}</p>"}), environment.loader]),
    )
    panel = _AmountPanel()
    console.pages.panels = (panel,)
    reference = new_reference()
    console.add_case(reference, team="Street scene", due="2026-12-01", answers={}, history=[])
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    body = console.get(f"/staff/cases/{reference}", tokens)["body"]
    assert "<p id=panel>&lt;£5&gt;</p>" in body
    assert panel.seen == [reference]
