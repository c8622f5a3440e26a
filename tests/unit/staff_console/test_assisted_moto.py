"""Taking a fee by phone from the console (console/assisted_payments.py `PaymentPages`): the card form after a fee
service's submission, the details passed on once and never put back on a page, the outcomes (paid, declined: try
again, error, under way: read back), and the payment audited before it is asked for."""

from __future__ import annotations

from typing import Any

import pytest

from console.assisted_pages import Submitted
from console.assisted_payments import PaymentPages
from shared.references import new_reference
from tests.unit.staff_console.conftest import Console

pytestmark = pytest.mark.unit

CARD = {"card_number": "4242424242424242", "expiry_date": "04/29", "cardholder_name": "A Resident", "cvc": "987"}


class FakeTaker:
    def __init__(self, *answers: Submitted) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[str, str, dict[str, str] | None]] = []

    def take(self, reference: str, card: dict[str, str], *, correlation_id: str) -> Submitted:
        self.calls.append(("take", reference, card))
        return self.answers.pop(0)

    def status(self, reference: str, *, correlation_id: str) -> Submitted:
        self.calls.append(("status", reference, None))
        return self.answers.pop(0)


def with_taker(console: Console, taker: FakeTaker) -> None:
    pages = PaymentPages(console.pages, console.pages.audit, taker, console.due)
    console.with_section(console.moto, pages)


def paid(outcome: str = "paid") -> Submitted:
    return Submitted(200, {"outcome": outcome, "amount_pence": 3300, "code": "P0010" if outcome == "declined" else ""})


@pytest.fixture
def caseworker(console: Console) -> dict[str, str]:
    return console.staff("cw", roles=("caseworker",), teams=("waste-services",))


def _pay(console: Console, tokens: dict[str, str], reference: str, **card: str) -> dict[str, Any]:
    return console.post(
        "/staff/assisted/pay", tokens, {"csrf_token": console.csrf(tokens), "reference": reference, **CARD, **card}
    )


def test_a_good_card_is_passed_on_once_and_the_page_says_paid(console: Console, caseworker):
    taker = FakeTaker(paid())
    with_taker(console, taker)
    reference = new_reference()
    page = _pay(console, caseworker, reference)
    assert page["statusCode"] == 200
    assert "Payment taken" in page["body"]
    assert "for request" in page["body"]
    assert "permit application" not in page["body"]
    assert "£33.00" in page["body"]
    assert taker.calls == [("take", reference, CARD)]
    for secret in ("4242424242424242", "987"):
        assert secret not in page["body"]
    [entry] = console.audit.scan()["Items"]
    assert (entry["record"], entry["action"]) == (reference, "take-payment")
    assert "4242" not in str(entry)


def test_a_declined_card_shows_the_form_again_without_the_number_or_code(console: Console, caseworker):
    with_taker(console, FakeTaker(paid("declined")))
    page = _pay(console, caseworker, new_reference())
    assert page["statusCode"] == 200
    assert "The card was declined. No money was taken." in page["body"]
    assert 'name="card_number"' in page["body"]
    assert "4242424242424242" not in page["body"]
    assert 'value="987"' not in page["body"]
    assert "A Resident" in page["body"]  # the name is kept, to try again


def test_bad_card_details_are_shown_in_the_error_summary(console: Console, caseworker):
    refused = Submitted(
        422, {"detail": "Check the card details.", "errors": [{"field": "cvc", "message": "Enter the security code"}]}
    )
    with_taker(console, FakeTaker(refused))
    page = _pay(console, caseworker, new_reference(), cvc="9")
    assert page["statusCode"] == 400
    assert "govuk-error-summary" in page["body"]
    assert '<a href="#cvc">Enter the security code</a>' in page["body"]


def test_when_the_wait_runs_out_the_payment_is_read_back_not_taken_again(console: Console, caseworker):
    taker = FakeTaker(Submitted(202, {"outcome": "in-progress"}), paid())
    with_taker(console, taker)
    reference = new_reference()
    waiting = _pay(console, caseworker, reference)
    assert waiting["statusCode"] == 202
    assert "Do not take the card details again" in waiting["body"]
    assert 'name="card_number"' not in waiting["body"]
    done = console.post(
        "/staff/assisted/pay/status", caseworker, {"csrf_token": console.csrf(caseworker), "reference": reference}
    )
    assert "Payment taken" in done["body"]
    assert [call[0] for call in taker.calls] == ["take", "status"]


def test_an_error_says_no_money_was_taken_and_offers_the_form_again(console: Console, caseworker):
    with_taker(console, FakeTaker(paid("error")))
    page = _pay(console, caseworker, new_reference())
    assert "Something went wrong at the payment provider. No money was taken. Try again." in page["body"]
    assert 'name="card_number"' in page["body"]
    assert "4242424242424242" not in page["body"]


def test_a_read_back_before_anything_was_asked_offers_the_card_form(console: Console, caseworker):
    with_taker(console, FakeTaker(Submitted(200, {"outcome": "not-started", "amount_pence": 2500})))
    reference = new_reference()
    page = console.post(
        "/staff/assisted/pay/status", caseworker, {"csrf_token": console.csrf(caseworker), "reference": reference}
    )
    assert page["statusCode"] == 200
    assert 'name="card_number"' in page["body"]
    assert "Take £25.00" in page["body"]
    assert "govuk-error-summary" not in page["body"]


def test_a_malformed_reference_asks_nothing(console: Console, caseworker):
    taker = FakeTaker()
    with_taker(console, taker)
    assert _pay(console, caseworker, "not a reference")["statusCode"] == 400
    assert taker.calls == []
    assert console.audit.scan()["Items"] == []


def test_staff_without_act_for_resident_cannot_take_a_payment(console: Console):
    taker = FakeTaker()
    with_taker(console, taker)
    tokens = console.staff("fin", roles=("finance",), teams=("waste-services",))
    assert _pay(console, tokens, new_reference())["statusCode"] == 403
    assert taker.calls == []
