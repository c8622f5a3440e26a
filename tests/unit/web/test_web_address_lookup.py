"""Finding an address by postcode on the resident web, without JavaScript: find, the list, choose (the UPRN saved),
the manual route, and every way it can go wrong (bad postcode, none found, the service down, a tampered UPRN, no
CSRF token, no key)."""

from __future__ import annotations

import html
import re

import pytest
from web.address_flow import CHOOSE_MESSAGE, ENTER_POSTCODE_MESSAGE, NOT_IN_LIST_MESSAGE
from web.addresses import Address, AddressLookupFailed

from shared.location import POSTCODE_MESSAGE
from tests.unit.web.web_support import Client, harness, location, sample_form

pytestmark = pytest.mark.unit

SERVICE = "bulky-waste"  # its first page asks for the collection address, and nothing else
PAGE = f"/services/{SERVICE}/address"
COBNUT = [
    Address("999000010001", "1 Cobnut Row", "", "Maidstone", "ME15 6JQ"),
    Address("999000010005", "Flat 1, Oast Court", "5 Cobnut Row", "Maidstone", "ME15 6JQ"),
]
UNAVAILABLE = "We could not look up addresses just now. Enter the address manually"


class FakeLookup:
    """The port: addresses by postcode, or a failure; counts calls."""

    def __init__(self, *, available: bool = True, failing: bool = False) -> None:
        self.is_available = available
        self.failing = failing
        self.failure = "timeout"  # AddressLookupFailed's reason when failing
        self.calls: list[str] = []
        self.addresses = {"ME15 6JQ": COBNUT}

    def available(self) -> bool:
        return self.is_available

    def by_postcode(self, postcode: str) -> list[Address]:
        self.calls.append(postcode)
        if self.failing:
            raise AddressLookupFailed(self.failure)
        return list(self.addresses.get(postcode, []))


@pytest.fixture
def lookup() -> FakeLookup:
    return FakeLookup()


@pytest.fixture
def h(catalogue, lookup):
    return harness(catalogue, addresses=lookup)


@pytest.fixture
def client(h) -> Client:
    client = Client(h.web)
    assert location(client.get(f"/services/{SERVICE}/begin")).endswith("/address")
    client.get(PAGE)  # the CSRF cookie and token
    return client


def _draft(h, client):
    return h.drafts.get(client._cookies_for(PAGE)["borough_draft"])


def _find(client, postcode: str):
    return client.post(PAGE, {"address.mode": "find", "address.find-postcode": postcode, "action": "find-address"})


def _summary(body: str) -> list[tuple[str, str]]:
    return re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', body)


def test_the_address_page_starts_by_asking_for_a_postcode(client):
    page = client.get(PAGE)
    assert page.status == 200
    assert 'name="address.find-postcode"' in page.body
    assert 'name="action" value="find-address"' in page.body
    assert "Enter the address manually" in page.body
    assert 'name="address.line1"' not in page.body


def test_find_then_choose_saves_the_address_with_its_uprn(h, client, lookup):
    found = _find(client, "me15 6jq")
    assert found.status == 200
    assert lookup.calls == ["ME15 6JQ"]
    assert "2 addresses found for <strong>ME15 6JQ</strong>" in found.body
    assert "Select an address" in found.body
    assert '<option value="999000010005">Flat 1, Oast Court, 5 Cobnut Row, Maidstone</option>' in found.body
    assert "Change postcode" in found.body
    assert "I cannot find the address in the list" in found.body
    # Only the UPRN is taken from the browser: lines sent with it are ignored.
    chosen = client.post(PAGE, {"address.mode": "select", "address.uprn": "999000010005", "address.line1": "Evil"})
    assert location(chosen) == f"/services/{SERVICE}/item-count"
    draft = _draft(h, client)
    assert draft.answers["address"] == {
        "line1": "Flat 1, Oast Court",
        "line2": "5 Cobnut Row",
        "town": "Maidstone",
        "postcode": "ME15 6JQ",
        "uprn": "999000010005",
    }
    assert "address" in draft.completed
    assert lookup.calls == ["ME15 6JQ"]  # chosen from the result kept in the draft, not looked up again


def test_the_uprn_reaches_the_submission(h, client, catalogue):
    _find(client, "ME15 6JQ")
    target = location(client.post(PAGE, {"address.mode": "select", "address.uprn": "999000010001"}))
    definition = catalogue[SERVICE]
    while not target.endswith("/check-answers"):
        client.get(target)
        page_id = target.rsplit("/", 1)[-1]
        form = sample_form(definition, definition.page(page_id), _draft(h, client).answers)
        target = location(client.post(target, form))
    check = client.get(target)
    assert "1 Cobnut Row" in check.body
    assert "999000010001" not in check.body  # residents see the address, staff get the reference
    assert location(client.post(target, {})).endswith("/confirmation")
    assert h.api.submissions[-1]["answers"]["address"]["uprn"] == "999000010001"


