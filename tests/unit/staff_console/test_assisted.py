"""Submitting for a resident from the console (console/assisted_pages.py): choose the service, channel and reason,
the service's pages with the web's validation, check, submit through the console-only catalogue function; the
`act-for-resident` audit entry first; errors in an error summary with nothing written."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest

from catalogue import assisted_handler
from console.assisted_pages import AssistedPages, Submitted
from tests.helpers import FakeContext
from tests.unit.functions.conftest import _search_key
from tests.unit.staff_console.conftest import Console

pytestmark = pytest.mark.unit


class HandlerSubmitter:
    """The console-only catalogue function itself, called in process instead of through Lambda."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def submit(self, payload: dict[str, Any]) -> Submitted:
        self.payloads.append(payload)
        answer = assisted_handler.handler(json.loads(json.dumps(payload)), FakeContext())
        return Submitted(answer["status"], answer["body"])


@pytest.fixture
def assisted(console: Console, monkeypatch: pytest.MonkeyPatch) -> HandlerSubmitter:

    monkeypatch.setenv("REQUESTS_TABLE", "requests")
    _search_key(monkeypatch)  # the catalogue writes postcode and email keys at submission
    submitter = HandlerSubmitter()
    pages = AssistedPages(console.pages, console.pages.audit, submitter)
    console.with_section(console.assisted, pages)
    return submitter


def _state(page: dict[str, Any]) -> str:
    found = re.search(r'name="state" value="([^"]*)"', page["body"])
    assert found, page["body"]
    return html.unescape(found.group(1))


def _page_id(page: dict[str, Any]) -> str:
    found = re.search(r'name="page" value="([^"]*)"', page["body"])
    assert found, page["body"]
    return found.group(1)


MISSED_BIN = {
    "address": {"address.line1": "1 High Street", "address.town": "Maidstone", "address.postcode": "me15 6jq"},
    "bin-type": {"bin_type": "general"},
    "collection-date": {},  # filled with yesterday
    "bin-out": {"bin_out": "yes"},
    "contact": {"contact.email": "resident@example.org"},
}


def _walk(console: Console, tokens: dict[str, str], service: str, pages: dict[str, dict[str, str]], **start: str):
    csrf = console.csrf(tokens)
    page = console.post(
        "/staff/assisted",
        tokens,
        {"csrf_token": csrf, "service": service, "channel": "phone", "reason": "No internet at home", **start},
    )
    seen = []
    while 'name="page"' in page["body"]:
        assert page["statusCode"] == 200, page["body"]
        page_id = _page_id(page)
        seen.append(page_id)
        fields = pages[page_id]
        page = console.post(
            "/staff/assisted/answers", tokens, {"csrf_token": csrf, "state": _state(page), "page": page_id, **fields}
        )
    return page, seen


def _yesterday() -> dict[str, str]:
    day = date.today() - timedelta(days=1)
    return {
        "collection_date.day": str(day.day),
        "collection_date.month": str(day.month),
        "collection_date.year": str(day.year),
    }


def test_a_caseworker_submits_a_missed_bin_for_a_resident_by_phone(console: Console, assisted: HandlerSubmitter):
    tokens = console.staff("cw", roles=("caseworker",), teams=("waste-services",))
    start = console.get("/staff/assisted", tokens)
    assert start["statusCode"] == 200
    assert "Report a missed bin collection" in start["body"]
    check, seen = _walk(console, tokens, "missed-bin", {**MISSED_BIN, "collection-date": _yesterday()})
    assert seen == ["address", "bin-type", "collection-date", "bin-out", "contact"]  # bin-out-late hidden
    assert check["statusCode"] == 200
    assert "Check the answers" in check["body"]
    assert "General waste (black bin)" in check["body"]
    assert console.table.scan()["Items"] == []  # nothing stored before the submit
    done = console.post("/staff/assisted/submit", tokens, {"csrf_token": console.csrf(tokens), "state": _state(check)})
    assert done["statusCode"] == 200, done["body"]
    [stored] = console.table.scan()["Items"]
    assert stored["reference"] in done["body"]
    sub = console.cognito.admin_get_user(UserPoolId=console.pool_id, Username="cw@example.org")["Username"]
    assert (stored["channel"], stored["submitted_by_staff"]) == ("phone", sub)
    assert stored["assisted_reason"] == "No internet at home"
    assert stored["answers"]["bin_type"] == "general"
    assert stored["contact"]["email"] == "resident@example.org"
    entries = {e["record"]: e for e in console.audit.scan()["Items"]}
    before = entries[f"submission:{stored['correlation_id']}"]
    after = entries[stored["reference"]]
    for entry in (before, after):
        assert (entry["action"], entry["staff"], entry["details"]["channel"]) == ("act-for-resident", sub, "phone")
        assert entry["details"]["reason"] == "No internet at home"
        assert entry["source_ip"]
    assert after["details"]["submission"] == stored["correlation_id"]


