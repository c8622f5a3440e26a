"""Coming back to take a fee by phone (console/payment_due.py, `PaymentPages.assisted_pay_find` and
`assisted_pay_due`): the request found by its reference with one GetItem of the fields it needs, the card form while
it awaits payment, plain words when it is paid, cancelled, has no fee, was made online or is not found; every read
audited before it is shown; the reference box on the start page (CSRF checked); the way back offered wherever a
payment did not complete; the card details in no page, audit entry or log."""

from __future__ import annotations

from typing import Any

import pytest

from console.assisted_pages import Submitted
from console.assisted_payments import PaymentPages
from console.payment_due import Due, PaymentDueReader, payment_due
from shared.references import new_reference
from tests.helpers import function_logs
from tests.unit.staff_console.conftest import Console
from tests.unit.staff_console.test_assisted_moto import CARD, FakeTaker, paid, with_taker

pytestmark = pytest.mark.unit

AWAITING = {
    "status": "awaiting-payment",
    "channel": "phone",
    "amount_due_pence": 2500,
    "service_id": "bulky-waste",
    "service_title": "Book a bulky waste collection",
}


# -- what a request asks for: plain logic --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("item", "moved_to", "state"),
    [
        (AWAITING, "", Due.AWAITING),
        ({**AWAITING, "channel": "face-to-face"}, "", Due.AWAITING),
        ({**AWAITING, "channel": "online"}, "", Due.ONLINE),
        ({**AWAITING, "status": "received"}, "received", Due.PAID),
        ({**AWAITING, "status": "investigating"}, "received", Due.PAID),  # paid, then worked by its team
        ({**AWAITING, "status": "closed"}, "received", Due.PAID),  # paid, then closed by its team
        ({**AWAITING, "status": "closed"}, "closed", Due.CANCELLED),  # not paid in time
        ({**AWAITING, "status": "reopened"}, "closed", Due.NOT_AWAITING),
        ({**AWAITING, "status": "received", "amount_due_pence": 0}, "", Due.NO_FEE),
        ({**AWAITING, "amount_due_pence": 0}, "", Due.NO_FEE),
        ({key: v for key, v in AWAITING.items() if key != "amount_due_pence"}, "", Due.NO_FEE),
    ],
)
def test_what_a_request_asks_for(item: dict[str, Any], moved_to: str, state: Due) -> None:
    due = payment_due("AAAA-BBBB", item, moved_to=moved_to)
    assert due.state is state
    assert due.reference == "AAAA-BBBB"


def test_a_cancelled_request_says_its_services_time_to_pay_and_none_found_is_not_found() -> None:
    from shared.catalogue import load_catalogue

    cancelled = payment_due("AAAA-BBBB", {**AWAITING, "status": "closed"}, moved_to="closed")
    assert cancelled.unpaid_hours == load_catalogue()["bulky-waste"].unpaid_cancel_after_hours
    assert (cancelled.amount_pence, cancelled.status) == (2500, "Closed")
    assert payment_due("AAAA-BBBB", None).state is Due.NOT_FOUND