def test_continue_with_a_postcode_typed_finds_too(client, lookup):
    page = client.post(PAGE, {"address.mode": "find", "address.find-postcode": "ME15 6JQ"})
    assert page.status == 200
    assert lookup.calls == ["ME15 6JQ"]
    assert 'name="address.uprn"' in page.body


def test_continue_with_nothing_asks_for_the_address_and_links_to_the_postcode(h, client):
    page = client.post(PAGE, {"address.mode": "find", "address.find-postcode": ""})
    assert page.status == 400
    assert _summary(page.body) == [("#address-find-postcode", "Enter the collection address")]
    assert _draft(h, client).answers == {}


@pytest.mark.parametrize(
    ("typed", "message"),
    [("ME15", POSTCODE_MESSAGE), ("not a postcode", POSTCODE_MESSAGE), ("", ENTER_POSTCODE_MESSAGE)],
)
def test_a_postcode_that_is_not_a_full_uk_postcode_is_an_error(client, lookup, typed, message):
    page = _find(client, typed)
    assert page.status == 400
    assert _summary(page.body) == [("#address-find-postcode", html.escape(message))]
    assert 'class="govuk-error-message"' in page.body
    assert lookup.calls == []
    if typed:
        assert f'value="{typed}"' in page.body  # kept as typed


def test_no_addresses_found_says_so_and_offers_the_manual_route(h, client):
    page = _find(client, "ME15 6ZZ")
    assert page.status == 200
    assert "We could not find any addresses for ME15 6ZZ" in page.body
    assert 'value="ME15 6ZZ"' in page.body
    manual = re.search(r'href="([^"]+)">Enter the address manually', page.body)
    assert manual is not None
    assert manual.group(1) == f"{PAGE}?manual=1"
    manual_page = client.get(html.unescape(manual.group(1)))
    assert 'name="address.line1"' in manual_page.body
    assert re.search(r'name="address.postcode" type="text" value="ME15 6ZZ"', manual_page.body)  # no need to retype


def test_when_the_lookup_service_is_down_the_manual_fields_are_shown_never_an_error(h, client, lookup):
    lookup.failing = True
    page = _find(client, "ME15 6JQ")
    assert page.status == 200
    assert UNAVAILABLE in page.body
    assert 'name="address.line1"' in page.body
    assert re.search(r'name="address.postcode" type="text" value="ME15 6JQ"', page.body)  # what they typed, kept
    assert "There is a problem" not in page.body
    typed = client.post(
        PAGE,
        {
            "address.mode": "manual",
            "address.line1": "1 Cobnut Row",
            "address.town": "Maidstone",
            "address.postcode": "ME15 6JQ",
        },
    )
    assert location(typed).endswith("/item-count")
    assert _draft(h, client).answers["address"] == {
        "line1": "1 Cobnut Row",
        "town": "Maidstone",
        "postcode": "ME15 6JQ",
    }


def test_the_manual_route_works_as_before_with_no_uprn(h, client):
    _find(client, "ME15 6JQ")
    page = client.get(f"{PAGE}?manual=1")
    assert 'name="address.line1"' in page.body
    assert "Find the address by postcode instead" in page.body
    missing = client.post(
        PAGE, {"address.mode": "manual", "address.line1": "2 Mill Street", "address.postcode": "ME15 6JQ"}
    )
    assert missing.status == 400
    assert ("#address-town", "Enter town or city") in _summary(missing.body)
    assert 'name="address.line1"' in missing.body  # still the manual fields
    done = client.post(
        PAGE,
        {
            "address.mode": "manual",
            "address.line1": "2 Mill Street",
            "address.town": "Maidstone",
            "address.postcode": "me15 6jq",
        },
    )
    assert location(done).endswith("/item-count")
    assert "uprn" not in _draft(h, client).answers["address"]


@pytest.mark.parametrize("mode", ["select", "manual", "find", ""])
def test_a_uprn_that_the_lookup_did_not_find_is_refused_and_nothing_is_saved(h, client, mode):
    _find(client, "ME15 6JQ")
    before = _draft(h, client)
    form = {
        "address.mode": mode,
        "address.uprn": "100012345678",
        "address.line1": "10 Downing Street",
        "address.town": "London",
        "address.postcode": "SW1A 2AA",
    }
    if mode == "find":
        form["address.find-postcode"] = ""
    page = client.post(PAGE, form)
    if mode == "find":  # a find page has no UPRN: the question's own message, nothing saved
        assert page.status == 400
    else:
        assert page.status == 400
        assert _summary(page.body) == [("#address-uprn", NOT_IN_LIST_MESSAGE)]
    after = _draft(h, client)
    assert after.answers == before.answers == {}
    assert "address" not in after.completed


