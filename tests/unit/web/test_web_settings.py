"""The web functions' settings (web/settings.py): read once from the environment, every variable checked, the
name of a missing or malformed one in the error, and the signing key given directly only in the local cloud."""

from __future__ import annotations

import pytest

from shared.settings import SettingsError
from web import handler as web_handler
from web import settings as web_settings

pytestmark = pytest.mark.unit

PAGES = {
    "DRAFTS_TABLE": "drafts",
    "EVENTS_TOPIC_ARN": "arn:aws:sns:eu-west-2:123456789012:events",
    "CATALOGUE_FUNCTION": "catalogue",
    "CASES_FUNCTION": "cases",
    "SIGNING_SECRET_ID": "arn:aws:secretsmanager:eu-west-2:123456789012:secret:signing-AbCdEf",
}


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A deployed web function's environment: no local cloud, no key given directly."""
    for name in ("BOROUGH_LOCAL_CLOUD", "SIGNING_KEY", "QUARANTINE_BUCKET", "CLEAN_BUCKET", "SUBSCRIPTIONS_FUNCTION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in PAGES.items():
        monkeypatch.setenv(name, value)
    web_settings.reset()
    return monkeypatch


def test_the_pages_settings_read_each_variable(deployed):
    deployed.setenv("QUARANTINE_BUCKET", "quarantine")
    deployed.setenv("CLEAN_BUCKET", "clean")
    deployed.setenv("BOROUGH_COUNCIL_NAME", "Maidstone Borough Council")
    configured = web_settings.settings()
    assert configured.drafts_table == "drafts"
    assert configured.signing_secret_id == PAGES["SIGNING_SECRET_ID"]
    assert (configured.quarantine_bucket, configured.clean_bucket) == ("quarantine", "clean")
    assert configured.borough_council_name == "Maidstone Borough Council"
    assert web_settings.settings() is configured  # read once


@pytest.mark.parametrize("missing", ["DRAFTS_TABLE", "EVENTS_TOPIC_ARN", "CATALOGUE_FUNCTION", "CASES_FUNCTION"])
def test_a_missing_variable_fails_the_first_invocation_with_its_name(deployed, missing):
    deployed.delenv(missing)
    web_handler.web.cache_clear()
    with pytest.raises(SettingsError, match=f"{missing}: Field required"):
        web_handler.web()
    web_handler.web.cache_clear()


def test_without_a_signing_secret_the_start_fails_naming_it(deployed):
    deployed.delenv("SIGNING_SECRET_ID")
    with pytest.raises(SettingsError, match="SIGNING_SECRET_ID: required"):
        web_settings.settings()


def test_one_upload_bucket_without_the_other_is_refused(deployed):
    deployed.setenv("QUARANTINE_BUCKET", "quarantine")
    with pytest.raises(SettingsError, match="QUARANTINE_BUCKET and CLEAN_BUCKET"):
        web_settings.settings()


def test_a_signing_key_given_directly_is_refused_outside_the_local_cloud(deployed):
    deployed.setenv("SIGNING_KEY", "a-key-given-directly")
    with pytest.raises(SettingsError, match="SIGNING_KEY: local-only"):
        web_settings.settings()
    with pytest.raises(SettingsError, match="SIGNING_KEY: local-only"):
        web_settings.signing_settings()
    deployed.setenv("BOROUGH_LOCAL_CLOUD", "1")
    web_settings.reset()
    assert web_settings.signing_settings().signing_key == "a-key-given-directly"
    assert "a-key-given-directly" not in repr(web_settings.settings())


def test_the_draft_reminders_need_only_the_table_and_the_topic(deployed):
    for name in ("CATALOGUE_FUNCTION", "CASES_FUNCTION", "SIGNING_SECRET_ID"):
        deployed.delenv(name)
    assert web_settings.draft_reminder_settings().drafts_table == "drafts"
    deployed.delenv("DRAFTS_TABLE")
    web_settings.reset()
    with pytest.raises(SettingsError, match="DRAFTS_TABLE: Field required"):
        web_settings.draft_reminder_settings()
