"""The staff console in real Chromium (issue 11): the demo caseworker signs in through the local Cognito stand-in
(authorization code with PKCE), assigns a case from the queue's bulk assign form, works the queue, opens a case and
signs out, with JavaScript on and off; the same by keyboard only (Tab reaches every control of each console page,
the queue's checkboxes among them, and each shows where the focus is).

axe-core (WCAG 2.2 AA) runs on every console page (JavaScript on; CSP bypassed only to inject it): the start page,
the queue, the bulk assign result, a search result, the case page, the signed-out page. The stand-in's sign-in form
stands in for Cognito's managed login (AWS's page, not ours): it is not checked.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.staff import DEMO_PASSWORD, DEMO_STAFF
from tests.browser.conftest import AXE
from tests.browser.journeys import axe_violations, checked_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CASEWORKER = DEMO_STAFF["caseworker"]
FOCUSABLE = 'a[href], button, input:not([type="hidden"]), select, textarea, [tabindex]:not([tabindex="-1"])'


@pytest.fixture(scope="module")
def reported(local_cloud) -> str:
    """A resident's report, triaged to its team (the demo caseworker works for every team)."""
    submitted = local_cloud.handle(
        "POST",
        "/api/v1/services/fly-tipping/requests",
        json_body={"description": "Mattress by the bus stop", "location": {"postcode": "ME15 6JQ"}},
    )
    assert submitted.status == 201, submitted.body
    local_cloud.wait_for_idle(timeout_s=30)
    return str(submitted.json()["reference"])


@pytest.fixture
def fresh_report(local_cloud) -> str:
    """A case of its own for each run, to assign in bulk (the other is assigned by the first run)."""
    submitted = local_cloud.handle(
        "POST",
        "/api/v1/services/fly-tipping/requests",
        json_body={"description": "Wardrobe by the post box", "location": {"postcode": "ME15 6JQ"}},
    )
    assert submitted.status == 201, submitted.body
    local_cloud.wait_for_idle(timeout_s=30)
    return str(submitted.json()["reference"])


@pytest.fixture(params=[True, False], ids=["javascript", "no-javascript"])
def staff(request, browser, site):
    """A member of staff's browser, JavaScript on (with axe) or off: (page, check)."""
    with checked_page(browser, site, str(AXE), javascript=request.param) as checked:
        yield checked


def _sign_in(page: Any, check: Any) -> None:
    page.goto("/staff")
    assert page.locator("h1").inner_text() == "Staff console"
    check()
    page.get_by_role("button", name="Sign in").click()
    assert "/sandbox/cognito/oauth2/authorize" in page.url, page.url  # the stand-in's managed login (not ours)
    page.fill("#username", CASEWORKER)
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/staff/cases"), page.url


def _tags(page: Any) -> list[str]:
    """The MoJ filter tags' accessible text (the hidden "Remove this filter" and the filter's value)."""
    return [" ".join(text.split()) for text in page.locator(".moj-filter__tag").all_text_contents()]


def test_a_caseworker_signs_in_works_a_case_and_signs_out(staff, reported, fresh_report):
    page, check = staff
    _sign_in(page, check)
    # Bulk assign: the queue's checkboxes (plain GOV.UK checkboxes in a form: no JavaScript needed), then the result
    # page the POST redirects to.
    page.goto(f"/staff/cases?reference={fresh_report}")
    page.get_by_label(f"Select case {fresh_report}").check()
    page.get_by_label("Assign the selected cases to").select_option("me")
    page.get_by_role("button", name="Assign selected cases").click()
    page.wait_for_url("**/staff/cases/bulk-assign")
    assert page.locator("h1").inner_text() == "1 of 1 case assigned to you"
    assert page.locator("#assigned").inner_text() == fresh_report
    _layout(page, current="Cases")
    check()
    page.goto("/staff/cases")
    assert page.locator("h1").inner_text() == "Cases"
    _layout(page, current="Cases")
    assert page.locator(".moj-sub-navigation__link[aria-current=page]").inner_text() == "All open"
    check()
    page.get_by_label("Team").select_option(index=0)
    page.get_by_role("button", name="Apply filters").click()
    assert page.locator("h1").inner_text() == "Cases"
    assert page.locator(".moj-filter__tag").count() == 0
    # MoJ's filter: a plain GET form; what it applies is shown as a tag that links to the queue without it
    first_case = page.locator("tbody tr").first.locator("td")  # select, reference, service, status, team, channel
    team, channel = first_case.nth(4).inner_text(), first_case.nth(5).inner_text()
    page.get_by_label("Team").select_option(team)
    page.get_by_label("Channel").select_option(channel)  # "online" for the web: the channel requests are stored with
    page.get_by_role("button", name="Apply filters").click()
    assert _tags(page) == [f"Remove this filter {team}", f"Remove this filter {channel}"]
    check()
    # the Due header sorts on the server (a link; aria-sort says the order), keeping the filters
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "ascending"
    page.locator("th[aria-sort] a").click()  # "Due", and hidden: "sort latest first"
    assert page.locator("th[aria-sort] a").text_content().startswith("Due: sort soonest first")
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "descending"
    assert page.locator(".moj-filter__tag").count() == 2
    page.get_by_role("link", name=f"Remove this filter {team}").click()
    assert _tags(page) == [f"Remove this filter {channel}"]
    assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "descending"
    check()
    page.fill("#q", reported)  # the search box: reference, postcode or email (a POST to /staff/search)
    page.get_by_role("button", name="Find").click()
    assert page.locator("table").inner_text().count(reported) == 1
    check()
    page.get_by_role("link", name=reported).click()
    assert page.locator("h1").inner_text() == f"Case {reported}"
    assert "Mattress by the bus stop" in page.locator("main").inner_text()
    assert page.locator("main .moj-badge").first.text_content() == "Received"  # the status, as a badge
    _layout(page, current="Cases")
    check()
    page.get_by_role("link", name="Your account").click()  # the primary navigation, links only
    assert page.locator("h1").inner_text() == "Your account"
    _layout(page, current="Your account")
    check()
    page.get_by_role("button", name="Sign out").click()
    # A page moves on to the stand-in's logout, which comes back to the console's signed-out page.
    page.wait_for_url("**/staff/signed-out")
    assert page.locator("h1").inner_text() == "You have signed out"
    check()
    page.goto(f"/staff/cases/{reported}")  # signed out: asked to sign in again, the case not shown
    assert "/sandbox/cognito/oauth2/authorize" in page.url, page.url


