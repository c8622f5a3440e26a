"""Driving a service's journey in the browser from its definition: fill each page with answers that pass."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.catalogue import ServiceDefinition
from tests.unit.web.web_support import sample_raw

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LOOKUP_POSTCODE = "ME15 6JQ"  # in the OS Places stand-in's gazetteer (local/sandbox/os_places_gazetteer.json)


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
        if question.type == "address" and find_address(page, question):
            continue
        _fill_question(page, question)


def _fill_question(page: Any, question: Any) -> None:
    first = page.locator(f'[name="{question.id}"], [name^="{question.id}."]:not([type="hidden"])').first
    if question.type == "file" or not first.count() or not first.is_visible():
        return  # hidden: shown only by another answer (a conditional reveal)
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


def find_address(page: Any, question: Any, postcode: str = LOOKUP_POSTCODE) -> bool:
    """Answer an address question by postcode lookup (find, then choose the first address); False when the page
    asks for the address typed in (no lookup), so the caller fills the parts."""
    finder = page.locator(f"#{question.id}-find-postcode")
    if finder.count() and finder.is_visible():
        finder.fill(postcode)
        page.get_by_role("button", name="Find address").click()
        page.wait_for_load_state()
    chooser = page.locator(f"#{question.id}-uprn")
    if not chooser.count():
        return False
    if not chooser.input_value():
        chooser.select_option(index=1)
    return True


def find_address_by_keyboard(page: Any, question: Any, tab_to: Any, postcode: str = LOOKUP_POSTCODE) -> bool:
    """The same with the keyboard only: type the postcode, Enter (the form's first button: Find address), then the
    arrow key on the list of addresses."""
    if page.locator(f"#{question.id}-find-postcode").count():
        tab_to(page, f"#{question.id}-find-postcode")
        page.keyboard.type(postcode)
        with page.expect_navigation():
            page.keyboard.press("Enter")
    if not page.locator(f"#{question.id}-uprn").count():
        return False
    tab_to(page, f"#{question.id}-uprn")
    page.keyboard.press("ArrowDown")
    return True


def continue_button(page: Any) -> Any:
    return page.get_by_role("button", name=re.compile(r"^Continue"))


TEST_CARD_FORM = {"expiry_month": "12", "expiry_year": "30", "cardholder_name": "J Bloggs", "cvc": "123"}


def enter_card(page: Any, number: str) -> None:
    """On the local Pay's card details page (Pay's, not ours: no axe check there): a test card, then Continue."""
    assert "/sandbox/pay/card_details/" in page.url, page.url
    for name, value in {"card_number": number, **TEST_CARD_FORM}.items():
        page.fill(f'input[name="{name}"]', value)
    page.get_by_role("button", name="Continue").click()


@contextmanager
def checked_page(browser: Any, site: str, axe_path: str, *, javascript: bool) -> Iterator[tuple[Any, Any]]:
    """A new browser context, JavaScript on (CSP bypassed only to inject axe-core) or off: (page, check), where
    check() runs axe on the page when JavaScript is on; any page's violations fail on leaving."""
    context = browser.new_context(base_url=site, java_script_enabled=javascript, bypass_csp=javascript)
    page = context.new_page()
    violations: dict[str, list[str]] = {}

    def check() -> None:
        if javascript:
            found = axe_violations(page, axe_path)
            if found:
                violations[page.url] = found

    try:
        yield page, check
    finally:
        context.close()
    assert not violations, violations
