"""Parking permits in the staff console (console/permit_pages.py): search by mark, reference and UPRN, the permit
page, verifying declared details and revoking, each audited in the console's audit, through the permits service's
PermitsStaff logic in process (the console itself reads no Permits table). Bad input: the GOV.UK error summary and
nothing written."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Key

from console.permit_pages import PermitPages
from shared.references import new_reference
from tests.unit.staff_console.conftest import PERMITS_TABLE, Console, aws_calls

pytestmark = pytest.mark.unit
REFERENCE = new_reference()


def trail(console: Console, record: str) -> list[dict[str, Any]]:
    return list(console.audit.query(KeyConditionExpression=Key("record").eq(record))["Items"])


def permit_item(console: Console, permit_id: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(PERMITS_TABLE)
    return dict(table.get_item(Key={"pk": f"PERMIT#{permit_id}", "sk": "PERMIT"})["Item"])


@pytest.fixture
def caseworker(console: Console) -> dict[str, str]:
    return console.staff("casey", roles=("caseworker",))


def search(console: Console, tokens: dict[str, str], by: str, value: str) -> dict[str, Any]:
    return console.post("/staff/permits", tokens, {"csrf_token": console.csrf(tokens), "by": by, by: value})


def test_a_permit_is_found_by_its_mark_and_the_search_is_audited_without_the_mark(console, caseworker):
    permit_id = console.add_permit(REFERENCE)
    console.add_permit(new_reference(), vrm="KX68DSL")  # another vehicle: not found
    with aws_calls() as calls:
        answer = search(console, caseworker, "vrm", "lb19 ptr")
    assert answer["statusCode"] == 200
    assert f'href="/staff/permits/{REFERENCE}"' in answer["body"]
    assert "LB19 PTR" in answer["body"]
    assert "KX68" not in answer["body"]
    assert "Scan" not in {operation for operation, _ in calls}
    [entry] = trail(console, "permit-search")
    assert entry["action"] == "search-permits"
    assert entry["details"] == {"kind": "vrm", "found": [REFERENCE]}
    assert entry["staff"]
    assert entry["source_ip"]
    assert "LB19" not in str(entry)
    assert [e["action"] for e in trail(console, f"permit:{REFERENCE}")] == ["search-permits"]
    assert console.permits.events[-1] == {"action": "search", "by": "vrm", "value": "lb19 ptr"}
    by_reference = search(console, caseworker, "reference", REFERENCE.lower())
    by_id = search(console, caseworker, "reference", permit_id)
    by_uprn = search(console, caseworker, "uprn", "100000000001")
    for found in (by_reference, by_id, by_uprn):
        assert f'href="/staff/permits/{REFERENCE}"' in found["body"]


@pytest.mark.parametrize(
    ("form", "status", "message", "field"),
    [
        ({"by": "vrm", "vrm": ""}, 400, "Enter the registration mark", "vrm"),
        ({"by": "vrm", "vrm": "NOT A MARK!"}, 400, "Enter a registration mark in the correct format", "vrm"),
        ({"by": "uprn", "uprn": "12 High St"}, 400, "Enter the address&#39;s UPRN", "uprn"),
        ({"by": "reference", "reference": "ABC"}, 400, "Enter an application reference", "reference"),
        ({"by": "street", "street": "High Street"}, 400, "Choose what to search by", "vrm"),
        ({"by": "postcode", "postcode": "ME15"}, 400, "Enter a full postcode", "postcode"),
    ],
)
def test_a_bad_search_is_shown_in_the_error_summary_and_audits_nothing(console, caseworker, form, status, message,
                                                                       field):  # fmt: skip
    answer = console.post("/staff/permits", caseworker, {"csrf_token": console.csrf(caseworker), **form})
    assert answer["statusCode"] == status
    assert "There is a problem" in answer["body"]
    assert message in answer["body"]
    assert f'href="#{field}"' in answer["body"]
    assert trail(console, "permit-search") == []


def test_a_search_without_its_csrf_token_is_refused_by_the_guard(console, caseworker):
    answer = console.post("/staff/permits", caseworker, {"by": "vrm", "vrm": "LB19PTR"})
    assert answer["statusCode"] == 400
    assert console.permits.events == []


def test_the_permit_page_shows_the_permit_and_its_history_and_its_read_is_audited_first(console, caseworker):
    console.add_permit(REFERENCE)
    answer = console.get(f"/staff/permits/{REFERENCE}", caseworker)
    body = answer["body"]
    assert answer["statusCode"] == 200
    for text in (
        "LB19 PTR in zone B",
        "Hopfield",
        "resident",
        "2026-06-01 to 2027-05-31",
        "FORD",
        "£90.00",
        "A resident permit in Hopfield costs £90.00",
        "Applied",
        "Paid",
        "Issued",
        "Needs verification",
        'id="revoke-form"',
        'id="verify-form"',
        "look-ups of this vehicle are kept in their own audit",
    ):
        assert text in body, text  # fmt: skip
    [entry] = trail(console, f"permit:{REFERENCE}")
    assert entry["action"] == "read-permit"
    missing = console.get(f"/staff/permits/{new_reference()}", caseworker)
    assert missing["statusCode"] == 404
    assert console.get("/staff/permits/%3Cscript%3E", caseworker)["statusCode"] == 404


def test_finance_reads_a_permit_but_has_no_forms_and_may_not_revoke(console):
    console.add_permit(REFERENCE)
    finance = console.staff("fin", roles=("finance",))
    page = console.get(f"/staff/permits/{REFERENCE}", finance)
    assert page["statusCode"] == 200
    assert "revoke-form" not in page["body"]
    assert "verify-form" not in page["body"]
    refused = console.post(f"/staff/permits/{REFERENCE}/revoke", finance,
                           {"csrf_token": console.csrf(finance), "reason": "x"})  # fmt: skip
    assert refused["statusCode"] == 403


def test_revoking_with_a_reason_ends_the_permit_and_is_audited_before_it_is_asked(console, caseworker):
    permit_id = console.add_permit(REFERENCE)
    form = {"csrf_token": console.csrf(caseworker), "reason": "The vehicle was sold", "refund": "none"}
    answer = console.post(f"/staff/permits/{REFERENCE}/revoke", caseworker, form)
    assert answer["statusCode"] == 303
    assert answer["headers"]["location"] == f"/staff/permits/{REFERENCE}?done=revoked"
    item = permit_item(console, permit_id)
    assert item["status"] == "revoked"
    assert "outbox" in item
    assert "The vehicle was sold" not in item["outbox"]
    assert [e["action"] for e in trail(console, f"permit:{REFERENCE}")] == ["revoke-permit"]
    page = console.get(f"/staff/permits/{REFERENCE}", caseworker, done="revoked")
    assert "The permit is revoked" in page["body"]
    assert "The vehicle was sold" in page["body"]
    assert "revoke-form" not in page["body"]
    assert "by casey@example.org" in page["body"]  # the history names who revoked it
    again = console.post(f"/staff/permits/{REFERENCE}/revoke", caseworker, form)
    assert again["statusCode"] == 409
    assert "not active" in again["body"]
    assert [e["action"] for e in trail(console, f"permit:{REFERENCE}")][-2:] == ["revoke-permit",
                                                                               "revoke-permit-refused"]  # fmt: skip


@pytest.mark.parametrize(("reason", "message"), [("", "Enter the reason"), ("x" * 501, "500 characters or fewer")])
def test_a_revocation_without_a_good_reason_changes_nothing(console, caseworker, reason, message):
    permit_id = console.add_permit(REFERENCE)
    answer = console.post(f"/staff/permits/{REFERENCE}/revoke", caseworker,
                          {"csrf_token": console.csrf(caseworker), "reason": reason, "refund": "none"})  # fmt: skip
    assert answer["statusCode"] == 400
    assert "There is a problem" in answer["body"]
    assert message in answer["body"]
    assert 'href="#revoke-reason"' in answer["body"]
    assert permit_item(console, permit_id)["status"] == "active"
    assert "outbox" not in permit_item(console, permit_id)
    assert [e["action"] for e in trail(console, f"permit:{REFERENCE}")] == ["revoke-permit", "revoke-permit-refused"]


def test_revoking_with_the_unused_months_refunded_asks_payments_shows_the_refund_and_audits_the_choice(
    console, caseworker
):
    console.add_permit(REFERENCE)
    console.permits.refuse = "checking"  # payments does not make it at first
    form = {"csrf_token": console.csrf(caseworker), "reason": "Moved out of the zone", "refund": "unused-months"}
    answer = console.post(f"/staff/permits/{REFERENCE}/revoke", caseworker, form)
    assert answer["statusCode"] == 303
    [entry] = trail(console, f"permit:{REFERENCE}")
    assert (entry["action"], entry["detail"]) == ("revoke-permit", "revoked with a reason, the unused months refunded")
    assert "Moved out" not in str(entry)
    page = console.get(f"/staff/permits/{REFERENCE}", caseworker)
    assert 'id="refund"' in page["body"]
    assert "not made by payments yet (checking)" in page["body"]
    assert 'id="refund-again-form"' in page["body"]
    assert "revoke-form" not in page["body"]
    assert console.permits.refunds == []
    console.permits.refuse = ""
    again = console.post(f"/staff/permits/{REFERENCE}/revoke", caseworker,
                         {"csrf_token": console.csrf(caseworker), "refund": "unused-months"})  # fmt: skip
    assert again["statusCode"] == 303
    assert again["headers"]["location"] == f"/staff/permits/{REFERENCE}?done=refunded"
    [made] = console.permits.refunds
    assert made.reference == REFERENCE
    assert made.key == f"revoke:{REFERENCE}:{REFERENCE}"
    assert [e["action"] for e in trail(console, f"permit:{REFERENCE}")] == ["revoke-permit", "read-permit",
                                                                          "refund-revoked-permit"]  # fmt: skip
    page = console.get(f"/staff/permits/{REFERENCE}", caseworker)
    assert "submitted at GOV.UK Pay" in page["body"]
    assert f"£{made.amount // 100}.{made.amount % 100:02d}" in page["body"]
    assert 'id="refund-again-form"' not in page["body"]


def test_a_revocation_with_no_refund_chosen_is_refused_naming_the_choice(console, caseworker):
    permit_id = console.add_permit(REFERENCE)
    answer = console.post(f"/staff/permits/{REFERENCE}/revoke", caseworker,
                          {"csrf_token": console.csrf(caseworker), "reason": "Sold"})  # fmt: skip
    assert answer["statusCode"] == 400
    assert 'href="#revoke-refund"' in answer["body"]
    assert permit_item(console, permit_id)["status"] == "active"
    assert console.permits.refunds == []


def test_declared_details_are_confirmed_then_no_longer_asked_for(console, caseworker):
    console.add_permit(REFERENCE)
    form = {"csrf_token": console.csrf(caseworker), "outcome": "confirmed", "note": "Rang DVLA"}
    answer = console.post(f"/staff/permits/{REFERENCE}/verify", caseworker, form)
    assert answer["statusCode"] == 303
    page = console.get(f"/staff/permits/{REFERENCE}", caseworker)["body"]
    assert "verify-form" not in page
    assert "Vehicle details confirmed" in page
    assert "Rang DVLA" in page
    entries = trail(console, f"permit:{REFERENCE}")
    assert [e["action"] for e in entries] == ["verify-permit", "read-permit"]
    assert entries[0]["detail"] == "declared details confirmed"
    assert "Rang DVLA" not in str(entries)


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"outcome": "confirmed", "note": ""}, "verify-note"),
        ({"note": "x"}, "verify-outcome"),
        ({"outcome": "corrected", "note": "x", "make": "Ford", "colour": "Red", "fuel": "COAL"}, "verify-fuel"),
        ({"outcome": "corrected", "note": "x", "make": "Ford", "colour": "Red", "fuel": "DIESEL", "co2_g_km": "lots"},
         "verify-co2_g_km"),
    ],
)  # fmt: skip
def test_a_bad_verification_is_shown_at_its_field_and_changes_nothing(console, caseworker, form, field):
    console.add_permit(REFERENCE)
    answer = console.post(f"/staff/permits/{REFERENCE}/verify", caseworker,
                          {"csrf_token": console.csrf(caseworker), **form})  # fmt: skip
    assert answer["statusCode"] == 400
    assert f'href="#{field}"' in answer["body"]
    assert f'id="{field}"' in answer["body"]
    assert "Needs verification" in answer["body"]


def test_a_correction_replaces_the_vehicle_details(console, caseworker):
    console.add_permit(REFERENCE)
    form = {"csrf_token": console.csrf(caseworker), "outcome": "corrected", "note": "V5C seen", "make": "Ford",
            "colour": "Red", "fuel": "DIESEL", "co2_g_km": "140"}  # fmt: skip
    assert console.post(f"/staff/permits/{REFERENCE}/verify", caseworker, form)["statusCode"] == 303
    page = console.get(f"/staff/permits/{REFERENCE}", caseworker)["body"]
    assert "Red" in page
    assert "140" in page
    assert "Vehicle details corrected" in page
    # declared as petrol, corrected to diesel: the permit repriced, the difference an order the resident pays
    [(order, service_id, _, pence)] = console.permits.orders
    assert (service_id, pence > 0) == ("parking-permit-change", True)
    assert f"to pay by the resident (order {order})" in page


def test_without_the_permits_service_the_pages_say_so(console, caseworker):
    console.with_section(console.permit_pages, PermitPages(console.pages, console.pages.audit, None))
    assert "not connected" in console.get("/staff/permits", caseworker)["body"]
    assert console.get(f"/staff/permits/{REFERENCE}", caseworker)["statusCode"] == 503
    assert search(console, caseworker, "vrm", "LB19PTR")["statusCode"] == 503


def test_the_navigation_and_home_link_to_permits_for_those_who_may_see_them(console, caseworker):
    assert 'href="/staff/permits"' in console.get("/staff/home", caseworker)["body"]
    admin = console.staff("ad", roles=("admin",))
    assert 'href="/staff/permits"' not in console.get("/staff/home", admin)["body"]


def test_the_permit_page_shows_the_households_visitor_wallet_and_staff_change_it_with_a_reason(console, caseworker):
    console.add_permit(REFERENCE)
    page = console.get(f"/staff/permits/{REFERENCE}", caseworker)
    assert page["statusCode"] == 200
    assert 'id="visitor-wallet"' in page["body"]
    assert "visitor-balance-form" in page["body"]
    form = {"csrf_token": console.csrf(caseworker), "change": "2", "reason": "Hospital stays"}
    done = console.post(f"/staff/permits/{REFERENCE}/visitor-balance", caseworker, form)
    assert done["statusCode"] == 303, done["body"]
    assert done["headers"]["location"] == f"/staff/permits/{REFERENCE}?done=adjusted"
    assert [e["action"] for e in trail(console, f"permit:{REFERENCE}")] == [
        "read-permit",
        "adjust-visitor-balance",
    ]  # the wallet read under the page's entry
    again = console.get(f"/staff/permits/{REFERENCE}", caseworker, done="adjusted")["body"]
    assert "The visitor balance is changed" in again
    assert "Hospital stays" in again
    assert "(staff changes: 2)" in again


@pytest.mark.parametrize(("form", "field"), [({"change": "two", "reason": "x"}, "change"),
                                             ({"change": "2", "reason": ""}, "reason")])  # fmt: skip
def test_a_bad_balance_change_is_the_error_summary_and_nothing_changes(console, caseworker, form, field):
    console.add_permit(REFERENCE)
    answer = console.post(f"/staff/permits/{REFERENCE}/visitor-balance", caseworker,
                          {"csrf_token": console.csrf(caseworker), **form})  # fmt: skip
    assert answer["statusCode"] == 400
    assert "There is a problem" in answer["body"]
    assert f'id="adjust-visitor-balance-{field}-error"' in answer["body"]
    assert "(staff changes:" not in answer["body"]
    actions = [e["action"] for e in trail(console, f"permit:{REFERENCE}")]
    assert actions == ["adjust-visitor-balance", "adjust-visitor-balance-refused"]


def test_finance_sees_the_wallet_but_may_not_change_it(console):
    console.add_permit(REFERENCE)
    finance = console.staff("fin", roles=("finance",))
    assert "visitor-balance-form" not in console.get(f"/staff/permits/{REFERENCE}", finance)["body"]
    refused = console.post(f"/staff/permits/{REFERENCE}/visitor-balance", finance,
                           {"csrf_token": console.csrf(finance), "change": "2", "reason": "x"})  # fmt: skip
    assert refused["statusCode"] == 403
