"""Managing a permit from its email's signed link: the permit, changing the vehicle (applied with a refund, a
difference to pay through payments, a refusal), cancelling (the rule, then the refund), CSRF bound to the link, and
a bad link a 404 page. On fakes of the permits and payments functions (the link itself: tests/unit/permits)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from web.api import ApiResult

from tests.unit.web.test_web_permit_pages import FakePermits, PermitPay
from tests.unit.web.web_support import Client, harness, location

pytestmark = pytest.mark.unit

TOKEN = "PRMT0001.1900000000.c2lnbmVkLWJ5LXRoZS1wZXJtaXRzLWZ1bmN0aW9u"
PERMIT = {"reference": "PRMT-0001", "status": "issued", "vrm": "LB19PTR", "zone": "B", "kind": "resident",
          "valid_from": "2026-12-03", "valid_to": "2027-12-02", "amount": "£80.00"}  # fmt: skip


class ManagedPermits(FakePermits):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[dict[str, Any]] = []
        self.permit = dict(PERMIT)
        applied = {"status": "applied", "vrm": "EV71ELC", "old_vrm": "LB19PTR", "to_refund_pence": 1200,
                   "reasons": ["9 of its 12 months are left."]}  # fmt: skip
        self.change_answer = ApiResult(200, applied)
        self.renewal_answer = ApiResult(409, {"reason": "too-early", "renewable_from": "2027-09-03"})
        self.dvla_down = False

    def manage(self, token: str, *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "manage", "token": token})
        return ApiResult(200, self.permit) if token == TOKEN else ApiResult(404, {"reason": "invalid"})

    def change_vehicle(
        self, reference: str, vrm: str, *, correlation_id: str, declared_vehicle: dict[str, Any] | None = None
    ) -> ApiResult:
        asked: dict[str, Any] = {"action": "change-vehicle", "reference": reference, "vrm": vrm}
        if declared_vehicle is not None:
            asked["declared_vehicle"] = declared_vehicle
        self.asked.append(asked)
        if self.dvla_down and declared_vehicle is None:  # as the permits function answers while DVLA is down
            return ApiResult(422, {"refusal": "DeclarationNeeded", "declare": True, "detail": "Declare it."})
        return self.change_answer

    def renewal(self, reference: str, *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "renewal", "reference": reference})
        return self.renewal_answer

    def cancel(self, reference: str, *, correlation_id: str) -> ApiResult:
        self.asked.append({"action": "cancel", "reference": reference})
        return ApiResult(200, {"status": "cancelled", "ended_on": "2027-01-10", "refund_pence": 5000,
                               "reasons": ["10 whole months are left.", "Less the admin fee of £10.00."],
                               "renewal_note": self.renewal_note})  # fmt: skip

    renewal_note = ""


@pytest.fixture
def site(catalogue):
    h = harness(catalogue)
    permits = ManagedPermits()
    pay = PermitPay(permits)
    h.web.site.ports = dataclasses.replace(h.web.site.ports, permits=permits, payments=pay)
    return permits, pay, Client(h.web)


BASE = f"/permits/manage/{TOKEN}"


def _changes(permits: ManagedPermits) -> list[dict[str, Any]]:
    return [a for a in permits.asked if a["action"] not in ("manage", "renewal")]


def test_the_link_shows_the_permit_with_change_and_cancel(site):
    permits, _, client = site
    page = client.get(BASE)
    assert page.status == 200
    assert "LB19PTR" in page.body
    assert "3 December 2026 to 2 December 2027" in page.body
    assert "Active" in page.body
    assert f'href="{BASE}/vehicle"' in page.body
    assert f'href="{BASE}/cancel"' in page.body
    assert f'href="{BASE}/renew"' not in page.body  # too early to renew: no "Renew"
    assert permits.asked == [{"action": "manage", "token": TOKEN}, {"action": "renewal", "reference": "PRMT-0001"}]


@pytest.mark.parametrize("token", ["PRMT0001.1900000000.forged", "not a token", "x" * 201])
def test_a_bad_or_expired_link_is_a_404_page_that_asks_nothing_else(site, token):
    permits, _, client = site
    page = client.get(f"/permits/manage/{token}")
    assert page.status == 404
    assert "This link does not work" in page.body
    assert _changes(permits) == []


def test_an_ended_permit_shows_no_change_or_cancel(site):
    permits, _, client = site
    permits.permit["status"] = "cancelled"
    page = client.get(BASE)
    assert "Cancelled" in page.body
    assert "/vehicle" not in page.body
    assert location(client.get(f"{BASE}/cancel")) == BASE


def test_changing_to_a_cheaper_vehicle_is_applied_and_the_refund_shown(site):
    permits, _, client = site
    client.get(f"{BASE}/vehicle")
    page = client.post(f"{BASE}/vehicle", {"vrm": "ev71 elc"})
    assert page.status == 200
    assert "The vehicle on your permit has been changed" in page.body
    assert "£12.00" in page.body
    assert _changes(permits) == [{"action": "change-vehicle", "reference": "PRMT-0001", "vrm": "EV71ELC"}]


def test_a_malformed_mark_is_an_error_summary_and_asks_no_change(site):
    permits, _, client = site
    client.get(f"{BASE}/vehicle")
    page = client.post(f"{BASE}/vehicle", {"vrm": "QQ!"})
    assert page.status == 400
    assert "govuk-error-summary" in page.body
    assert "not a UK registration number" in page.body
    assert _changes(permits) == []


def test_a_refusal_is_its_own_page(site):
    permits, _, client = site
    permits.change_answer = ApiResult(422, {"refusal": "VrmAlreadyPermitted", "detail": "KX68DSL has a permit."})
    client.get(f"{BASE}/vehicle")
    page = client.post(f"{BASE}/vehicle", {"vrm": "KX68DSL"})
    assert "This vehicle already has a permit" in page.body
    assert "KX68DSL has a permit." in page.body
    assert "Your permit has not been changed." in page.body


def test_a_dearer_vehicle_shows_the_difference_and_pays_it_through_payments(site):
    permits, pay, client = site
    permits.change_answer = ApiResult(202, {"status": "pending-payment", "change_reference": "CHNG-0001",
                                            "vrm": "KX68DSL", "to_pay_pence": 1500, "reasons": []})  # fmt: skip
    client.get(f"{BASE}/vehicle")
    page = client.post(f"{BASE}/vehicle", {"vrm": "KX68DSL"})
    assert "Pay £15.00" in page.body
    signature = re.search(r'name="change_signature" value="([^"]+)"', page.body).group(1)
    other = client.post(f"{BASE}/pay", {"change_reference": "PRMT-0002", "change_signature": signature})
    assert other.status == 404  # only the change this link's page offered
    assert pay.attempts == []
    paying = client.post(f"{BASE}/pay", {"change_reference": "CHNG-0001", "change_signature": signature})
    assert paying.status in (302, 303)
    assert [a["reference"] for a in pay.attempts] == ["CHNG-0001"]
    token = pay.attempts[0]["token"]
    assert "Your payment was not taken" in client.get(f"/services/parking-permit-change/payment/{token}").body
    pay.attempts[0].update(status="success", finished=True)  # Pay took it: the issuer applies the change
    back = client.get(f"/services/parking-permit-change/payment/{token}")
    assert "Payment received" in back.body
    assert "we will email you when it is done" in back.body
    assert client.get("/services/parking-permit-change/payment/unknown").status == 404


DECLARED = {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2": "95", "engine": ""}


def test_dvla_down_offers_the_declaration_form_and_the_change_is_asked_with_the_declared_details(site):
    permits, _, client = site
    permits.dvla_down = True
    client.get(f"{BASE}/vehicle")
    form = client.post(f"{BASE}/vehicle", {"vrm": "pt18 sme"})
    assert form.status == 200
    assert "Tell us about the new vehicle" in form.body
    assert "We cannot check the new vehicle, PT18 SME, with DVLA just now" in form.body
    assert f'action="{BASE}/vehicle/declare"' in form.body
    assert 'name="make"' in form.body
    assert 'name="fuel"' in form.body
    assert _changes(permits) == [{"action": "change-vehicle", "reference": "PRMT-0001", "vrm": "PT18SME"}]
    fields = dict(re.findall(r'name="(vrm|vrm_display|vrm_signature)" value="([^"]*)"', form.body))
    missing = client.post(f"{BASE}/vehicle/declare", {**fields, **DECLARED, "make": "", "fuel": ""})
    assert missing.status == 400
    assert "govuk-error-summary" in missing.body
    assert "Enter the vehicle&#39;s make" in missing.body
    assert "Select the vehicle&#39;s fuel" in missing.body
    assert 'value="Red"' in missing.body  # what was typed is kept
    assert len(_changes(permits)) == 1  # nothing more asked
    done = client.post(f"{BASE}/vehicle/declare", {**fields, **DECLARED})
    assert done.status == 200
    assert "The vehicle on your permit has been changed" in done.body
    assert "it is priced from the details you gave us" in done.body
    assert _changes(permits)[-1] == {
        "action": "change-vehicle", "reference": "PRMT-0001", "vrm": "PT18SME",
        "declared_vehicle": {"make": "Ford", "colour": "Red", "fuel": "PETROL", "co2_g_km": 95},
    }  # fmt: skip


def test_a_declaration_for_a_mark_the_page_did_not_offer_is_refused_and_asks_nothing(site):
    permits, _, client = site
    permits.dvla_down = True
    client.get(f"{BASE}/vehicle")
    form = client.post(f"{BASE}/vehicle", {"vrm": "PT18SME"})
    fields = dict(re.findall(r'name="(vrm|vrm_display|vrm_signature)" value="([^"]*)"', form.body))
    page = client.post(f"{BASE}/vehicle/declare", {**fields, **DECLARED, "vrm": "KX68DSL"})
    assert page.status == 404
    assert len(_changes(permits)) == 1


def test_a_correction_to_pay_is_shown_on_the_permit_and_paid_through_payments(site):
    permits, pay, client = site
    reasons = ["The parking team checked the vehicle's details with DVLA."]
    permits.permit["correction_due"] = {"change_reference": "CORR-0001", "to_pay_pence": 1200, "reasons": reasons}
    page = client.get(BASE)
    assert 'id="correction"' in page.body
    assert "You need to pay £12.00" in page.body
    assert "The parking team checked the vehicle&#39;s details with DVLA." in page.body
    signature = re.search(r'name="change_signature" value="([^"]+)"', page.body).group(1)
    paying = client.post(f"{BASE}/pay", {"change_reference": "CORR-0001", "change_signature": signature})
    assert paying.status in (302, 303)
    assert [a["reference"] for a in pay.attempts] == ["CORR-0001"]


def test_no_correction_to_pay_shows_no_pay_button(site):
    _, _, client = site
    page = client.get(BASE)
    assert 'id="correction"' not in page.body
    assert "change_signature" not in page.body


def test_cancelling_states_the_rule_then_shows_the_refund(site):
    permits, _, client = site
    confirm = client.get(f"{BASE}/cancel")
    assert "We will refund the whole months left on the permit, less the zone's admin fee" in confirm.body
    assert _changes(permits) == []
    done = client.post(f"{BASE}/cancel", {})
    assert "Your permit has been cancelled" in done.body
    assert "£50.00" in done.body
    assert "Less the admin fee of £10.00." in done.body
    assert _changes(permits) == [{"action": "cancel", "reference": "PRMT-0001"}]


def test_the_pages_say_what_happens_to_the_permits_renewal_and_nothing_when_there_is_none(site):
    permits, _, client = site
    client.get(f"{BASE}/cancel")
    assert 'id="renewal-note"' not in client.post(f"{BASE}/cancel", {}).body
    permits.renewal_note = "Your renewal of this permit is not cancelled: it starts on 3 December 2027."
    client.get(f"{BASE}/cancel")
    assert permits.renewal_note in client.post(f"{BASE}/cancel", {}).body
    note = "Your renewal from 3 December 2027 is for EV71ELC too."
    permits.change_answer = ApiResult(200, {**permits.change_answer.body, "renewal_note": note})
    client.get(f"{BASE}/vehicle")
    assert note in client.post(f"{BASE}/vehicle", {"vrm": "ev71 elc"}).body


def test_a_post_without_the_links_csrf_token_changes_nothing(site):
    permits, _, client = site
    client.get(f"{BASE}/cancel")
    assert client.post(f"{BASE}/cancel", {}, csrf=False).status == 400
    assert client.post(f"{BASE}/cancel", {"csrf_token": "forged.token"}).status == 403
    assert _changes(permits) == []


def test_a_csrf_token_from_another_link_is_refused(site):
    permits, _, client = site
    client.get("/permits/begin")  # a draft's token under /permits
    other = client._cookies_for("/permits").get("borough_csrf")
    client.get("/permits/address")
    page = client.post(f"{BASE}/cancel", {"csrf_token": other} if other else {})
    assert page.status in (400, 403)
    assert _changes(permits) == []


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/permits/manage/{TOKEN}/cancel", "/permits/manage/[link]/cancel"),
        ("/services/foi-request/return/abc.def", "/services/foi-request/return/[link]"),
        ("/services/parking-permit-change/payment/tok", "/services/parking-permit-change/payment/[link]"),
        ("/permits/check-answers", "/permits/check-answers"),
    ],
)
def test_a_failed_pages_logged_path_never_holds_a_link(path, logged):
    from web.handler import loggable_path

    assert loggable_path(path) == logged
