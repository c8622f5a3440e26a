import pytest

from shared.settings import FunctionSettings, SettingsError, load, local_only

pytestmark = pytest.mark.unit


class ExampleSettings(FunctionSettings):
    requests_table: str
    max_items: int = 10
    signing_key: str = local_only(secret=True)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """Other tests in the process may have set these (the web's tests give SIGNING_KEY directly)."""
    for name in ("REQUESTS_TABLE", "MAX_ITEMS", "SIGNING_KEY", "BOROUGH_LOCAL_CLOUD", "BOROUGH_ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)


def test_reads_each_field_from_its_upper_case_variable(monkeypatch):
    monkeypatch.setenv("REQUESTS_TABLE", "Requests")
    monkeypatch.setenv("MAX_ITEMS", "25")
    monkeypatch.setenv("BOROUGH_ENVIRONMENT", "dev")
    settings = load(ExampleSettings)
    assert (settings.requests_table, settings.max_items, settings.borough_environment) == ("Requests", 25, "dev")


def test_a_missing_variable_fails_with_its_name(monkeypatch):
    monkeypatch.delenv("REQUESTS_TABLE", raising=False)
    with pytest.raises(SettingsError, match="REQUESTS_TABLE: Field required"):
        load(ExampleSettings)


def test_a_malformed_variable_fails_with_its_name(monkeypatch):
    monkeypatch.setenv("REQUESTS_TABLE", "Requests")
    monkeypatch.setenv("MAX_ITEMS", "lots")
    with pytest.raises(SettingsError, match="MAX_ITEMS: "):
        load(ExampleSettings)


def test_a_local_only_switch_is_refused_outside_the_local_cloud(monkeypatch):
    monkeypatch.setenv("REQUESTS_TABLE", "Requests")
    monkeypatch.setenv("SIGNING_KEY", "a-key-given-directly")
    monkeypatch.delenv("BOROUGH_LOCAL_CLOUD", raising=False)
    with pytest.raises(SettingsError, match="SIGNING_KEY: local-only, refused in a deployed environment"):
        load(ExampleSettings)


def test_a_local_only_switch_is_accepted_in_the_local_cloud_and_kept_out_of_repr(monkeypatch):
    monkeypatch.setenv("REQUESTS_TABLE", "Requests")
    monkeypatch.setenv("SIGNING_KEY", "a-key-given-directly")
    monkeypatch.setenv("BOROUGH_LOCAL_CLOUD", "1")
    settings = load(ExampleSettings)
    assert settings.signing_key == "a-key-given-directly"
    assert "a-key-given-directly" not in repr(settings)


def test_settings_are_frozen(monkeypatch):
    monkeypatch.setenv("REQUESTS_TABLE", "Requests")
    settings = load(ExampleSettings)
    with pytest.raises(ValueError, match="frozen"):
        settings.max_items = 3  # type: ignore[misc]


def test_cached_settings_are_read_once_until_reset(monkeypatch):
    from shared.settings import cached, reset

    monkeypatch.setenv("REQUESTS_TABLE", "Requests")
    settings = cached(ExampleSettings)
    first = settings()
    monkeypatch.setenv("REQUESTS_TABLE", "Other")
    assert settings() is first
    reset()
    assert settings().requests_table == "Other"


def test_current_settings_follow_the_environment_and_are_validated_once_per_value(monkeypatch):
    from shared.settings import current

    monkeypatch.setenv("REQUESTS_TABLE", "Requests")
    first = current(ExampleSettings)
    assert current(ExampleSettings) is first
    monkeypatch.setenv("REQUESTS_TABLE", "Other")
    assert current(ExampleSettings).requests_table == "Other"
    monkeypatch.setenv("MAX_ITEMS", "lots")
    with pytest.raises(SettingsError, match="MAX_ITEMS: "):
        current(ExampleSettings)
