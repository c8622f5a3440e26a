"""Address lookup in the local cloud: the web function's real OS Places client, pointed at the stand-in, with the
placeholder key the local cloud puts in the person-created secret."""

from __future__ import annotations

import re

import pytest

from local import standins
from tests.local.test_local_notifications_journey import Browser

pytestmark = [pytest.mark.local]

WEB_FUNCTION = "Borough-dev-Web/Web/Function"


def test_the_web_function_is_pointed_at_the_stand_in_with_a_placeholder_key(local_cloud):
    environment = local_cloud.function_environment(WEB_FUNCTION)
    assert environment["OS_PLACES_BASE_URL"] == local_cloud.url + standins.OS_PLACES_PREFIX
    name = environment["OS_PLACES_API_KEY_SECRET_ID"]
    assert name == "borough/dev/os-places-api-key"
    value = local_cloud.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    assert value.startswith("local-os-places-")
    assert local_cloud.local_secrets.masked()[name] == f"…{value[-4:]}"  # never printed in full
    found = local_cloud.handle(
        "GET", "/sandbox/os-places/search/places/v1/postcode?postcode=ME14%201HQ&dataset=DPA", [("key", value)]
    )
    assert found.status == 200
    assert found.json()["header"]["totalresults"] == 5
    assert local_cloud.handle("GET", "/sandbox/os-places/search/places/v1/postcode?postcode=ME14%201HQ").status == 401


def test_find_and_choose_an_address_through_the_real_client(local_cloud):
    browser = Browser(local_cloud)
    first = browser.request("GET", "/services/missed-bin/begin").header("location")
    assert first == "/services/missed-bin/address"
    assert 'name="address.find-postcode"' in browser.request("GET", first).body.decode()
    found = browser.request(
        "POST", first, {"address.mode": "find", "address.find-postcode": "me14 1hq", "action": "find-address"}
    )
    assert found.status == 200, found.body[:500]
    page = found.body.decode()
    assert "5 addresses found for <strong>ME14 1HQ</strong>" in page
    assert "St. Mary&#39;s Cottage, Hopfield Lane, Maidstone" in page
    uprn = re.search(r'<option value="(\d+)">12-14 Hopfield Lane, Maidstone</option>', page).group(1)
    chosen = browser.request("POST", first, {"address.mode": "select", "address.uprn": uprn})
    assert chosen.status == 303, chosen.body[:500]
    table = local_cloud.physical_id("Borough-dev-Web/Data/Drafts")
    item = local_cloud.client("dynamodb").get_item(
        TableName=table, Key={"draft_id": {"S": browser.cookies["borough_draft"]}}
    )
    assert f'"uprn":"{uprn}"' in item["Item"]["answers"]["S"]


def test_when_the_service_is_down_the_resident_types_the_address(local_cloud):
    browser = Browser(local_cloud)
    first = browser.request("GET", "/services/garden-waste/begin").header("location")
    browser.request("GET", first)
    down = browser.request(
        "POST", first, {"address.mode": "find", "address.find-postcode": "ME15 9ZZ", "action": "find-address"}
    )
    assert down.status == 200
    page = down.body.decode()
    assert "We could not look up addresses just now. Enter the address manually." in page
    assert 'name="address.line1"' in page
