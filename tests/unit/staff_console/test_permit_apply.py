"""Applying for a parking permit for a resident from the console (console/permit_apply.py): the application checked
and priced by the permits service's logic in process, kept with the channel, reason and staff member, the price and
why shown with the card form; the payment by phone through the MOTO taker; every step audited, bad input the error
summary with nothing written."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from console.assisted_pages import Submitted
from console.permit_apply import PermitApplyPages
from tests.unit.staff_console.conftest import PERMITS_TABLE, Console

pytestmark = pytest.mark.unit

FORM = {"channel": "phone", "reason": "No internet at home", "uprn": "100000000001", "postcode": "ME14 1HQ",
        "street": "HOPFIELD ROAD", "kind": "resident", "months": "12", "vrm": "lb19 ptr",
        "email": "Resident@Example.org"}  # fmt: skip


def trail(console: Console, record: str) -> list[dict[str, Any]]:
    return list(console.audit.query(KeyConditionExpression=Key("record").eq(record))["Items"])


def applications() -> list[dict[str, Any]]:
    items = boto3.resource("dynamodb").Table(PERMITS_TABLE).scan()["Items"]  # the test reads all; the code never scans
    return [i for i in items if i.get("record") == "APPLICATION"]


@pytest.fixture
def caseworker(console: Console) -> dict[str, str]:
    return console.staff("casey", roles=("caseworker",))


def apply(console: Console, tokens: dict[str, str], **changes: str) -> dict[str, Any]:
    return console.post("/staff/permits/apply", tokens, {"csrf_token": console.csrf(tokens), **FORM, **changes})


def test_staff_apply_for_a_resident_and_see_the_price_why_and_the_card_form(console, caseworker):
    form = console.get("/staff/permits/apply", caseworker)
    assert form["statusCode"] == 200
    assert 'action="/staff/permits/apply"' in form["body"]
    answer = apply(console, caseworker)
    assert answer["statusCode"] == 200, answer["body"]
    [stored] = applications()
    reference = stored["reference"]
    subject = trail(console, "permit-applications")[0]["staff"]
    assert stored["assisted"] == {"channel": "phone", "reason": "No internet at home", "staff": subject}
    assert stored["contact"] == {"email": "Resident@example.org"}
    assert console.applications.orders == [(reference, int(stored["amount_pence"]))]
    body = answer["body"]
    assert f"Permit application {reference}" in body
    assert "Why this price" in body
    for reason in stored["reasons"]:
        assert reason.replace("'", "&#39;") in body
    assert 'action="/staff/permits/apply/pay"' in body
    assert 'action="/staff/permits/apply/pay/status"' in body  # the request's card page, with the permit's paths
    assert "/staff/assisted" not in body  # no "pay later" from the requests' page: the permit's page instead
    assert f'href="/staff/permits/{reference}"' in body
    assert f'name="reference" value="{reference}"' in body
    [before] = trail(console, "permit-applications")
    assert (before["action"], before["details"]) == (
        "apply-permit-for-resident",
        {"channel": "phone", "kind": "resident"},
    )
    assert "LB19" not in str(before)
    assert "example" not in str(before).lower()
    assert [e["action"] for e in trail(console, f"permit:{reference}")] == ["apply-permit-for-resident"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"channel": "online"}, "channel", "Select how the resident contacted us"),
        ({"reason": "   "}, "reason", "Enter why you are applying for the resident"),
        ({"uprn": "12 High St"}, "uprn", "Enter the address&#39;s UPRN"),
        ({"months": "7"}, "months", "Select how long the permit is for"),
        ({"email": ""}, "email", "Enter the resident&#39;s email address"),
    ],
)
def test_bad_input_is_the_error_summary_and_nothing_is_asked_or_written(console, caseworker, change, field, message):
    answer = apply(console, caseworker, **change)
    assert answer["statusCode"] == 400
    assert "There is a problem" in answer["body"]
    assert message in answer["body"]
    assert f'href="#{field}"' in answer["body"]
    assert console.applications.events == []
    assert applications() == []
    assert trail(console, "permit-applications") == []


def test_a_refusal_by_the_permits_service_is_shown_and_audited_and_nothing_is_written(console, caseworker):
    outside = apply(console, caseworker, uprn="999999999999", postcode="ZZ1 1ZZ")
    assert outside["statusCode"] == 422
    assert "There is a problem" in outside["body"]
    bad_mark = apply(console, caseworker, vrm="NOT A MARK!")
    assert bad_mark["statusCode"] == 400
    assert 'href="#vrm"' in bad_mark["body"]
    assert applications() == []
    actions = [e["action"] for e in trail(console, "permit-applications")]
    assert actions.count("apply-permit-for-resident-refused") == 2


def test_a_form_without_its_csrf_token_is_refused_by_the_guard(console, caseworker):
    answer = console.post("/staff/permits/apply", caseworker, FORM)
    assert answer["statusCode"] == 400
    assert console.applications.events == []


class PaidTaker:
    def __init__(self) -> None:
        self.taken: list[str] = []

    def take(self, reference: str, card: dict[str, str], *, correlation_id: str) -> Submitted:
        self.taken.append(reference)
        return Submitted(200, {"outcome": "paid", "amount_pence": 9000})

    def status(self, reference: str, *, correlation_id: str) -> Submitted:
        return Submitted(200, {"outcome": "paid", "amount_pence": 9000})


def test_the_payment_by_phone_is_audited_before_it_is_taken_and_the_card_is_not_shown_again(console, caseworker):
    taker = PaidTaker()
    console.with_section(
        console.permit_apply, PermitApplyPages(console.pages, console.permit_apply.audit, console.applications, taker)
    )
    apply(console, caseworker)
    [stored] = applications()
    reference = stored["reference"]
    card = {"card_number": "4444333322221111", "expiry_date": "04/29", "cvc": "123", "cardholder_name": "A Resident"}
    answer = console.post(
        "/staff/permits/apply/pay", caseworker, {"csrf_token": console.csrf(caseworker), "reference": reference, **card}
    )
    assert answer["statusCode"] == 200
    assert "Payment taken" in answer["body"]
    assert f'href="/staff/permits/{reference}"' in answer["body"]
    assert "for permit application" in answer["body"]
    assert "/staff/assisted" not in answer["body"]
    assert "4444333322221111" not in answer["body"]
    assert taker.taken == [reference]
    actions = [e["action"] for e in trail(console, f"permit:{reference}")]
    assert actions == ["apply-permit-for-resident", "take-payment"]
    assert "4444" not in str(trail(console, f"permit:{reference}"))
    unreadable = console.post("/staff/permits/apply/pay", caseworker, {"csrf_token": console.csrf(caseworker),
                                                                       "reference": "<script>"})  # fmt: skip
    assert unreadable["statusCode"] == 400
    assert taker.taken == [reference]


def test_staff_apply_for_a_carer_permit_with_no_mark(console, caseworker):
    town = {"postcode": "ME15 6JQ", "street": "COBNUT ROW", "kind": "carer"}  # zone A, where carer permits are sold
    named = apply(console, caseworker, **town)  # FORM's mark left in
    assert named["statusCode"] == 400
    assert "Leave the mark blank for a carer permit" in named["body"]
    assert applications() == []
    answer = apply(console, caseworker, **town, vrm="")
    assert answer["statusCode"] == 200, answer["body"]
    [stored] = applications()
    assert (stored["kind"], stored["mark"], stored["permit_zone"]) == ("carer", "", "A")
    assert console.applications.orders == [(stored["reference"], int(stored["amount_pence"]))]


def test_a_free_permit_skips_the_card_step_and_is_issued_at_once(console, caseworker):
    answer = apply(console, caseworker, kind="carer", vrm="")  # zone B prices carer permits at £0
    assert answer["statusCode"] == 200, answer["body"]
    [stored] = applications()
    assert (stored["amount_pence"], stored["status"]) == (0, "issued")
    assert console.applications.orders == []  # payments takes no order of £0: none registered
    body = answer["body"]
    assert "Permit issued" in body
    assert "This permit is free, so there is no payment to take" in body
    assert 'action="/staff/permits/apply/pay"' not in body  # no card by phone
    assert f'href="/staff/permits/{stored["reference"]}"' in body
    assert [e["action"] for e in trail(console, f"permit:{stored['reference']}")] == ["apply-permit-for-resident"]
