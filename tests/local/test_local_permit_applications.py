"""Applying for a parking permit end to end in the local cloud: the address found through the OS Places stand-in
(as the web's lookup finds it), the deployed PermitApplications function invoked as the web will invoke it, the
vehicle from the DVLA stand-in through the real adapter and the person-created key secret, each refusal writing
nothing, and an application stored pending payment in the Permits table. Then paid in the local Pay with
4242424242424242 (the order payments holds, docs/decisions/0010): order-paid issues the permit once, and the
enforcement look-up through the front door answers valid for that mark."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from local import pay_standin, standins
from local.sandbox.dvla import LOCAL_API_KEY
from tests.local.payment_support import function_named_by_handler, invoke
from tests.local.test_local_notifications_journey import Browser
from tests.local.test_local_payments import CARD, WEBHOOK_FIRST_ATTEMPT_S, card_page
from tests.local.test_local_permits import _check, _device, _token

pytestmark = pytest.mark.local

HANDLER = "permits.application_handler.handler"
PERMITS = "Borough-dev-Permits/Permits"


def found_address(local_cloud: Any, postcode: str) -> dict[str, str]:
    """The first address at `postcode` as the OS Places stand-in gives it (UPRN, postcode, street)."""
    secret = local_cloud.function_environment(WEB_FUNCTION)["OS_PLACES_API_KEY_SECRET_ID"]
    key = local_cloud.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"]
    answer = local_cloud.handle(
        "GET", f"/sandbox/os-places/search/places/v1/postcode?postcode={postcode.replace(' ', '%20')}", [("key", key)]
    )
    assert answer.status == 200
    dpa = answer.json()["results"][0]["DPA"]
    return {"uprn": dpa["UPRN"], "postcode": dpa["POSTCODE"], "street": dpa.get("THOROUGHFARE_NAME", "")}


WEB_FUNCTION = "Borough-dev-Web/Web/Function"


EMAIL = "resident@example.org"


def apply(local_cloud: Any, application: dict[str, Any]) -> dict[str, Any]:
    """Applies as the web will, with the resident's email address unless the test gives its own `contact`."""
    function = function_named_by_handler(local_cloud, HANDLER)
    application = {"contact": {"email": EMAIL}, **application}
    return invoke(local_cloud, function, {"action": "apply", "application": application, "correlation_id": "t"})


def stored(local_cloud: Any, reference: str) -> dict[str, Any] | None:
    table = local_cloud.physical_id(PERMITS)
    key = {"pk": {"S": f"APPLICATION#{reference}"}, "sk": {"S": "APPLICATION"}}
    item: dict[str, Any] | None = local_cloud.client("dynamodb").get_item(TableName=table, Key=key).get("Item")
    return item


def count_applications(local_cloud: Any) -> int:
    table = local_cloud.physical_id(PERMITS)
    items = local_cloud.client("dynamodb").scan(TableName=table)["Items"]  # the test counts; the code never scans
    return sum(1 for i in items if i["pk"]["S"].startswith("APPLICATION#"))


def test_the_function_is_pointed_at_the_dvla_stand_in_with_its_key(local_cloud):
    function = "Borough-dev-Permits/PermitApplications/Function"
    environment = local_cloud.function_environment(function)
    assert environment["DVLA_BASE_URL"] == local_cloud.url + standins.DVLA_PREFIX
    name = environment["DVLA_API_KEY_SECRET_ID"]
    assert name == "borough/dev/dvla-api-key"
    assert local_cloud.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"] == LOCAL_API_KEY


def test_apply_with_a_dvla_vehicle_is_priced_and_stored_pending_payment(local_cloud):
    address = found_address(local_cloud, "ME14 1HQ")  # Hopfield: zone B by postcode
    answer = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": "lb19 ptr"})
    assert answer["status"] == 201, answer
    body = answer["body"]
    assert (body["status"], body["vrm"], body["zone"], body["amount_pence"]) == (
        "pending-payment",
        "LB19PTR",
        "B",
        8000,
    )
    assert body["reasons"][-1] == "Total: £80.00."
    assert not body["needs_verification"]
    item = stored(local_cloud, body["reference"])
    assert item is not None
    assert item["status"]["S"] == "pending-payment"
    assert item["vehicle"]["M"]["make"]["S"] == "FORD"
    function = function_named_by_handler(local_cloud, HANDLER)
    got = invoke(local_cloud, function, {"action": "get", "reference": body["reference"]})
    assert got["status"] == 200
    assert got["body"]["reference"] == body["reference"]
    assert EMAIL not in str(got)  # the resident's own answer does not give the email back
    assert item["contact"]["M"] == {"email": {"S": EMAIL}}
    contact = invoke(local_cloud, function, {"action": "contact", "reference": body["reference"]})
    assert contact["status"] == 200
    assert (contact["body"]["email"], contact["body"]["vrm"], contact["body"]["status"]) == (
        EMAIL,
        "LB19PTR",
        "pending-payment",
    )
    unknown = invoke(local_cloud, function, {"action": "contact", "reference": "7KXM-3RAH"})
    assert unknown["status"] == 404


def test_a_bad_email_is_400_naming_the_field_and_writes_nothing(local_cloud):
    before = count_applications(local_cloud)
    answer = apply(
        local_cloud,
        {"address": found_address(local_cloud, "ME14 1HQ"), "kind": "resident", "months": 12, "vrm": "LB19PTR",
         "contact": {"email": "resident@"}},
    )  # fmt: skip
    assert answer["status"] == 400, answer
    assert answer["body"]["detail"].startswith("contact.email")
    assert count_applications(local_cloud) == before


