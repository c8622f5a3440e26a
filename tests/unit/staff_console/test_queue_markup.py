"""The queue page's MoJ Frontend markup: the filter layout and filter (a plain GET form, selected filters as tags
that link to the queue without them), the Due column's server-side sort (aria-sort, a link, no client-side
sorting) and MoJ pagination for the key-set pages (previous and next only: no page numbers)."""

from __future__ import annotations

import html
import re
import urllib.parse
from datetime import date
from unittest import mock

import pytest

from shared.references import new_reference
from tests.unit.staff_console.conftest import Console

TODAY = date(2026, 12, 2)


@pytest.fixture
def queue(console: Console) -> tuple[Console, dict[str, str]]:
    console.add_case(new_reference(), team="Street scene", due="2026-11-20", channel="phone")
    console.add_case(new_reference(), team="Street scene", due="2026-12-10")
    console.add_case(new_reference(), team="Waste services", due="2026-11-25", service_id="missed-bin")
    return console, console.staff("cw", roles=("caseworker",), teams=("street-scene", "waste-services"))


def _get(console: Console, tokens: dict[str, str], **query: str) -> str:
    with mock.patch("console.pages.uk_today", return_value=TODAY):
        page = console.get("/staff/cases", tokens, **query)
    assert page["statusCode"] == 200
    return str(page["body"])


def _query(href: str) -> dict[str, str]:
    url = urllib.parse.urlsplit(html.unescape(href))
    assert url.path == "/staff/cases"
    return dict(urllib.parse.parse_qsl(url.query))


def _tags(body: str) -> dict[str, dict[str, str]]:
    found = re.findall(
        r'<a class="moj-filter__tag" href="([^"]*)"><span class="govuk-visually-hidden">Remove this filter</span> '
        r"([^<]*)</a>",
        body,
    )
    return {html.unescape(text): _query(href) for href, text in found}


def _due_header(body: str) -> tuple[str, dict[str, str]]:
    match = re.search(
        r'<th scope="col" class="govuk-table__header" aria-sort="(\w+)"><a class="govuk-link" href="([^"]*)">Due', body
    )
    assert match, "the Due header sorts"
    return match.group(1), _query(match.group(2))


def _references(body: str) -> list[str]:
    return re.findall(r'<a class="govuk-link" href="/staff/cases/([A-Z0-9]{4}-[A-Z0-9]{4})">', body)


def test_the_filters_are_an_moj_filter_in_its_layout_as_a_plain_get_form(queue: tuple[Console, dict[str, str]]) -> None:
    console, tokens = queue
    body = _get(console, tokens)
    layout = body.index('<div class="moj-filter-layout">')
    moj_filter = body.index('<div class="moj-filter" data-module="moj-filter">')
    assert layout < body.index('<div class="moj-filter-layout__filter">') < moj_filter
    assert moj_filter < body.index('<div class="moj-filter-layout__content">')
    content = body.index('<div class="moj-filter-layout__content">')
    # the action bar where MoJ's filter toggle button goes (with JavaScript), before the table
    assert content < body.index('<div class="moj-action-bar__filter">') < body.index('<table class="govuk-table">')
    form = body[
        body.index('<div class="moj-filter-layout__filter">') : body.index('<div class="moj-filter-layout__content">')
    ]
    assert '<form method="get" action="/staff/cases" novalidate>' in form
    assert '<button type="submit" class="govuk-button">Apply filters</button>' in form
    for name in ("team", "status", "service", "channel"):
        assert f'name="{name}"' in form
    # nothing needs JavaScript: only the filter toggle enhances the page, and no sortable table script re-sorts it
    assert re.findall(r'data-module="(moj-[a-z-]+)"', body) == ["moj-filter"]
    assert "moj-filter__selected" not in body  # no filter applied, no selected filters
    assert 'name="sort"' not in form  # the sort is the Due column's header, not a filter


def test_selected_filters_are_tags_linking_to_the_queue_without_them(queue: tuple[Console, dict[str, str]]) -> None:
    console, tokens = queue
    body = _get(
        console, tokens, team="Street scene", channel="phone", status="received", view="unassigned", sort="due-latest"
    )
    tags = _tags(body)
    assert tags == {
        "Street scene": {"channel": "phone", "status": "received", "view": "unassigned", "sort": "due-latest"},
        "phone": {"team": "Street scene", "status": "received", "view": "unassigned", "sort": "due-latest"},
        "Received": {"team": "Street scene", "channel": "phone", "view": "unassigned", "sort": "due-latest"},
    }
    assert '<h3 class="govuk-heading-s govuk-!-margin-bottom-0">Team</h3>' in body
    clear = re.search(r'<a class="govuk-link govuk-link--no-visited-state" href="([^"]*)">Clear filters</a>', body)
    assert clear
    assert _query(clear.group(1)) == {"view": "unassigned", "sort": "due-latest"}
    # the filters applied stay chosen in the form, and the saved view and sort are kept by it
    assert '<option value="phone" selected>' in body
    assert '<input type="hidden" name="view" value="unassigned">' in body
    assert '<input type="hidden" name="sort" value="due-latest">' in body
    # following a tag shows the queue without that filter, the others still selected
    assert set(_tags(_get(console, tokens, **tags["Street scene"]))) == {"phone", "Received"}


def test_a_filter_the_queue_ignores_is_not_shown_as_selected(queue: tuple[Console, dict[str, str]]) -> None:
    console, tokens = queue
    body = _get(console, tokens, team="Street cleansing", status="nonsense", assignee="someone-else")
    assert _tags(body) == {}
    assert "moj-filter__selected" not in body
    assert _tags(_get(console, tokens, due="overdue", service="missed-bin")) == {
        "Overdue": {"service": "missed-bin"},
        "missed-bin": {"due": "overdue"},
    }


