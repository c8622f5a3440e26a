"""The outside world's stand-ins are mounted on the local cloud's port, outside the moto lock."""

from __future__ import annotations

import urllib.request

import pytest

from local import standins
from local.sandbox.notify import SANDBOX_API_KEY

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


def test_only_functions_that_name_a_notify_endpoint_are_pointed_at_the_stand_in():
    assert standins.environment_overrides({"REQUESTS_TABLE": "t"}, "http://127.0.0.1:1") == {
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"
    }
    overrides = standins.environment_overrides(
        {"NOTIFY_BASE_URL": "https://api.notifications.service.gov.uk", "NOTIFY_API_KEY_SECRET_ARN": "arn:secret"},
        "http://127.0.0.1:1",
    )
    assert overrides == {
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1",
        "NOTIFY_BASE_URL": "http://127.0.0.1:1",
        "NOTIFY_API_KEY": SANDBOX_API_KEY,
        "NOTIFY_API_KEY_SECRET_ARN": "",
    }