def _layout(page: Any, current: str) -> None:
    """MoJ Frontend's case-working layout: the identity bar (who, roles, teams, sign out) and the primary navigation
    (only the pages a caseworker may use: no KPIs page exists, and none is linked), in the council's brand."""
    bar = page.locator(".moj-identity-bar")
    assert CASEWORKER in bar.inner_text()
    assert page.locator("#identity-roles").inner_text() == "Roles: caseworker"
    assert page.locator("#identity-teams").inner_text().startswith("Teams: ")
    assert bar.get_by_role("button", name="Sign out").count() == 1
    nav = page.get_by_role("navigation", name="Primary navigation")
    assert nav.locator("a").all_inner_texts() == ["Cases", "Parking permits", "Your account"]
    assert nav.locator("a[aria-current=page]").all_inner_texts() == [current]
    # Computed styles (Playwright reads them with JavaScript off too): the console's stylesheet is applied.
    styles = page.evaluate(
        """() => ({
            header: getComputedStyle(document.querySelector('.borough-header')).backgroundColor,
            bar: getComputedStyle(document.querySelector('.moj-identity-bar')).boxShadow,
            nav: getComputedStyle(document.querySelector('div.moj-primary-navigation')).backgroundColor,
            // plain badges (the status): a colour modifier (red lateness, the timeline's grey and purple) is MoJ's
            badge: [...document.querySelectorAll('.moj-badge:not([class*="moj-badge--"])')]
                .map((e) => getComputedStyle(e).borderTopColor),
        })"""
    )
    assert styles["header"] == "rgb(0, 89, 79)", styles  # the council's brand
    assert styles["bar"] != "none", styles  # MoJ Frontend's identity bar
    assert styles["nav"] == "rgb(243, 243, 243)", styles  # MoJ Frontend's primary navigation
    assert set(styles["badge"]) <= {"rgb(0, 89, 79)"}, styles  # badges in the brand colour, not GOV.UK blue


# What shows where the focus is: outline, shadow, background, border, and the ::before/::after bars some components
# draw (MoJ Frontend's navigation). A control's focus is visible when any of these differs from its unfocused look.
FOCUS_LOOK = """(e) => {
    const look = (s) => [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
        s.borderBottomColor, s.borderBottomWidth, s.textDecorationLine, s.textDecorationThickness].join('|');
    const s = getComputedStyle(e);
    return [look(s),
        look(getComputedStyle(e, '::before')) + getComputedStyle(e, '::before').content,
        look(getComputedStyle(e, '::after')) + getComputedStyle(e, '::after').content].join('#');
}"""