def test_a_uprn_without_any_lookup_is_refused(h, client):
    page = client.post(
        PAGE,
        {
            "address.line1": "1 High Street",
            "address.town": "Maidstone",
            "address.postcode": "ME15 6JQ",
            "address.uprn": "1",
        },
    )
    assert page.status == 400
    assert NOT_IN_LIST_MESSAGE in page.body
    assert _draft(h, client).answers == {}


def test_continue_without_choosing_asks_to_select_an_address(h, client):
    _find(client, "ME15 6JQ")
    page = client.post(PAGE, {"address.mode": "select", "address.uprn": ""})
    assert page.status == 400
    assert _summary(page.body) == [("#address-uprn", CHOOSE_MESSAGE)]
    assert 'class="govuk-select govuk-select--error"' in page.body
    assert _draft(h, client).answers == {}


def test_the_find_post_needs_its_csrf_token(h, client, lookup):
    missing = client.post(
        PAGE, {"address.mode": "find", "address.find-postcode": "ME15 6JQ", "action": "find-address"}, csrf=False
    )
    assert missing.status == 400
    wrong = client.post(
        PAGE,
        {"address.mode": "find", "address.find-postcode": "ME15 6JQ", "action": "find-address", "csrf_token": "x.y"},
    )
    assert wrong.status == 403
    assert lookup.calls == []
    assert _draft(h, client).lookups == {}


def test_change_from_check_answers_shows_the_list_with_the_address_chosen(h, client):
    _find(client, "ME15 6JQ")
    client.post(PAGE, {"address.mode": "select", "address.uprn": "999000010005"})
    page = client.get(f"{PAGE}?change=1")
    assert '<option value="999000010005" selected>' in page.body
    assert f'href="{PAGE}?find=1&amp;change=1">Change postcode' in page.body
    again = client.get(f"{PAGE}?find=1&change=1")
    assert 'name="address.find-postcode"' in again.body
    assert 'value="ME15 6JQ"' in again.body


def test_a_typed_address_is_shown_typed_when_coming_back(h, client):
    client.post(
        PAGE,
        {
            "address.mode": "manual",
            "address.line1": "2 Mill Street",
            "address.town": "Maidstone",
            "address.postcode": "ME15 6JQ",
        },
    )
    page = client.get(PAGE)
    assert 'value="2 Mill Street"' in page.body


def test_save_and_come_back_keeps_a_chosen_address_and_drops_a_tampered_one(h, client):
    _find(client, "ME15 6JQ")
    saved = client.post(PAGE, {"address.mode": "select", "address.uprn": "999000010001", "action": "save"})
    assert location(saved).endswith("/save")
    assert _draft(h, client).answers["address"]["uprn"] == "999000010001"
    client.get(PAGE)
    client.post(PAGE, {"address.mode": "select", "address.uprn": "42", "action": "save"})
    assert "address" not in _draft(h, client).answers


def test_the_lookup_result_survives_the_draft_store(h, client):
    _find(client, "ME15 6JQ")
    stored = h.drafts.items[_draft(h, client).id]
    assert "999000010005" in stored["lookups"]


def test_without_a_key_addresses_are_typed_in(catalogue):
    h = harness(catalogue, addresses=FakeLookup(available=False))
    client = Client(h.web)
    client.get(f"/services/{SERVICE}/begin")
    page = client.get(PAGE)
    assert 'name="address.line1"' in page.body
    assert "find-address" not in page.body
    assert "Find the address by postcode" not in page.body
    finding = _find(client, "ME15 6JQ")  # a stale find page: no lookup, the manual fields
    assert finding.status == 200
    assert 'name="address.line1"' in finding.body


def test_saving_on_the_find_step_does_not_look_anything_up(h, client, lookup):
    saved = client.post(PAGE, {"address.mode": "find", "address.find-postcode": "ME15 6JQ", "action": "save"})
    assert location(saved).endswith("/save")
    assert lookup.calls == []
    assert _draft(h, client).lookups == {}


def test_a_find_page_from_before_the_key_went_away_gives_the_manual_fields(h, client, lookup):
    lookup.is_available = False
    page = _find(client, "ME15 6JQ")
    assert page.status == 200
    assert lookup.calls == []
    assert 'name="address.line1"' in page.body
    assert UNAVAILABLE in page.body


@pytest.mark.parametrize(("reason", "alarmed"), [("timeout", False), ("unauthorised", True)])
def test_a_failed_lookup_is_counted_and_a_refused_key_raises_the_alarms_metric(client, lookup, reason, alarmed):
    from web.address_flow import LOOKUP_FAILURES_METRIC, LOOKUP_KEY_REFUSED_METRIC

    from shared.observability import metrics

    lookup.failing = True
    lookup.failure = reason
    metrics.clear_metrics()
    try:
        assert _find(client, "ME15 6JQ").status == 200
        counted = metrics.metric_set
        assert counted[LOOKUP_FAILURES_METRIC]["Value"] == [1.0]
        assert (LOOKUP_KEY_REFUSED_METRIC in counted) is alarmed
    finally:
        metrics.clear_metrics()
