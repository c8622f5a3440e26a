"""The case page's payments panel and refund form (console/payments_panel.py), against a stand-in for the payments
service's staff function that answers as payments/staff.py does: the payment and its refunds shown to every reader
of a fee case, the form only to staff holding `refund`, the amount in pounds and a reason checked before anything is
asked, each refusal explained, and every refund audited before payments is asked."""

from __future__ import annotations

import re
from typing import Any

import pytest

from console.payments_panel import UNCONFIRMED, Answer
from shared.references import new_reference
from tests.unit.staff_console.conftest import Console

pytestmark = pytest.mark.unit

SUMMARY = {
    "reference": "",
    "paid": True,
    "amount_pence": 3500,
    "amount": "£35.00",
    "status": "success",
    "payment_id": "pay-12345",
    "captured_date": "2026-11-30",
    "refund_status": "available",
    "refundable_pence": 2500,
    "refundable": "£25.00",
    "next_number": 2,
    "refunds": [
        {
            "number": 1,
            "amount_pence": 1000,
            "amount": "£10.00",
            "status": "success",
            "reason": "<b>Missed</b> collection",
            "staff": "finance-sub",
            "requested_at": "2026-11-30T10:00:00+00:00",
            "refund_id": "r-1",
            "code": "",
        }
    ],
}


