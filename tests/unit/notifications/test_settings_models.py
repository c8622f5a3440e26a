"""Each notifications function reads its environment once into its own model: a missing or malformed variable
fails its first invocation with the variable's name; keys given directly and plain-http base URLs are refused
outside the local cloud."""

from __future__ import annotations

import pytest

from notifications import callback, handler, settings, subscriptions
from shared.settings import SettingsError
from tests.helpers import FakeContext, http_event

pytestmark = pytest.mark.unit

NAMES = (
    "NOTIFICATIONS_TABLE",
    "REQUESTS_TABLE",
    "SUBSCRIPTIONS_TABLE",
    "NOTIFICATIONS_QUEUE_URL",
    "NOTIFY_PROVIDER",
    "NOTIFY_BASE_URL",
    "NOTIFY_TEMPLATE_IDS",
    "NOTIFY_API_KEY",
    "NOTIFY_API_KEY_SECRET_ID",
    "NOTIFY_CALLBACK_TOKEN",
    "NOTIFY_CALLBACK_TOKEN_SECRET_ID",
    "LINK_SIGNING_KEY",
    "LINK_SIGNING_KEY_SECRET_ID",
    "PUBLIC_BASE_URL",
    "BOROUGH_LOCAL_CLOUD",
)
CONSUMER = {
    "NOTIFICATIONS_TABLE": "Notifications",
    "REQUESTS_TABLE": "Requests",
    "SUBSCRIPTIONS_TABLE": "Subscriptions",
    "PUBLIC_BASE_URL": "https://borough.example",
    "LINK_SIGNING_KEY_SECRET_ID": "borough/dev/link-signing-key",
    "NOTIFY_PROVIDER": "notify",
    "NOTIFY_API_KEY_SECRET_ID": "borough/dev/notify-api-key",
}


@pytest.fixture
def environment(monkeypatch):
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)

    def set_all(values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_all


def test_a_deployed_consumers_environment_loads(environment):
    environment(CONSUMER)
    loaded = settings.load_for(settings.ConsumerSettings)
    assert (loaded.notify_api_key_secret_id, loaded.public_base_url) == (
        "borough/dev/notify-api-key",
        "https://borough.example",
    )
    assert settings.settings() is loaded  # the shared modules read what the entry point loaded


@pytest.mark.parametrize("missing", ["NOTIFICATIONS_TABLE", "REQUESTS_TABLE", "SUBSCRIPTIONS_TABLE", "PUBLIC_BASE_URL"])
def test_the_consumer_fails_its_first_invocation_naming_a_missing_variable(environment, missing):
    environment({k: v for k, v in CONSUMER.items() if k != missing})
    with pytest.raises(SettingsError, match=f"{missing}: Field required"):
        handler.handler({"Records": []}, FakeContext())


def test_the_notify_provider_needs_its_keys_secret(environment):
    environment({k: v for k, v in CONSUMER.items() if k != "NOTIFY_API_KEY_SECRET_ID"})
    with pytest.raises(SettingsError, match="NOTIFY_API_KEY_SECRET_ID: required"):
        settings.load_for(settings.ConsumerSettings)


def test_malformed_template_ids_fail_with_the_variables_name(environment):
    environment(CONSUMER | {"NOTIFY_TEMPLATE_IDS": "{not json"})
    with pytest.raises(SettingsError, match="NOTIFY_TEMPLATE_IDS"):
        settings.load_for(settings.ConsumerSettings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("NOTIFY_API_KEY", "a-key-given-directly"), ("LINK_SIGNING_KEY", "k" * 40), ("NOTIFY_CALLBACK_TOKEN", "t" * 20)],
)
def test_a_secret_given_directly_is_refused_outside_the_local_cloud(environment, variable, value):
    environment(CONSUMER | {variable: value})
    with pytest.raises(SettingsError, match=f"{variable}: local-only, refused in a deployed environment"):
        settings.load_for(settings.ConsumerSettings)
    environment({"BOROUGH_LOCAL_CLOUD": "1"})
    assert getattr(settings.load_for(settings.ConsumerSettings), variable.lower()) == value


@pytest.mark.parametrize("variable", ["NOTIFY_BASE_URL", "PUBLIC_BASE_URL"])
def test_a_loopback_base_url_is_refused_outside_the_local_cloud(environment, variable):
    environment(CONSUMER | {variable: "http://127.0.0.1:8080"})
    with pytest.raises(SettingsError, match=f"{variable}: must be https:// outside the local cloud"):
        settings.load_for(settings.ConsumerSettings)
    environment({"BOROUGH_LOCAL_CLOUD": "1"})
    assert settings.load_for(settings.ConsumerSettings)


def test_the_receipts_function_needs_its_token(environment):
    environment({"NOTIFICATIONS_TABLE": "Notifications"})
    with pytest.raises(SettingsError, match="NOTIFY_CALLBACK_TOKEN_SECRET_ID: required"):
        callback.handler(http_event("POST", callback.RECEIPTS_PATH, body="{}"), FakeContext())


def test_the_subscriptions_functions_need_the_table_and_the_queue(environment):
    environment({"SUBSCRIPTIONS_TABLE": "Subscriptions", "LINK_SIGNING_KEY_SECRET_ID": "borough/dev/link"})
    with pytest.raises(SettingsError, match="NOTIFICATIONS_QUEUE_URL: Field required"):
        subscriptions.handler(http_event("POST", "/api/v1/reminders/subscriptions", body="{}"), FakeContext())
    with pytest.raises(SettingsError, match="NOTIFICATIONS_QUEUE_URL: Field required"):
        subscriptions.scheduled_handler({"time": "2026-03-02T17:00:00Z"}, FakeContext())


def test_settings_keep_keys_out_of_their_repr(environment):
    environment(CONSUMER | {"BOROUGH_LOCAL_CLOUD": "1", "NOTIFY_API_KEY": "a-key-given-directly"})
    assert "a-key-given-directly" not in repr(settings.load_for(settings.ConsumerSettings))