def _tab_through(page: Any) -> tuple[set[str], list[str], list[str]]:
    """Tab from the top of the page until the focus leaves it; (controls reached, controls on the page, controls
    reached without a visible focus indicator)."""
    controls: list[str] = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter((e) => !e.disabled && getComputedStyle(e).visibility !== 'hidden' && e.getClientRects().length)
            .map((e, i) => {
                e.dataset.kb = String(i);
                return (e.innerText || e.name || e.id || e.tagName).trim();
            })""",
        FOCUSABLE,
    )
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    unfocused: list[str] = page.evaluate(f"() => [...document.querySelectorAll('[data-kb]')].map({FOCUS_LOOK})")
    reached: set[str] = set()
    unseen: list[str] = []
    for _ in range(len(controls) + 5):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            f"""() => {{
                const e = document.activeElement;
                if (!e || e === document.body || !e.dataset.kb) return null;
                return {{kb: e.dataset.kb, look: ({FOCUS_LOOK})(e)}};
            }}"""
        )
        if focused is None:
            break
        reached.add(focused["kb"])
        if focused["look"] == unfocused[int(focused["kb"])]:
            unseen.append(controls[int(focused["kb"])])
    return reached, controls, unseen


def test_every_console_control_is_reached_by_keyboard_with_its_focus_visible(strict_page, reported):
    page = strict_page  # the distribution's CSP, as staff get it
    page.goto("/staff")
    page.keyboard.press("Tab")  # the skip link first
    assert page.evaluate("document.activeElement.classList.contains('govuk-skip-link')")
    # Sign in by keyboard: the start button, then the stand-in's form.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim() === 'Sign in'"):
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.keyboard.press("Tab")
    page.keyboard.type(CASEWORKER)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation(url="**/staff/cases"):
        page.keyboard.press("Enter")
    for path in ("/staff/cases", f"/staff/cases?reference={reported}", f"/staff/cases/{reported}", "/staff/home"):
        page.goto(path)
        reached, controls, unseen = _tab_through(page)
        assert len(reached) == len(controls), (path, [c for i, c in enumerate(controls) if str(i) not in reached])
        assert not unseen, (path, unseen)
    # The case is opened and the session ended by keyboard alone.
    page.goto(f"/staff/cases?reference={reported}")
    _focus(page, f'a[href="/staff/cases/{reported}"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == f"Case {reported}"
    _focus(page, 'form[action="/staff/sign-out"] button')
    with page.expect_navigation(url="**/staff/signed-out"):
        page.keyboard.press("Enter")


def _focus(page: Any, selector: str, limit: int = 80) -> None:
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Could not reach {selector} with Tab")


NARROW = {"width": 375, "height": 812}  # a phone: below MoJ's filter toggle breakpoint (48.0625em)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_on_a_narrow_screen_the_queues_filter_folds_behind_show_filter_with_javascript(
    browser, site, reported, javascript
):
    """Under the distribution's CSP (not bypassed: the console's own script must run as staff get it, and nothing
    it loads may be refused), on a phone's width: with JavaScript MoJ's filter toggle button hides the filter
    behind "Show filter" and back; without it the filter stands above the table and works the same."""
    context = browser.new_context(base_url=site, java_script_enabled=javascript, viewport=NARROW)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def logged(message: Any) -> None:  # a script error or a CSP refusal; not the stand-in sign-in page's favicon
        if message.type == "error" and not str(message.location.get("url", "")).endswith("/favicon.ico"):
            errors.append(f"{message.text} at {message.location.get('url')}")

    page.on("console", logged)
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}") if answer.status >= 400 else None)
    try:
        _sign_in(page, lambda: None)
        filters = page.locator(".moj-filter")
        if javascript:
            toggle = page.get_by_role("button", name="Show filter")
            assert toggle.is_visible()
            assert toggle.get_attribute("aria-expanded") == "false"
            assert not filters.is_visible()
            assert page.locator("table.govuk-table").is_visible()
            toggle.click()
            assert filters.is_visible()
            assert page.get_by_role("button", name="Hide filter").get_attribute("aria-expanded") == "true"
            page.get_by_role("button", name="Close").click()  # MoJ's close button in the filter's header
            assert not filters.is_visible()
            assert page.evaluate("document.activeElement.textContent.trim()") == "Show filter"
            page.get_by_role("button", name="Show filter").click()
        else:
            assert page.get_by_role("button", name="Show filter").count() == 0
            assert filters.is_visible()
        page.select_option("#channel", "online")
        page.get_by_role("button", name="Apply filters").click()
        assert "channel=online" in page.url
        assert page.locator("h1").inner_text() == "Cases"
        if javascript:  # folded away again on the new page, the applied filter's tag inside it
            assert not filters.is_visible()
            page.get_by_role("button", name="Show filter").click()
        assert _tags(page) == ["Remove this filter online"]
    finally:
        context.close()
    assert not errors, errors  # no script error, no CSP refusal


def test_the_narrow_queue_has_no_axe_violations_with_the_filter_folded_and_shown(browser, site, reported):
    context = browser.new_context(base_url=site, viewport=NARROW, bypass_csp=True)  # bypassed only to inject axe
    page = context.new_page()
    try:
        _sign_in(page, lambda: None)
        assert axe_violations(page, str(AXE)) == []
        page.get_by_role("button", name="Show filter").click()
        assert page.locator(".moj-filter").is_visible()
        assert axe_violations(page, str(AXE)) == []
    finally:
        context.close()
