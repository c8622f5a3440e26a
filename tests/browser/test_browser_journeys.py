"""Every service end to end in real Chromium, with JavaScript on and off; axe-core on every page; one journey by
keyboard only; uploads through the S3 stand-in and its scanner."""

from __future__ import annotations

import re

import pytest

from shared.catalogue import load_catalogue
from tests.browser.conftest import AXE, SCREENSHOTS
from tests.browser.journeys import (
    axe_violations,
    continue_button,
    enter_card,
    fill_page,
    find_address_by_keyboard,
    page_id,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SERVICES = sorted(load_catalogue())
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa75\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _check(page, violations: dict[str, list[str]], axe: bool) -> None:
    if axe:
        found = axe_violations(page, str(AXE))
        if found:
            violations[page.url] = found


def _pay_with_a_test_card(page) -> None:
    """On the local Pay's card pages (not ours: no axe check there): a success card, Continue, Confirm payment;
    Pay sends the browser back, and the web on to the confirmation."""
    enter_card(page, "4242424242424242")
    page.get_by_role("button", name="Confirm payment").click()
    assert page.locator("#paid").is_visible()


def _journey(page, service_id: str, *, axe: bool, screenshots: bool = False) -> str:
    """Start to confirmation, with one change from check your answers; returns the reference."""
    definition = load_catalogue()[service_id]
    violations: dict[str, list[str]] = {}
    page.goto("/")
    _check(page, violations, axe)
    page.goto(f"/?q={definition.title.split()[-1]}")
    assert page.locator(f'a[href="/services/{service_id}"]').count() == 1
    page.click(f'a[href="/services/{service_id}"]')
    _check(page, violations, axe)
    page.get_by_role("button", name="Start now").click()
    for _ in range(len(definition.pages) + 1):
        if page.url.endswith("/check-answers"):
            break
        step = page_id(page.url)
        # Every required question left blank shows the error summary first (once per journey, on the first page).
        if step == definition.pages[0].id:
            continue_button(page).first.click()
            assert page.locator(".govuk-error-summary").is_visible()
            _check(page, violations, axe)
        _check(page, violations, axe)
        if screenshots and step == definition.pages[0].id:
            page.screenshot(path=str(SCREENSHOTS / f"{service_id}-question.png"), full_page=True)
        fill_page(page, definition, step)
        continue_button(page).last.click()
    assert page.url.endswith("/check-answers"), page.url
    _check(page, violations, axe)
    if definition.charges:
        assert re.match(r"£\d", page.locator("#fee-amount").inner_text())
    # Change the first answer and come back to check your answers.
    page.locator(".govuk-summary-list__actions a").first.click()
    assert "change=1" in page.url
    continue_button(page).last.click()
    assert page.url.endswith("/check-answers"), page.url
    page.get_by_role("button", name="Accept and send").click()
    if definition.charges:
        _pay_with_a_test_card(page)
    assert page.url.endswith("/confirmation")
    _check(page, violations, axe)
    reference = page.locator("#reference").inner_text()
    if screenshots:
        page.screenshot(path=str(SCREENSHOTS / f"{service_id}-confirmation.png"), full_page=True)
    page.locator('main a[href^="/track?reference="]').click()
    assert page.locator("h1").inner_text() == f"Request {reference}"
    _check(page, violations, axe)
    assert not violations, violations
    return reference


@pytest.mark.parametrize("service_id", SERVICES)
def test_each_service_end_to_end_with_javascript_and_no_axe_violations(page, service_id):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    reference = _journey(page, service_id, axe=True, screenshots=service_id == "bulky-waste")
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", reference)


@pytest.mark.parametrize("service_id", SERVICES)
def test_each_service_end_to_end_without_javascript(nojs_page, service_id):
    reference = _journey(nojs_page, service_id, axe=False)
    assert reference


def test_pages_run_under_the_content_security_policy_without_violations(strict_page):
    errors: list[str] = []
    strict_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    strict_page.goto("/services/bulky-waste")
    strict_page.get_by_role("button", name="Start now").click()
    strict_page.wait_for_load_state("load")
    assert strict_page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    strict_page.goto("/services/bulky-waste/where-left")
    assert not errors, errors


def test_a_whole_journey_by_keyboard_only(strict_page):
    page = strict_page
    definition = load_catalogue()["missed-bin"]
    page.goto("/services/missed-bin")
    _tab_to(page, "a.govuk-button--start")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/services/missed-bin/"))
    for _ in range(len(definition.pages) + 1):
        if page.url.endswith("/check-answers"):
            break
        step = page_id(page.url)
        for question in definition.page(step).questions:
            _answer_by_keyboard(page, question)
        _tab_to(page, "button.govuk-button:not(.govuk-button--secondary)")
        with page.expect_navigation():
            page.keyboard.press("Enter")
    assert page.url.endswith("/check-answers")
    _tab_to(page, "button.govuk-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/confirmation")
    assert page.locator("#reference").is_visible()


def _tab_to(page, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Could not reach {selector} with Tab")


def _answer_by_keyboard(page, question) -> None:
    from tests.unit.web.web_support import sample_raw

    if question.type == "address" and find_address_by_keyboard(page, question, _tab_to):
        return
    raw = sample_raw(question)
    if isinstance(raw, dict):
        for part, value in raw.items():
            if not value:
                continue
            if part == "preference":
                _tab_to(page, f'input[name="{question.id}.preference"]')
                _arrow_to(page, f'input[name="{question.id}.preference"][value="{value}"]')
            else:
                _tab_to(page, f"#{question.id}-{part}")
                page.keyboard.type(str(value))
    elif question.type in ("radios", "yes-no"):
        _tab_to(page, f'input[name="{question.id}"]')
        _arrow_to(page, f'input[name="{question.id}"][value="{raw}"]')
    elif question.type == "checkboxes":
        for value in raw:
            _tab_to(page, f'input[name="{question.id}"][value="{value}"]')
            page.keyboard.press("Space")
    elif raw is not None and page.locator(f"#{question.id}").count():
        _tab_to(page, f"#{question.id}")
        page.keyboard.type(str(raw))


def _arrow_to(page, selector: str) -> None:
    """In a radio group, arrow keys move the selection; stop on the wanted option."""
    for _ in range(10):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            page.keyboard.press("Space")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"Could not select {selector} with arrow keys")


@pytest.mark.parametrize("javascript", [True, False])
def test_a_photo_upload_is_scanned_released_and_an_eicar_file_refused(browser, site, tmp_path, javascript, local_cloud):
    context = browser.new_context(base_url=site, java_script_enabled=javascript)
    page = context.new_page()
    refused_before = list(local_cloud.access.refusals)  # the local cloud enforces IAM and the bucket policies
    try:
        definition = load_catalogue()["graffiti"]
        page.goto("/services/graffiti/begin")
        while page_id(page.url) != "photo":
            fill_page(page, definition, page_id(page.url))
            continue_button(page).last.click()
        virus = tmp_path / "virus.png"
        virus.write_bytes(PNG[:8] + EICAR)
        page.set_input_files("#photo", str(virus))
        page.get_by_role("button", name="Upload file").click()
        assert page_id(page.url) == "photo"
        # The scan takes a moment: the page says so and refreshes itself (no JavaScript needed) until it is in.
        assert "We are checking your file" in page.locator("main").inner_text()
        page.locator(".govuk-error-summary").wait_for(timeout=15_000)
        assert "The selected file contains a virus" in page.locator(".govuk-error-summary").inner_text()
        photo = tmp_path / "wall.png"
        photo.write_bytes(PNG)
        page.set_input_files("#photo", str(photo))
        page.get_by_role("button", name="Upload file").click()
        assert "wall.png" in page.locator(".govuk-summary-list").inner_text()
        page.get_by_text("We are checking your file").wait_for(state="detached", timeout=15_000)
        assert "wall.png" in page.locator(".govuk-summary-list").inner_text()
        page.get_by_role("button", name="Continue").click()
        assert page_id(page.url) == "contact"
        while not page.url.endswith("/check-answers"):
            fill_page(page, definition, page_id(page.url))
            continue_button(page).last.click()
        assert "wall.png" in page.locator(".govuk-summary-list").inner_text()
        page.get_by_role("button", name="Accept and send").click()
        assert page.url.endswith("/confirmation")
        # Nothing of the journey was refused: no read of an unscanned object, the catalogue's check of the upload.
        assert [r for r in local_cloud.access.refusals if r not in refused_before] == []
    finally:
        context.close()


# -- bin collection reminders: sign up, and the pages the emailed links open ----------------------------------------
def _emailed_link(page, email: str, action: str, timeout_s: float = 30.0) -> str:
    """The `action` link in the newest message to `email` in the Notify stand-in's outbox (the local cloud's)."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        messages = page.request.get("/sandbox/outbox.json").json()["messages"]
        for message in messages:
            if message.get("email_address") == email:
                found = re.search(rf"https?://\S+(/reminders/{action}\?token=[A-Za-z0-9_.-]+)", message["body"])
                assert found, message["body"]
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no message to {email} in the outbox")


@pytest.mark.parametrize("javascript", [True, False])
def test_reminder_sign_up_confirm_and_unsubscribe_pages(browser, site, javascript):
    import uuid

    from notifications.reminders import rounds

    # JavaScript on: axe-core on every page (CSP bypassed only to inject it). Off: the same journey works.
    context = browser.new_context(base_url=site, java_script_enabled=javascript, bypass_csp=javascript)
    page = context.new_page()
    violations: dict[str, list[str]] = {}
    email = f"resident-{uuid.uuid4().hex[:10]}@example.org"
    try:
        page.goto("/")
        page.get_by_role("link", name="Get a reminder the evening before your bins are collected").click()
        assert page.url.endswith("/reminders")
        _check(page, violations, javascript)
        page.get_by_role("button", name="Send me a link to confirm").click()
        assert page.locator(".govuk-error-summary").is_visible()
        _check(page, violations, javascript)
        page.fill("#postcode", f"{sorted(rounds())[0]}HQ")
        page.check("#how")  # Email: its conditional question is revealed (always shown without JavaScript)
        page.fill("#email", email)
        page.get_by_role("button", name="Send me a link to confirm").click()
        assert page.url.endswith("/reminders/requested?by=email")
        assert page.locator("h1").inner_text() == "Check your email"
        _check(page, violations, javascript)

        link = _emailed_link(page, email, "confirm")
        page.goto(link)  # the GET a mail scanner makes too: a page with a button, nothing changes
        assert page.locator("h1").inner_text() == "Confirm your bin collection reminders"
        _check(page, violations, javascript)
        page.get_by_role("button", name="Confirm reminders").click()
        assert page.url.endswith("/reminders/confirmed")
        _check(page, violations, javascript)
        page.goto(link)
        page.get_by_role("button", name="Confirm reminders").click()  # each link works once
        assert page.locator("h1").inner_text() == "This link has expired or has already been used"
        _check(page, violations, javascript)

        # The unsubscribe page (a reminder's link); a token that is not this subscription's is refused on POST.
        page.goto(f"/reminders/unsubscribe?token={link.split('=', 1)[1]}")
        assert page.locator("h1").inner_text() == "Stop bin collection reminders"
        _check(page, violations, javascript)
        page.get_by_role("button", name="Stop reminders").click()
        assert page.locator("h1").inner_text() == "This link has expired or has already been used"
        page.goto("/reminders/unsubscribed")
        _check(page, violations, javascript)
        assert not violations, violations
    finally:
        context.close()