def test_the_reader_reads_one_item_and_only_the_fields_it_needs(console: Console) -> None:
    reference = new_reference()
    history = [{"status": "awaiting-payment", "at": "t0"}, {"status": "received", "at": "t1", "update": "Paid"}]
    console.table.put_item(
        Item={
            "reference": reference,
            **AWAITING,
            "status": "received",
            "answers": {"description": "personal text"},
            "contact": {"email": "resident@example.org"},
            "history": history,
        }
    )
    calls: list[dict[str, Any]] = []
    reader = PaymentDueReader("requests")
    original = reader._table.get_item

    def recorded(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        answer: dict[str, Any] = original(**kwargs)
        calls.append(answer)
        return answer

    reader._table.get_item = recorded  # type: ignore[method-assign]
    due = reader.find(reference)
    assert due.state is Due.PAID
    request, answer = calls
    assert request["ConsistentRead"] is True
    read = str(answer["Item"])
    for personal in ("personal text", "resident@example.org", "Paid"):
        assert personal not in read  # neither answers, contact nor the updates' words are read
    assert reader.find(new_reference()).state is Due.NOT_FOUND


# -- the pages -----------------------------------------------------------------------------------------------------
@pytest.fixture
def caseworker(console: Console) -> dict[str, str]:
    return console.staff("cw", roles=("caseworker",), teams=("street-scene",))


def _put(console: Console, reference: str, *, moved_to: str = "", **changes: Any) -> None:
    history = [{"status": "awaiting-payment", "at": "2026-11-20T10:00:00+00:00"}]
    if moved_to:
        history.append({"status": moved_to, "at": "2026-11-21T10:00:00+00:00"})
    console.table.put_item(Item={"reference": reference, **AWAITING, "history": history, **changes})


def _audit(console: Console) -> list[tuple[str, str, str]]:
    return [
        (e["record"], e["action"], e.get("details", {}).get("found", ""))
        for e in sorted(console.audit.scan()["Items"], key=lambda e: e["at"])  # the test looks; the console never scans
    ]


def test_the_start_page_has_a_reference_box_that_finds_the_request(console: Console, caseworker):
    start = console.get("/staff/assisted", caseworker)
    assert "Take a payment for a request already made" in start["body"]
    assert 'action="/staff/assisted/pay/find"' in start["body"]
    reference = new_reference()
    found = console.post(
        "/staff/assisted/pay/find",
        caseworker,
        {"csrf_token": console.csrf(caseworker), "pay_reference": f" {reference.lower()} "},
    )
    assert found["statusCode"] == 303
    assert found["headers"]["location"] == f"/staff/assisted/pay/{reference}"


def test_a_malformed_reference_is_shown_in_the_error_summary_and_reads_nothing(console: Console, caseworker):
    page = console.post(
        "/staff/assisted/pay/find", caseworker, {"csrf_token": console.csrf(caseworker), "pay_reference": "<b>x"}
    )
    assert page["statusCode"] == 400
    assert '<a href="#pay_reference">Enter the request&#39;s reference, like 7KXM-3RAH</a>' in page["body"]
    assert "govuk-input--error" in page["body"]
    assert "<b>x" not in page["body"]  # what was typed is escaped
    assert _audit(console) == []


def test_the_reference_box_needs_the_forms_csrf_token(console: Console, caseworker):
    reference = new_reference()
    missing = console.post("/staff/assisted/pay/find", caseworker, {"pay_reference": reference})
    assert missing["statusCode"] == 400
    wrong = console.post("/staff/assisted/pay/find", caseworker, {"csrf_token": "forged", "pay_reference": reference})
    assert wrong["statusCode"] == 403


def test_a_request_awaiting_payment_shows_the_fee_and_the_card_form_and_the_read_is_audited(
    console: Console, caseworker
):
    reference = new_reference()
    _put(console, reference)
    page = console.get(f"/staff/assisted/pay/{reference}", caseworker)
    assert page["statusCode"] == 200
    body = page["body"]
    assert "Book a bulky waste collection: the fee is £25.00" in body
    assert 'action="/staff/assisted/pay"' in body
    assert f'name="reference" value="{reference}"' in body
    assert 'name="csrf_token" value="' + console.csrf(caseworker) in body
    assert "Take £25.00" in body
    assert _audit(console) == [(reference, "read-payment-due", "awaiting-payment")]


@pytest.mark.parametrize(
    ("changes", "title", "words"),
    [
        ({"status": "received", "moved_to": "received"}, "This request is paid", "The fee of £25.00 has been paid."),
        (
            {"status": "closed", "moved_to": "closed"},
            "This request was cancelled",
            "It was not paid within 48 hours of being sent, so it was cancelled and the resident was told. "
            "No money was taken.",
        ),
        ({"amount_due_pence": 0, "status": "received"}, "There is nothing to pay", "This service has no fee"),
        (
            {"channel": "online"},
            "The resident pays for this request online",
            "This request was made on the website, so the resident pays the fee of £25.00 there.",
        ),
        (
            {"status": "reopened", "moved_to": "closed"},
            "This request is not waiting for a payment",
            "Its status is reopened and no payment is recorded for it.",
        ),
    ],
)
def test_a_request_not_awaiting_a_phone_payment_says_why_and_offers_no_card_form(
    console: Console, caseworker, changes: dict[str, Any], title: str, words: str
):
    reference = new_reference()
    _put(console, reference, **changes)
    page = console.get(f"/staff/assisted/pay/{reference}", caseworker)
    assert page["statusCode"] == 200
    assert title in page["body"]
    assert words in page["body"].replace("&#39;", "'")
    assert 'name="card_number"' not in page["body"]
    [(record, action, found)] = _audit(console)
    assert (record, action) == (reference, "read-payment-due")
    assert found == payment_due(reference, {**AWAITING, **changes}, moved_to=changes.get("moved_to", "")).state


def test_an_unknown_reference_is_not_found_and_the_look_up_audited(console: Console, caseworker):
    reference = new_reference()
    page = console.get(f"/staff/assisted/pay/{reference}", caseworker)
    assert page["statusCode"] == 404
    assert f"No request has the reference {reference}" in page["body"]
    assert _audit(console) == [(reference, "read-payment-due", "not-found")]
    malformed = console.get("/staff/assisted/pay/not-a-reference", caseworker)
    assert malformed["statusCode"] == 404
    assert _audit(console) == [(reference, "read-payment-due", "not-found")]  # nothing read: nothing to audit


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_staff_without_act_for_resident_cannot_look_a_payment_up(console: Console, role: str):
    reference = new_reference()
    _put(console, reference)
    tokens = console.staff(role, roles=(role,), teams=("street-scene",))
    assert console.get(f"/staff/assisted/pay/{reference}", tokens)["statusCode"] == 403
    find = console.post(
        "/staff/assisted/pay/find", tokens, {"csrf_token": console.csrf(tokens), "pay_reference": reference}
    )
    assert find["statusCode"] == 403
    assert _audit(console) == []


@pytest.mark.parametrize("outcome", ["declined", "error", "in-progress"])
def test_a_payment_that_did_not_complete_offers_the_way_back(console: Console, caseworker, outcome: str):
    with_taker(console, FakeTaker(paid(outcome)))
    reference = new_reference()
    page = console.post(
        "/staff/assisted/pay", caseworker, {"csrf_token": console.csrf(caseworker), "reference": reference, **CARD}
    )
    assert f'href="/staff/assisted/pay/{reference}"' in page["body"]
    assert "Take a payment for a request already made" in page["body"]


def test_a_payment_taken_offers_no_way_back(console: Console, caseworker):
    with_taker(console, FakeTaker(paid()))
    reference = new_reference()
    page = console.post(
        "/staff/assisted/pay", caseworker, {"csrf_token": console.csrf(caseworker), "reference": reference, **CARD}
    )
    assert "Payment taken" in page["body"]
    assert f'href="/staff/assisted/pay/{reference}"' not in page["body"]


def test_declined_then_come_back_by_reference_then_paid_keeps_both_cards_out_of_pages_audit_and_logs(
    console: Console, caseworker
):
    reference = new_reference()
    _put(console, reference)
    declined_card = {**CARD, "card_number": "4000000000000002", "cvc": "321"}
    taker = FakeTaker(paid("declined"), Submitted(200, {"outcome": "paid", "amount_pence": 2500}))
    pages = PaymentPages(console.pages, console.pages.audit, taker, console.due)
    console.with_section(console.moto, pages)
    csrf = console.csrf(caseworker)
    with function_logs() as logs:
        declined = console.post(
            "/staff/assisted/pay", caseworker, {"csrf_token": csrf, "reference": reference, **declined_card}
        )
        back = console.get(f"/staff/assisted/pay/{reference}", caseworker)
        taken = console.post("/staff/assisted/pay", caseworker, {"csrf_token": csrf, "reference": reference, **CARD})
    assert "The card was declined" in declined["body"]
    assert 'name="card_number"' in back["body"]
    assert "Payment taken" in taken["body"]
    assert [call[2] for call in taker.calls] == [declined_card, CARD]  # each card passed on once
    assert [action for _, action, _ in _audit(console)] == ["take-payment", "read-payment-due", "take-payment"]
    shown = declined["body"] + back["body"] + taken["body"]
    everything = shown + str(console.audit.scan()["Items"]) + logs.getvalue()
    for number in ("4000000000000002", "4242424242424242"):
        assert number not in everything
    for code in ("321", "987"):  # (timestamps and ids may hold any three digits: the codes are looked for as values)
        assert f'value="{code}"' not in shown
        assert f'"{code}"' not in everything
        assert f"'{code}'" not in everything


def test_coming_back_reads_one_item_and_never_scans(console: Console, caseworker):
    from unittest import mock

    from botocore.client import BaseClient

    reference = new_reference()
    _put(console, reference)
    original = BaseClient._make_api_call
    operations: list[str] = []

    def call(self: BaseClient, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        operations.append(operation)
        return original(self, operation, params)  # type: ignore[no-any-return]

    with mock.patch.object(BaseClient, "_make_api_call", call):
        found = console.post(
            "/staff/assisted/pay/find", caseworker, {"csrf_token": console.csrf(caseworker), "pay_reference": reference}
        )
        assert operations == []  # the reference box reads nothing: it leads to the page
        assert console.get(found["headers"]["location"], caseworker)["statusCode"] == 200
    assert operations == ["GetItem", "PutItem"]  # the request, then its audit entry