class StaffPaymentsStandIn:
    """Answers `summary` with SUMMARY and `refund` with `refund_answer`; records each event and whether the refund's
    audit entry was already written when payments was asked."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.events: list[dict[str, Any]] = []
        self.refund_answer = Answer(200, {"number": 2, "status": "submitted", "amount_pence": 1250})
        self.audited_first: list[bool] = []

    def __call__(self, event: dict[str, Any]) -> Answer:
        self.events.append(event)
        if event["action"] == "summary":
            return Answer(200, {**SUMMARY, "reference": event["reference"]})
        actions = [e["action"] for e in self.console.audit.scan()["Items"] if e["record"] == event["reference"]]
        self.audited_first.append("refund" in actions)
        return self.refund_answer

    def refunds_asked(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["action"] == "refund"]


@pytest.fixture
def payments(console: Console) -> StaffPaymentsStandIn:
    stand_in = StaffPaymentsStandIn(console)
    console.build(stand_in)
    return stand_in


@pytest.fixture
def reference(console: Console) -> str:
    reference = new_reference()
    console.add_case(reference, team="Waste services", due="2026-12-10", amount_due_pence=3500)
    return reference


@pytest.fixture
def finance(console: Console) -> dict[str, str]:
    return console.staff("fin", roles=("finance",), teams=("waste-services",))


def form_of(page: str) -> dict[str, str]:
    form = page.split('action="/staff/cases/', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))


def post_refund(console: Console, reference: str, tokens: dict[str, str], **fields: str) -> dict[str, Any]:
    page = console.get(f"/staff/cases/{reference}", tokens)["body"]
    return console.post(f"/staff/cases/{reference}/refunds", tokens, {**form_of(page), **fields})


def test_every_reader_sees_the_payment_and_its_refunds_and_only_refund_staff_see_the_form(
    console: Console, payments: StaffPaymentsStandIn, reference: str, finance: dict[str, str]
) -> None:
    caseworker = console.staff("cw", roles=("caseworker",), teams=("waste-services",))
    page = console.get(f"/staff/cases/{reference}", caseworker)["body"]
    for shown in ("£35.00", "success", "pay-12345", "2026-11-30", "£25.00", "£10.00", "Refunded"):
        assert shown in page, shown
    assert "&lt;b&gt;Missed&lt;/b&gt; collection" in page  # staff's words are escaped
    assert "/refunds" not in page  # no form without `refund`
    page = console.get(f"/staff/cases/{reference}", finance)["body"]
    fields = form_of(page)
    assert fields["csrf_token"] == console.csrf(finance)
    assert fields["number"] == "2"
    assert len(fields["form_key"]) >= 16
    assert 'name="amount"' in page
    assert 'name="reason"' in page
    assert payments.events[0] == {
        "action": "summary",
        "reference": reference,
        "correlation_id": payments.events[0]["correlation_id"],
    }


def test_a_free_case_has_no_payments_panel_and_payments_is_not_asked(
    console: Console, payments: StaffPaymentsStandIn, finance: dict[str, str]
) -> None:
    reference = new_reference()
    console.add_case(reference, team="Waste services", due="2026-12-10")
    page = console.get(f"/staff/cases/{reference}", finance)["body"]
    assert 'id="payments"' not in page
    assert payments.events == []


def test_a_refund_in_pounds_is_audited_then_asked_for_in_pence_and_the_case_page_follows(
    console: Console, payments: StaffPaymentsStandIn, reference: str, finance: dict[str, str]
) -> None:
    answer = post_refund(console, reference, finance, amount="£12.50", reason="  Collection   missed ")
    assert answer["statusCode"] == 303
    assert answer["headers"]["location"] == f"/staff/cases/{reference}?refunded=2#payments"
    [asked] = payments.refunds_asked()
    assert (asked["amount_pence"], asked["reason"], asked["number"]) == (1250, "Collection missed", 2)
    sub = console.cognito.admin_get_user(UserPoolId=console.pool_id, Username="fin@example.org")["Username"]
    assert asked["staff"] == {"subject": sub, "roles": ["finance"]}
    assert payments.audited_first == [True]
    trail = [e for e in console.audit.scan()["Items"] if e["action"] == "refund"]
    assert [(e["record"], e["staff"]) for e in trail] == [(reference, sub)]
    after = console.get(f"/staff/cases/{reference}", finance, refunded="2")["body"]
    assert "Refund 2 was sent to GOV.UK Pay" in after
    crafted = console.get(f"/staff/cases/{reference}", finance, refunded="all your money")["body"]
    assert "was sent to GOV.UK Pay" not in crafted


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("", "Missed", "Enter the amount to refund, in pounds"),
        ("ten", "Missed", "Enter the amount to refund in pounds and pence"),
        ("0", "Missed", "Enter the amount to refund in pounds and pence"),
        ("12.345", "Missed", "Enter the amount to refund in pounds and pence"),
        ("-5", "Missed", "Enter the amount to refund in pounds and pence"),
        ("12", "   ", "Enter why you are refunding the payment"),
        ("12", "x" * 501, "The reason must be 500 characters or fewer"),
    ],
)
def test_a_bad_amount_or_reason_is_explained_and_nothing_is_asked_or_audited(
    console: Console, payments: StaffPaymentsStandIn, reference: str, finance: dict[str, str], amount, reason, message
) -> None:
    answer = post_refund(console, reference, finance, amount=amount, reason=reason)
    assert answer["statusCode"] == 200
    assert "The refund was not made" in answer["body"]
    assert message in answer["body"]
    assert answer["body"].count(message) == 2  # the error summary and the field's own message
    assert payments.refunds_asked() == []
    assert [e for e in console.audit.scan()["Items"] if e["action"] == "refund"] == []


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            409,
            {"problem": "over-available", "detail": "You can refund at most £25.00 of this payment, not £30.00."},
            "That is more than is left to refund. You can refund at most £25.00 of this payment, not £30.00.",
        ),
        (409, {"problem": "changed", "detail": "x"}, "someone else refunded part of it"),
        (409, {"problem": "fully-refunded", "detail": "x"}, "This payment has been refunded in full already."),
        (409, {"problem": "not-paid", "detail": "x"}, "This request has not been paid: there is nothing to refund."),
        (409, {"problem": "checking", "detail": "x"}, "still being checked with GOV.UK Pay"),
        (
            409,
            {"problem": "not-refundable", "detail": "The payment has not been taken from the card yet."},
            "GOV.UK Pay cannot refund this payment now. The payment has not been taken from the card yet.",
        ),
        (403, {"detail": "You do not have permission to refund payments."}, "You do not have permission to refund"),
        (502, {"detail": UNCONFIRMED}, "We could not confirm the refund with GOV.UK Pay"),
    ],
)
def test_each_refusal_is_explained_with_the_form_as_it_was_typed(
    console: Console, payments: StaffPaymentsStandIn, reference: str, finance: dict[str, str], status, body, message
) -> None:
    payments.refund_answer = Answer(status, body)
    answer = post_refund(console, reference, finance, amount="30", reason="Missed collection")
    assert answer["statusCode"] == 200
    page = answer["body"]
    assert message in page
    assert 'value="30"' in page
    assert "Missed collection</textarea>" in page
    assert len(payments.refunds_asked()) == 1


def test_staff_without_refund_another_teams_case_and_forms_without_csrf_ask_nothing(
    console: Console, payments: StaffPaymentsStandIn, reference: str, finance: dict[str, str]
) -> None:
    caseworker = console.staff("cw", roles=("caseworker",), teams=("waste-services",))
    fields = {"amount": "5", "reason": "Missed", "number": "2", "form_key": "k" * 24}
    path = f"/staff/cases/{reference}/refunds"
    assert console.post(path, caseworker, {**fields, "csrf_token": console.csrf(caseworker)})["statusCode"] == 403
    elsewhere = console.staff("fin2", roles=("finance",), teams=("street-scene",))
    assert console.post(path, elsewhere, {**fields, "csrf_token": console.csrf(elsewhere)})["statusCode"] == 404
    assert console.post(path, finance, fields)["statusCode"] == 400  # no CSRF token
    assert console.post(path, finance, {**fields, "csrf_token": "forged"})["statusCode"] == 403
    assert payments.refunds_asked() == []
    assert [e for e in console.audit.scan()["Items"] if e["action"] == "refund"] == []


def test_without_the_payments_service_the_panel_says_so(console: Console, reference: str, finance) -> None:
    page = console.get(f"/staff/cases/{reference}", finance)["body"]
    assert "Payments are not connected to this console." in page


class _Invoked:
    """What lambda:Invoke hands back: `answer` as the payload, or a function error, or a timeout."""

    def __init__(self, answer: Any = None, *, function_error: bool = False, timeout: bool = False) -> None:
        self.answer, self.function_error, self.timeout = answer, function_error, timeout
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **arguments: Any) -> dict[str, Any]:
        import io
        import json

        self.calls.append(arguments)
        if self.timeout:
            raise TimeoutError("read timeout")
        response: dict[str, Any] = {"Payload": io.BytesIO(json.dumps(self.answer).encode())}
        if self.function_error:
            response["FunctionError"] = "Unhandled"
        return response


@pytest.mark.parametrize(
    ("invoked", "expected"),
    [
        (_Invoked({"status": 409, "body": {"problem": "changed"}}), Answer(409, {"problem": "changed"})),
        (_Invoked({"errorMessage": "boom"}, function_error=True), Answer(502, {"detail": UNCONFIRMED})),
        (_Invoked({"unexpected": True}), Answer(502, {"detail": UNCONFIRMED})),
        (_Invoked(timeout=True), Answer(502, {"detail": UNCONFIRMED})),
    ],
)
def test_the_staff_function_is_invoked_by_name_and_a_failure_is_never_taken_for_a_refusal(
    monkeypatch: pytest.MonkeyPatch, invoked: _Invoked, expected: Answer
) -> None:
    from console.payments_panel import LambdaStaffPayments
    from shared import aws

    monkeypatch.setattr(aws, "client", lambda service: invoked)
    assert LambdaStaffPayments("Borough-test-StaffPayments")({"action": "summary", "reference": "X"}) == expected
    assert invoked.calls[0]["FunctionName"] == "Borough-test-StaffPayments"