def test_the_audit_entry_comes_first_and_without_it_nothing_is_submitted(
    console: Console, assisted: HandlerSubmitter, monkeypatch: pytest.MonkeyPatch
):
    tokens = console.staff("cw", roles=("caseworker",), teams=("waste-services",))
    check, _ = _walk(console, tokens, "missed-bin", {**MISSED_BIN, "collection-date": _yesterday()})

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(console.pages.audit, "record", broken)
    with pytest.raises(RuntimeError):
        console.post("/staff/assisted/submit", tokens, {"csrf_token": console.csrf(tokens), "state": _state(check)})
    assert assisted.payloads == []
    assert console.table.scan()["Items"] == []


def test_a_wrong_answer_is_shown_in_an_error_summary_and_nothing_is_written(console: Console, assisted):
    tokens = console.staff("cw", roles=("caseworker",), teams=("waste-services",))
    csrf = console.csrf(tokens)
    first = console.post(
        "/staff/assisted", tokens, {"csrf_token": csrf, "service": "missed-bin", "channel": "letter", "reason": "x"}
    )
    page = console.post(
        "/staff/assisted/answers",
        tokens,
        {"csrf_token": csrf, "state": _state(first), "page": "address", "address.line1": "1 High Street"},
    )
    assert page["statusCode"] == 400
    assert "govuk-error-summary" in page["body"]
    assert "postcode" in page["body"].lower()
    assert console.table.scan()["Items"] == []
    assert console.audit.scan()["Items"] == []


def test_the_service_channel_and_reason_are_required(console: Console, assisted):
    tokens = console.staff("cw", roles=("caseworker",), teams=("waste-services",))
    page = console.post(
        "/staff/assisted", tokens, {"csrf_token": console.csrf(tokens), "service": "nope", "channel": "online"}
    )
    assert page["statusCode"] == 400
    for message in ("Select the service", "Select how the resident contacted us", "Enter why you are submitting"):
        assert message in page["body"]
    long = console.post(
        "/staff/assisted",
        tokens,
        {"csrf_token": console.csrf(tokens), "service": "missed-bin", "channel": "phone", "reason": "x" * 501},
    )
    assert long["statusCode"] == 400
    assert "500 characters or fewer" in long["body"]


def test_a_tampered_form_submits_nothing_the_web_could_not(console: Console, assisted):
    """The function validates the whole submission again: answers edited in the form's state are refused."""
    tokens = console.staff("cw", roles=("caseworker",), teams=("waste-services",))
    check, _ = _walk(console, tokens, "missed-bin", {**MISSED_BIN, "collection-date": _yesterday()})
    state = json.loads(_state(check))
    state["answers"]["bin_type"] = "skip"
    state["answers"]["submitted_by_staff"] = "someone-else"
    page = console.post(
        "/staff/assisted/submit", tokens, {"csrf_token": console.csrf(tokens), "state": json.dumps(state)}
    )
    assert page["statusCode"] == 422
    assert "govuk-error-summary" in page["body"]
    assert console.table.scan()["Items"] == []
    garbled = console.post("/staff/assisted/submit", tokens, {"csrf_token": console.csrf(tokens), "state": "{"})
    assert garbled["statusCode"] == 400


def test_a_fee_service_says_the_fee_and_waits_for_payment(console: Console, assisted):
    tokens = console.staff("cw", roles=("caseworker",), teams=("waste-services",))
    day = date.today() + timedelta(days=7)
    pages = {
        "address": MISSED_BIN["address"],
        "item-count": {"item_count": "4"},
        "items": {"items": "Sofa\nMattress\nFridge\nChair"},
        "where-left": {"where_left": "driveway"},
        "preferred-date": {
            "preferred_date.day": str(day.day),
            "preferred_date.month": str(day.month),
            "preferred_date.year": str(day.year),
        },
        "contact": MISSED_BIN["contact"],
    }
    check, _ = _walk(console, tokens, "bulky-waste", pages)
    assert "£33.00" in check["body"]
    done = console.post("/staff/assisted/submit", tokens, {"csrf_token": console.csrf(tokens), "state": _state(check)})
    [stored] = console.table.scan()["Items"]
    assert stored["status"] == "awaiting-payment"
    assert int(stored["amount_due_pence"]) == 3300
    assert "£33.00" in done["body"]


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_staff_without_act_for_resident_are_refused(console: Console, assisted, role):
    tokens = console.staff("x", roles=(role,), teams=("waste-services",))
    assert console.get("/staff/assisted", tokens)["statusCode"] == 403
    page = console.post(
        "/staff/assisted/submit",
        tokens,
        {"csrf_token": console.csrf(tokens), "state": json.dumps({"service": "missed-bin"})},
    )
    assert page["statusCode"] == 403
    assert console.table.scan()["Items"] == []
