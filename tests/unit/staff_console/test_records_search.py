"""Search by reference, postcode and email (/staff/search): what is typed is recognised and normalised, hashed under
the search key, looked up by Query on the keyed-hash index (never a Scan), shown only for the searcher's teams, and
audited before the answer by kind and key, never by value."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from unittest import mock

import pytest

from console.records import key_record
from shared.references import new_reference
from shared.search_keys import EMAIL_KEY, POSTCODE_KEY, Search, SearchKeys, SearchKind, recognise
from tests.unit.staff_console.conftest import SEARCH_KEY, Console, aws_calls

MINE, OTHERS, OLD = new_reference(), new_reference(), new_reference()


def _references(body: str) -> list[str]:
    return re.findall(r'<a class="govuk-link" href="/staff/cases/([A-Z0-9]{4}-[A-Z0-9]{4})">', body)


def _audit(console: Console, record: str) -> list[dict]:
    return console.audit.query(
        KeyConditionExpression="#r = :r",
        ExpressionAttributeNames={"#r": "record"},
        ExpressionAttributeValues={":r": record},
    )["Items"]


# -- normalisation and keys -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("me15 6jq", SearchKind.POSTCODE, "ME15 6JQ"),
        ("  ME156JQ ", SearchKind.POSTCODE, "ME15 6JQ"),
        (" Resident@Example.ORG ", SearchKind.EMAIL, "resident@example.org"),
    ],
)
def test_what_is_typed_is_recognised_and_normalised(typed: str, kind: SearchKind, value: str) -> None:
    assert recognise(typed) == Search(kind, value)


def test_a_reference_is_recognised_however_it_is_typed() -> None:
    assert recognise(MINE.lower().replace("-", " ")) == Search(SearchKind.REFERENCE, MINE)


@pytest.mark.parametrize("typed", ["", "   ", "ME15", "not an email@", "@example.org", "hello", "x" * 300 + "@a.org"])
def test_anything_else_is_not_recognised(typed: str) -> None:
    assert recognise(typed) is None


def test_keys_are_hmac_sha256_hex_of_the_normalised_value() -> None:
    keys = SearchKeys(b"k")
    assert keys.postcode("me15 6jq") == hmac.new(b"k", b"ME156JQ", hashlib.sha256).hexdigest()
    assert keys.email("  Resident@Example.ORG") == hmac.new(b"k", b"resident@example.org", hashlib.sha256).hexdigest()
    assert keys.postcode("ME15 6JQ") == keys.postcode("me156jq")
    assert keys.postcode("ME15 6JQ") != SearchKeys(b"another key").postcode("ME15 6JQ")  # keyed, not a plain hash
    assert keys.postcode("ME15 6JQ") != hashlib.sha256(b"ME156JQ").hexdigest()


def test_attributes_are_only_for_answers_that_exist() -> None:
    keys = SearchKeys(b"k")
    assert keys.attributes(postcode=None, email=None) == {}
    assert set(keys.attributes(postcode="ME15 6JQ", email=None)) == {POSTCODE_KEY}
    assert set(keys.attributes(postcode=" ", email="a@b.org")) == {EMAIL_KEY}
    with pytest.raises(ValueError, match="empty"):
        SearchKeys(b"")


# -- the search page --------------------------------------------------------------------------------------------------
@pytest.fixture
def searchable(console: Console) -> Console:
    keys = SearchKeys(SEARCH_KEY)
    resident = {POSTCODE_KEY: keys.postcode("ME15 6JQ"), EMAIL_KEY: keys.email("resident@example.org")}
    console.add_case(MINE, team="Street scene", due="2026-12-01", submitted_at="2026-11-20T10:00:00+00:00", **resident)
    console.add_case(
        OTHERS, team="Waste services", due="2026-12-03", submitted_at="2026-11-21T10:00:00+00:00", **resident
    )
    console.add_case(OLD, team="Street scene", due="2026-11-01", submitted_at="2026-10-01T10:00:00+00:00")  # no keys
    return console


def _search(console: Console, tokens: dict[str, str], typed: str) -> dict:
    return console.post("/staff/search", tokens, {"csrf_token": console.csrf(tokens), "q": typed})


@pytest.mark.parametrize("typed", ["me15 6jq", "ME156JQ", "Resident@Example.org", " resident@example.org "])
def test_a_caseworker_finds_their_teams_cases_by_postcode_or_email(searchable: Console, typed: str) -> None:
    tokens = searchable.staff("cw", roles=("caseworker",), teams=("street-scene",))
    answer = _search(searchable, tokens, typed)
    assert answer["statusCode"] == 200
    assert _references(answer["body"]) == [MINE]  # not the other team's, not the one stored without keys
    assert "personal text" not in answer["body"]  # the answers are never shown in a search


def test_search_refuses_other_teams_cases(searchable: Console) -> None:
    tokens = searchable.staff("pk", roles=("caseworker",), teams=("street-cleansing",))
    for typed in ("ME15 6JQ", "resident@example.org", MINE):
        answer = _search(searchable, tokens, typed)
        assert answer["statusCode"] == 200
        assert _references(answer["body"]) == []
        assert "None of your teams has a case with that" in answer["body"]


def test_a_search_by_reference_finds_the_case_of_my_team(searchable: Console) -> None:
    tokens = searchable.staff("cw", roles=("caseworker",), teams=("street-scene",))
    assert _references(_search(searchable, tokens, MINE.lower())["body"]) == [MINE]
    assert _references(_search(searchable, tokens, OTHERS)["body"]) == []


def test_each_search_is_audited_by_kind_and_key_never_by_value(searchable: Console) -> None:
    tokens = searchable.staff("cw", roles=("caseworker",), teams=("street-scene",))
    _search(searchable, tokens, "me15 6jq")
    _search(searchable, tokens, "resident@example.org")
    _search(searchable, tokens, MINE)
    postcode_key, email_key = searchable.keys.postcode("ME15 6JQ"), searchable.keys.email("resident@example.org")
    [by_postcode] = _audit(searchable, key_record(SearchKind.POSTCODE, postcode_key))
    [by_email] = _audit(searchable, key_record(SearchKind.EMAIL, email_key))
    [by_reference] = _audit(searchable, MINE)
    assert by_postcode["action"] == "search-postcode"
    assert by_postcode["details"] == {"kind": "postcode", "key": postcode_key, "found": [MINE]}
    assert by_email["action"] == "search-email"
    assert by_email["details"]["found"] == [MINE]
    assert by_reference["action"] == "search-reference"
    assert all(entry["staff"] and entry["source_ip"] for entry in (by_postcode, by_email, by_reference))
    written = json.dumps(
        searchable.audit.scan()["Items"], default=str
    ).lower()  # the test looks; the console never scans
    assert "me15" not in written
    assert "resident@example.org" not in written


def test_the_audit_entry_is_written_before_the_answer(searchable: Console) -> None:
    tokens = searchable.staff("cw", roles=("caseworker",), teams=("street-scene",))
    failing = mock.patch("console.audit.AuditLog.record", side_effect=RuntimeError("audit table unavailable"))
    with failing, pytest.raises(RuntimeError):
        _search(searchable, tokens, "ME15 6JQ")


@pytest.mark.parametrize("typed", ["", "hello", "ME15", "resident@", "x" * 400])
def test_bad_input_gets_a_clear_message_and_writes_nothing(searchable: Console, typed: str) -> None:
    tokens = searchable.staff("cw", roles=("caseworker",), teams=("street-scene",))
    answer = _search(searchable, tokens, typed)
    assert answer["statusCode"] == 400
    assert "Enter a case reference like 7KXM-3RAH, a full postcode like ME15 6JQ, or an email address" in answer["body"]
    assert searchable.audit.scan()["Items"] == []


def test_a_search_without_its_csrf_token_is_refused(searchable: Console) -> None:
    tokens = searchable.staff("cw", roles=("caseworker",), teams=("street-scene",))
    assert searchable.post("/staff/search", tokens, {"q": "ME15 6JQ"})["statusCode"] == 400
    assert searchable.post("/staff/search", tokens, {"q": "ME15 6JQ", "csrf_token": "forged"})["statusCode"] == 403
    assert searchable.audit.scan()["Items"] == []


def test_the_queue_page_posts_its_search_box_to_the_search(searchable: Console) -> None:
    tokens = searchable.staff("cw", roles=("caseworker",), teams=("street-scene",))
    body = searchable.get("/staff/cases", tokens)["body"]
    assert '<form method="post" action="/staff/search"' in body
    assert f'name="csrf_token" value="{searchable.csrf(tokens)}"' in body


def test_search_queries_the_keyed_indexes_and_never_scans(searchable: Console) -> None:
    tokens = searchable.staff("cw", roles=("caseworker",), teams=("street-scene",))
    with aws_calls() as calls:
        for typed in ("ME15 6JQ", "resident@example.org", MINE):
            assert _search(searchable, tokens, typed)["statusCode"] == 200
        assert searchable.get("/staff/search", tokens)["statusCode"] == 200
    operations = [operation for operation, _ in calls]
    assert "Scan" not in operations
    indexes = [params.get("IndexName") for operation, params in calls if operation == "Query"]
    assert indexes == ["by-postcode-key", "by-email-key"]
    assert "GetItem" in operations


def test_a_busy_postcode_shows_the_newest_fifty_and_says_so(console: Console) -> None:
    key = console.keys.postcode("ME15 6JQ")
    references = [new_reference() for _ in range(60)]
    for n, reference in enumerate(references):
        submitted = f"2026-11-{1 + n // 24:02d}T{n % 24:02d}:00:00+00:00"
        console.add_case(reference, team="Street scene", due="2026-12-01", submitted_at=submitted, postcode_key=key)
    tokens = console.staff("cw", roles=("caseworker",), teams=("street-scene",))
    body = _search(console, tokens, "ME15 6JQ")["body"]
    assert _references(body) == list(reversed(references))[:50]  # newest first, across the index's pages
    assert "Only the 50 newest are shown" in body


def test_the_index_is_read_page_by_page_up_to_its_limit(console: Console) -> None:
    from console.search_index import SearchIndex

    key = console.keys.email("resident@example.org")
    for n in range(130):
        console.add_case(new_reference(), team="Street scene", due="2026-12-01", submitted_at=f"{n:04d}", email_key=key)
    index = SearchIndex("requests")
    assert len(list(index.newest(SearchKind.EMAIL, key, max_reads=120))) == 120
    everything = index.references(SearchKind.EMAIL, key)
    assert len(everything) == len(set(everything)) == 130
