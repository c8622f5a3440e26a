"""At submission the catalogue stores the postcode and email search keys (shared/search_keys.py): HMAC-SHA256 of the
normalised value under the search key read from Secrets Manager, only when the answer exists, never the value."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from catalogue import logic as catalogue_logic
from shared import forms
from shared.catalogue import load_catalogue
from tests.unit.catalogue.service_examples import ON, valid_body
from tests.unit.functions.conftest import SEARCH_KEY

pytestmark = pytest.mark.unit


def _key(text: str) -> str:
    return hmac.new(SEARCH_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def test_a_report_stores_the_keys_of_its_postcode_and_email(cloud):
    body = {
        "description": "Mattress dumped by the gate",
        "location": {"postcode": "me15 6jq"},
        "contact": {"email": " Resident@Example.ORG "},
    }
    catalogue_logic.submit_request("fly-tipping", body, correlation_id="c")
    [stored] = cloud.items("REQUESTS_TABLE")
    assert stored["postcode_key"] == _key("ME156JQ")
    assert stored["email_key"] == _key("resident@example.org")


def test_no_key_is_stored_for_an_answer_that_does_not_exist(cloud):
    body = {"description": "Mattress dumped by the gate", "location": {"latitude": 51.27, "longitude": 0.52}}
    catalogue_logic.submit_request("fly-tipping", body, correlation_id="c")
    [stored] = cloud.items("REQUESTS_TABLE")
    assert "postcode_key" not in stored
    assert "email_key" not in stored


def test_an_address_postcode_is_keyed_too(cloud, monkeypatch):
    monkeypatch.setattr(forms, "today", lambda now=None: ON)  # the examples' dates are judged against their today
    definition = load_catalogue()["missed-bin"]
    catalogue_logic.submit_request("missed-bin", valid_body(definition), correlation_id="c")
    [stored] = cloud.items("REQUESTS_TABLE")
    postcode = stored["answers"]["address"]["postcode"]
    assert stored["postcode_key"] == _key(postcode.replace(" ", "").upper())


def test_the_key_is_read_from_its_secret_once_per_container(cloud, monkeypatch):
    from botocore.client import BaseClient

    original = BaseClient._make_api_call
    reads: list[str] = []

    def call(self, operation, params):
        if operation == "GetSecretValue":
            reads.append(params["SecretId"])
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    body = {"description": "Bags", "location": {"postcode": "ME15 6JQ"}, "contact": {"email": "a@example.org"}}
    catalogue_logic.submit_request("fly-tipping", body, correlation_id="c")
    catalogue_logic.submit_request("fly-tipping", body, correlation_id="d")
    assert reads == ["test/search-key"]
    assert "ME15" not in json.dumps(reads)