def test_a_filter_value_is_escaped_in_its_tag(queue: tuple[Console, dict[str, str]]) -> None:
    console, tokens = queue
    body = _get(console, tokens, service='<b>"x"</b>')
    assert "<b>" not in body
    assert "&lt;b&gt;" in body


def test_the_due_column_sorts_on_the_server_and_says_how(queue: tuple[Console, dict[str, str]]) -> None:
    console, tokens = queue
    body = _get(console, tokens, channel="", team="")
    sort, link = _due_header(body)
    assert sort == "ascending"
    assert link == {"sort": "due-latest"}
    soonest = _references(body)
    latest = _get(console, tokens, **link)
    sort, link = _due_header(latest)
    assert sort == "descending"
    assert link == {}
    assert _references(latest) == list(reversed(soonest))
    # only Due sorts: the queue's index orders by due date and nothing else
    assert body.count("aria-sort") == 1
    for header in ("Reference", "Service", "Status", "Team", "Channel", "Assigned"):
        assert f'<th scope="col" class="govuk-table__header">{header}</th>' in body


def test_moj_pagination_follows_on_and_a_new_sort_starts_from_the_first_page(console: Console) -> None:
    for n in range(30):
        console.add_case(new_reference(), team="Street scene", due=f"2026-12-{(n % 9) + 1:02d}")
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    first = _get(console, tokens, team="Street scene")
    assert '<nav class="govuk-pagination govuk-pagination--block moj-pagination__pagination"' in first
    assert '<div class="moj-pagination">' in first
    next_href = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]*)" rel="next">', first)
    assert next_href
    following = _query(next_href.group(1))
    assert following["team"] == "Street scene"
    assert "after" in following
    second = _get(console, tokens, **following)
    assert len(_references(first)) == 25
    assert len(_references(second)) == 5
    assert not set(_references(first)) & set(_references(second))
    assert "govuk-pagination__next" not in second  # the last page
    assert "govuk-pagination__prev" not in first  # the first page
    previous_href = re.search(r'<a class="govuk-link govuk-pagination__link" href="([^"]*)" rel="prev">', second)
    assert previous_href
    back = _query(previous_href.group(1))
    assert back["team"] == "Street scene"
    assert "before" in back
    assert "after" not in back
    again = _get(console, tokens, **back)
    assert _references(again) == _references(first)
    assert "govuk-pagination__prev" not in again  # back on the first page: nothing before it
    assert "govuk-pagination__next" in again
    assert "govuk-pagination__item" not in first  # no page numbers: the key-set cursor cannot give them
    _, sort_link = _due_header(second)
    assert sort_link == {"team": "Street scene", "sort": "due-latest"}  # a new order starts from its first page


def test_the_search_results_table_does_not_claim_a_sort(queue: tuple[Console, dict[str, str]]) -> None:
    console, tokens = queue
    reference = _references(_get(console, tokens))[0]
    body = _get(console, tokens, reference=reference)
    assert _references(body) == [reference]
    assert "aria-sort" in body  # the queue's one-case answer is still the queue
    from console.pages import _environment

    table = _environment().get_template("case_table.html").render(rows=[], bulk=False)
    assert "aria-sort" not in table


@pytest.mark.parametrize("latest_first", [False, True])
def test_pages_read_backwards_are_the_pages_read_forwards(console: Console, latest_first: bool) -> None:
    from console.queue import CaseQueue, QueueFilter, decode_cursor

    for n in range(12):
        console.add_case(new_reference(), team="Street scene", due=f"2026-12-{(n % 4) + 1:02d}")
        console.add_case(new_reference(), team="Waste services", due=f"2026-12-{(n % 3) + 1:02d}")
    queue, teams = CaseQueue("requests"), ("Street scene", "Waste services")
    forwards: list[list[str]] = []
    wanted = QueueFilter(teams=teams, latest_first=latest_first)
    while True:
        page = queue.page(wanted, today=TODAY, size=5)
        forwards.append([c["reference"] for c in page.cases])
        assert (page.previous_cursor is None) == (len(forwards) == 1)
        if page.next_cursor is None:
            break
        wanted = QueueFilter(teams=teams, latest_first=latest_first, after=decode_cursor(page.next_cursor))
    backwards: list[list[str]] = []
    while page.previous_cursor is not None:
        wanted = QueueFilter(teams=teams, latest_first=latest_first, before=decode_cursor(page.previous_cursor))
        page = queue.page(wanted, today=TODAY, size=5)
        backwards.append([c["reference"] for c in page.cases])
        assert page.next_cursor is not None
    assert len(forwards) == 5
    assert backwards == forwards[-2::-1]


def test_the_channel_filter_offers_the_channels_requests_are_stored_with() -> None:
    from catalogue.logic import CHANNELS as STORED
    from console.pages import CHANNELS

    assert CHANNELS == STORED  # a web request's channel is "online": a "web" option would find nothing


def test_every_console_page_loads_one_module_script_of_the_sites_own_and_no_inline_script(
    queue: tuple[Console, dict[str, str]],
) -> None:
    console, tokens = queue
    for body in (_get(console, tokens), console.get("/staff")["body"], console.get("/staff/home", tokens)["body"]):
        scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", body, re.S)
        assert scripts == [""]  # one, with no inline code (the CSP's script-src 'self' allows none)
        assert re.findall(r"<script\b[^>]*>", body) == ['<script type="module" src="/assets/console.js">']
        assert re.search(r"\son[a-z]+=", body) is None  # no inline event handler
        assert "javascript:" not in body