@pytest.mark.parametrize(
    ("postcode", "vrm", "refusal"),
    [
        ("ME14 1HQ", "MX20EXP", "VehicleMarkedForExport"),
        ("ME14 1HQ", "AB12CDE", "VehicleNotKnown"),  # valid, but the stand-in has no such vehicle: 404
        ("ME17 1AB", "LB19PTR", "AddressOutsideZones"),
    ],
)
def test_refusals_through_the_deployed_function_write_nothing(local_cloud, postcode, vrm, refusal):
    before = count_applications(local_cloud)
    answer = apply(
        local_cloud, {"address": found_address(local_cloud, postcode), "kind": "resident", "months": 12, "vrm": vrm}
    )
    assert answer["status"] == 422, answer
    assert answer["body"]["refusal"] == refusal
    assert answer["body"]["detail"]
    assert count_applications(local_cloud) == before


def test_an_invalid_mark_is_400_and_writes_nothing(local_cloud):
    before = count_applications(local_cloud)
    answer = apply(
        local_cloud,
        {"address": found_address(local_cloud, "ME14 1HQ"), "kind": "resident", "months": 12, "vrm": "AB1234567"},
    )
    assert answer["status"] == 400
    assert "registration" in answer["body"]["detail"]
    assert count_applications(local_cloud) == before


def test_dvla_down_asks_for_a_declaration_then_stores_it_for_staff_to_verify(local_cloud):
    address = found_address(local_cloud, "ME14 1HQ")
    before = count_applications(local_cloud)
    down = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": "SV19DWN"})  # 503s
    assert down["status"] == 422, down
    assert down["body"]["declare"] is True
    assert count_applications(local_cloud) == before
    declared = {"make": "Ford", "colour": "Blue", "fuel": "PETROL", "co2_g_km": 128}
    answer = apply(
        local_cloud,
        {"address": address, "kind": "resident", "months": 12, "vrm": "SV19DWN", "declared_vehicle": declared},
    )
    assert answer["status"] == 201, answer
    assert answer["body"]["needs_verification"] is True
    item = stored(local_cloud, answer["body"]["reference"])
    assert item is not None
    assert item["needs_verification"]["BOOL"] is True
    assert item["vehicle_source"]["S"] == "declared"


def test_apply_pay_in_the_local_pay_and_the_look_up_says_valid_once_issued(local_cloud):
    _, client_id, secret = _device(local_cloud)
    token = _token(local_cloud, client_id, secret).json()["access_token"]
    assert _check(local_cloud, token, "KX68DSL", "B", post=True).json()["answer"] == "no-permit"
    address = found_address(local_cloud, "ME14 1XX")  # Hopfield, another household
    applied = apply(local_cloud, {"address": address, "kind": "resident", "months": 12, "vrm": "KX68 DSL"})
    assert applied["status"] == 201, applied
    reference, amount = applied["body"]["reference"], applied["body"]["amount_pence"]
    assert amount == 10000  # £80 and the £20 diesel surcharge

    payments = function_named_by_handler(local_cloud, "payments.handler.handler")
    started = invoke(local_cloud, payments, {"action": "start", "reference": reference, "correlation_id": "t"})
    assert started["status"] == 200, started
    assert (started["body"]["amount_pence"], started["body"]["service_id"]) == (amount, "parking-permit")
    next_url = started["body"]["next_url"]
    assert next_url.startswith(pay_standin.base_url(local_cloud.url) + "/secure/")
    browser = Browser(local_cloud)
    card = card_page(browser, next_url)
    confirm = browser.request("POST", card, {"card_number": "4242424242424242", **CARD})
    back = browser.request("POST", urlsplit(confirm.header("location")).path, {})
    token_in_url = urlsplit(back.header("location")).path.rsplit("/", 1)[1]  # Pay's return URL: our opaque token
    returned = invoke(local_cloud, payments, {"action": "return", "token": token_in_url, "correlation_id": "t"})
    assert returned["body"]["status"] == "success", returned
    time.sleep(WEBHOOK_FIRST_ATTEMPT_S + 0.5)  # the local Pay's webhook lands too: applied once, nothing more
    local_cloud.wait_for_idle(timeout_s=30)  # order-paid -> the permits queue -> the issuer

    item = stored(local_cloud, reference)
    assert item is not None
    assert item["status"]["S"] == "issued", item
    checked = _check(local_cloud, token, "KX68DSL", "B", post=True)
    assert checked.status == 200, checked.body
    assert (checked.json()["answer"], checked.json()["permit_id"]) == ("valid", item["permit_id"]["S"])
    permits = [i for i in scan_permits(local_cloud) if i.get("vrm", {}).get("S") == "KX68DSL"]
    assert len(permits) == 1  # the return, the webhook and the reconciler all saw success: one permit
    again = invoke(local_cloud, payments, {"action": "start", "reference": reference, "correlation_id": "t"})
    assert again["body"]["status"] == "paid"


def scan_permits(local_cloud: Any) -> list[dict[str, Any]]:
    table = local_cloud.physical_id(PERMITS)
    items = local_cloud.client("dynamodb").scan(TableName=table)["Items"]  # the test reads; the code never scans
    return [i for i in items if i["sk"]["S"] == "PERMIT"]
