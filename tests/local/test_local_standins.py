"""The outside world's stand-ins are mounted on the local cloud's port, outside the moto lock."""

from __future__ import annotations

import urllib.request

import pytest

from local import standins
from local.sandbox.notify import SANDBOX_API_KEY, SANDBOX_SERVICE_ID, default_sandbox

pytestmark = pytest.mark.local


def test_notify_outbox_is_served_on_the_local_port(local_cloud):
    response = local_cloud.handle("GET", "/sandbox/outbox.json")
    assert response.status == 200
    assert "messages" in response.json()
    with urllib.request.urlopen(f"{local_cloud.url}/sandbox/outbox", timeout=10) as page:  # noqa: S310 - loopback
        assert page.status == 200
        assert page.headers["content-type"].startswith("text/html")


def test_notify_api_answers_as_notify_does_without_a_token(local_cloud):
    response = local_cloud.handle("POST", "/v2/notifications/email", json_body={})
    assert response.status == 401
    assert response.json()["errors"][0]["error"] == "AuthError"


def test_only_functions_that_name_a_notify_endpoint_or_links_are_pointed_at_the_local_address(monkeypatch):
    monkeypatch.setattr(standins._Notify, "running", None)  # no stand-in port of its own: the local address
    assert standins.environment_overrides({"REQUESTS_TABLE": "t"}, "http://127.0.0.1:1") == {
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"
    }
    overrides = standins.environment_overrides(
        {
            "NOTIFY_BASE_URL": "https://api.notifications.service.gov.uk",
            "NOTIFY_API_KEY_SECRET_ID": "borough/dev/notify-api-key",
            "PUBLIC_BASE_URL": "https://d111111abcdef8.cloudfront.net",
        },
        "http://127.0.0.1:1",
    )
    # The secret is read by name, as deployed: the local Secrets Manager holds this run's value.
    assert overrides == {
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1",
        "NOTIFY_BASE_URL": "http://127.0.0.1:1",
        "PUBLIC_BASE_URL": "http://127.0.0.1:1",
    }


def test_person_created_secrets_get_values_for_this_run_that_the_stand_in_accepts(local_cloud):
    sm = local_cloud.client("secretsmanager")
    key = sm.get_secret_value(SecretId="borough/dev/notify-api-key")["SecretString"]
    token = sm.get_secret_value(SecretId="borough/dev/notify-callback-token")["SecretString"]
    assert key != SANDBOX_API_KEY  # generated for this run, not a constant
    sandbox = default_sandbox()
    assert key.rsplit("-", 5)[0] == f"borough_local-{SANDBOX_SERVICE_ID}"
    assert "-".join(key.rsplit("-", 5)[1:]) in sandbox.services[SANDBOX_SERVICE_ID]
    assert sandbox.callback_token == token
    assert sandbox.callback_url == f"{local_cloud.url}/api/v1/notifications/receipts"
    shown = local_cloud.local_secrets.masked()
    assert set(shown) == {
        "borough/dev/notify-api-key",
        "borough/dev/notify-callback-token",
        "borough/dev/os-places-api-key",  # a placeholder: the OS Places stand-in accepts any key
        "borough/dev/pay-api-key",  # a key of the local Pay (printed in full on its own line, as a test key)
        "borough/dev/pay-webhook-secret",
        "borough/dev/dvla-api-key",  # a key the DVLA stand-in accepts
    }
    assert all(len(value) <= 5 for value in shown.values())  # never printed in full
    environment = local_cloud.function_environment(
        local_cloud.physical_id("Borough-dev-Notifications/Consumer/Function")
    )
    assert environment["NOTIFY_API_KEY_SECRET_ID"] == "borough/dev/notify-api-key"
    assert "NOTIFY_API_KEY" not in environment
    assert environment["PUBLIC_BASE_URL"] == local_cloud.url
    # Notify is reached on the stand-in's own loopback port (moto takes `requests` calls to the local address).
    assert environment["NOTIFY_BASE_URL"] == standins._Notify.running.url != local_cloud.url
